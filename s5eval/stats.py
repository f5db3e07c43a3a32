"""Bootstrap confidence intervals over mixtures (vectorised with numpy).

Percentile bootstrap: ``n_resamples`` resamples of the mixtures with
replacement from a generator seeded with ``seed``; the interval is the
(α/2, 1 − α/2) percentiles of the resampled statistic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None


def resample_indices(n_items: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n_items) indices drawn with replacement."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_items, size=(n_resamples, n_items), dtype=np.int64)


def _percentiles(samples: np.ndarray, confidence: float) -> Interval:
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return Interval(None, None)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(samples, [100 * alpha, 100 * (1 - alpha)])
    return Interval(float(low), float(high))


def bootstrap_mean(values: np.ndarray, valid: np.ndarray, indices: np.ndarray,
                   confidence: float = DEFAULT_CONFIDENCE) -> Interval:
    """CI of the mean of ``values`` over the ``valid`` items (e.g. CAPI-SDRi over non-excluded mixtures)."""
    if indices.shape[1] == 0 or not valid.any():
        return Interval(None, None)
    v = np.where(valid, values, 0.0)[indices]
    w = valid.astype(np.float64)[indices]
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = v.sum(axis=1) / w.sum(axis=1)
    return _percentiles(stats, confidence)


def bootstrap_ratio(numerator: np.ndarray, denominator: np.ndarray, indices: np.ndarray,
                    confidence: float = DEFAULT_CONFIDENCE, scale: float = 100.0) -> Interval:
    """CI of Σ numerator / Σ denominator (e.g. source accuracy = ΣTP / Σ(TP+FP+FN)), times ``scale``."""
    if indices.shape[1] == 0:
        return Interval(None, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = scale * numerator[indices].sum(axis=1) / denominator[indices].sum(axis=1)
    return _percentiles(stats, confidence)
