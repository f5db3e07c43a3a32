"""A small deterministic stand-in for the synthesizer, for the baseline's tests."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

CLASSES = ("AlarmClock", "BicycleBell", "Blender", "Buzzer", "Clapping", "Cough")


@dataclass
class FakeExample:
    mixture: np.ndarray
    targets: list[tuple[str, np.ndarray]]


class FakeGenerator:
    """Seed -> mixture of 0..3 tones (one frequency per class, repeats allowed) on 4 channels, plus noise."""

    def __init__(self, samplerate: int = 8000, seconds: float = 0.5, classes: Sequence[str] = CLASSES):
        self.samplerate, self.n = samplerate, int(samplerate * seconds)
        self.classes = tuple(classes)

    def __call__(self, seed) -> FakeExample:
        rng = np.random.default_rng(list(seed) if not isinstance(seed, int) else seed)
        t = np.arange(self.n) / self.samplerate
        n_targets = int(rng.integers(0, 4))
        targets = []
        mixture = 0.01 * rng.standard_normal((4, self.n))
        for _ in range(n_targets):
            c = int(rng.integers(0, len(self.classes)))
            wav = 0.3 * np.sin(2 * np.pi * (200 + 150 * c) * t + rng.uniform(0, 6.28))
            gains = rng.uniform(0.3, 1.0, size=(4, 1))
            gains[0] = 1.0
            mixture = mixture + gains * wav
            targets.append((self.classes[c], wav.astype(np.float32)))
        return FakeExample(mixture.astype(np.float32), targets)
