"""Bootstrap confidence intervals over mixtures (vectorised with numpy).

Percentile bootstrap: ``n_resamples`` resamples of the mixtures with
replacement from a generator seeded with ``seed``; the interval is the
(α/2, 1 − α/2) percentiles of the resampled statistic.

A resample is held as how often it draws each mixture (a row of counts), so
every resampled sum is one matrix-vector product ``counts @ values``.
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


def resample_counts(n_items: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n_items) float64: how often each resample of :func:`resample_indices` draws each item."""
    indices = resample_indices(n_items, n_resamples, seed)
    indices += np.arange(n_resamples, dtype=np.int64)[:, None] * n_items  # one bin range per resample
    counts = np.bincount(indices.ravel(), minlength=n_resamples * n_items)
    return counts.reshape(n_resamples, n_items).astype(np.float64)


def _percentiles(samples: np.ndarray, confidence: float) -> Interval:
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return Interval(None, None)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(samples, [100 * alpha, 100 * (1 - alpha)])
    return Interval(float(low), float(high))


def bootstrap_mean(values: np.ndarray, valid: np.ndarray, counts: np.ndarray,
                   confidence: float = DEFAULT_CONFIDENCE) -> Interval:
    """CI of the mean of ``values`` over the ``valid`` items (e.g. CAPI-SDRi over non-excluded mixtures).

    ``counts`` comes from :func:`resample_counts`.
    """
    if counts.shape[1] == 0 or not valid.any():
        return Interval(None, None)
    weights = valid.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = (counts @ np.where(valid, values, 0.0)) / (counts @ weights)
    return _percentiles(stats, confidence)


def bootstrap_ratio(numerator: np.ndarray, denominator: np.ndarray, counts: np.ndarray,
                    confidence: float = DEFAULT_CONFIDENCE, scale: float = 100.0) -> Interval:
    """CI of Σ numerator / Σ denominator (e.g. source accuracy = ΣTP / Σ(TP+FP+FN)), times ``scale``."""
    if counts.shape[1] == 0:
        return Interval(None, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = scale * (counts @ numerator) / (counts @ denominator)
    return _percentiles(stats, confidence)
