"""Python API of the synthesizer: one S5 training or test example from a seed.

>>> from s5eval.synth.api import SynthConfig, make_example
>>> ex = make_example(7, SynthConfig(seconds=4.0))
>>> ex.mixture.shape           # (4, T) float32 FOA (W, Y, Z, X), channel 0 omnidirectional
>>> [label for label, _ in ex.targets]

``make_example`` is deterministic in its seed: the same seed (and config) gives
bit-identical arrays in any process.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from ..labels import DCASE_CLASSES


@dataclass(frozen=True)
class SynthConfig:
    """The DCASE 2026 S5 mixing recipe and its knobs.

    Rates are fractions of all mixtures: ``zero_target_rate`` have no target,
    ``dup_rate`` hold two or more targets with a repeated class; the rest hold
    1..``max_targets`` targets of distinct classes. SNRs are in dB, relative to
    the background noise on the omnidirectional channel over the source's
    active span. Times are in seconds, the sample rate in Hz.
    """

    samplerate: int = 32000
    seconds: float = 10.0
    max_targets: int = 3
    dup_rate: float = 0.3
    zero_target_rate: float = 0.1
    max_interferers: int = 2
    target_snr_db: tuple[float, float] = (5.0, 20.0)
    interferer_snr_db: tuple[float, float] = (0.0, 15.0)
    min_same_class_separation_deg: float = 60.0
    event_seconds: tuple[float, float] = (2.0, 8.0)
    classes: tuple[str, ...] = DCASE_CLASSES
    peak_level: tuple[float, float] = (0.3, 0.9)
    source_dir: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.zero_target_rate <= 1.0 or not 0.0 <= self.dup_rate <= 1.0:
            raise ValueError("dup_rate and zero_target_rate must lie in [0, 1]")
        if self.dup_rate + self.zero_target_rate > 1.0 + 1e-12:
            raise ValueError("dup_rate + zero_target_rate must not exceed 1 (both are shares of all mixtures)")
        if self.max_targets < 1:
            raise ValueError("max_targets must be at least 1")
        if self.dup_rate > 0 and self.max_targets < 2:
            raise ValueError("a duplicate rate above 0 needs max_targets of at least 2")
        if self.seconds <= 0 or self.samplerate <= 0:
            raise ValueError("seconds and samplerate must be positive")

    @property
    def n_samples(self) -> int:
        return int(round(self.seconds * self.samplerate))

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass
class Example:
    """One mixture with its oracle targets.

    ``mixture``: (4, T) float32 FOA, channel 0 the omnidirectional reference.
    ``targets``: (label, dry target (T,) float32) in target order — the
    oracle targets (source convolved with the direct path of channel 0).
    ``metadata``: labels, directions, SNRs, source ids, room (JSON-ready).
    ``parts``: (name, (4, T) float32) spatialised components — targets,
    interferers, background noise — whose sum is ``mixture``.
    """

    mixture: np.ndarray
    targets: list[tuple[str, np.ndarray]]
    metadata: dict
    parts: list[tuple[str, np.ndarray]] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.targets]


def make_example(seed: int | Sequence[int], config: SynthConfig | None = None) -> Example:
    """Synthesize one example; deterministic in ``seed`` (an int or a sequence of ints)."""
    from .recipe import build_example

    config = config or SynthConfig()
    rng = np.random.default_rng(seed)
    mixture, targets, parts, metadata = build_example(rng, config)
    metadata["seed"] = list(seed) if isinstance(seed, (list, tuple)) else int(seed)
    return Example(mixture=mixture, targets=targets, metadata=metadata, parts=parts)
