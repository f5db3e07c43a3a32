"""Small reference sets and submissions generated in code for the tests."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import soundfile as sf

RATE = 32000


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, subtype: str = "PCM_16") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples, rate, subtype=subtype)
    return path


def make_case(root: Path, mixtures: dict[str, Sequence[str]], seed: int = 0, seconds: float = 0.25,
              est_labels: dict[str, Sequence[str]] | None = None, noise: float = 0.3) -> tuple[Path, Path]:
    """Write a reference set and a bare submission.

    ``mixtures`` maps a soundscape name to its reference labels; ``est_labels``
    (default: the reference labels) gives the estimated labels. Each estimate
    is its same-position reference plus noise (or pure noise when there is no
    reference at that position). Returns ``(ref_dir, sub_dir)``.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    ref = root / "ref"
    sub = root / "sub"
    sub.mkdir(parents=True, exist_ok=True)
    est_labels = est_labels or {}
    for mix, labels in mixtures.items():
        targets = [0.2 * rng.standard_normal(n).astype(np.float32) for _ in labels]
        background = 0.05 * rng.standard_normal(n).astype(np.float32)
        channel0 = background + (np.sum(targets, axis=0) if targets else 0.0)
        mixture = np.stack([channel0] + [0.5 * channel0 + 0.01 * rng.standard_normal(n) for _ in range(3)], axis=1)
        write_wav(ref / "soundscape" / f"{mix}.wav", np.clip(mixture, -1, 1))
        for i, (label, target) in enumerate(zip(labels, targets)):
            write_wav(ref / "oracle_target" / f"{mix}_{i}_{label}.wav", target)
        for i, label in enumerate(est_labels.get(mix, labels)):
            base = targets[i] if i < len(targets) else np.zeros(n, np.float32)
            estimate = base + noise * 0.2 * rng.standard_normal(n).astype(np.float32)
            write_wav(sub / f"{mix}_{i}_{label}.wav", np.clip(estimate, -1, 1))
    (ref / "oracle_target").mkdir(parents=True, exist_ok=True)
    return ref, sub


class Counting:
    """A scorer for ``run_score``/``score_all`` that wraps ``iter_scores`` and counts the mixtures actually scored."""

    def __init__(self):
        self.scored = 0

    def __call__(self, jobs, options, workers):
        from s5eval.scoring.backends import iter_scores
        for record in iter_scores(jobs, options, workers):
            self.scored += 1
            yield record
