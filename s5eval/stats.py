"""Bootstrap confidence intervals over mixtures (vectorised with numpy).

Percentile bootstrap: ``n_resamples`` resamples of the mixtures with
replacement from a generator seeded with ``seed``; the interval is the
(α/2, 1 − α/2) percentiles of the resampled statistic.

A resample is held as how often it draws each mixture (a row of counts), so
every resampled sum is one matrix-vector product ``counts @ values``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

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


RESAMPLE_CHUNK = 256  # at most this many resamples drawn and counted at a time
BLOCK_ITEMS = 1 << 16  # draws per block: memory O(BLOCK_ITEMS), flat in the number of items and resamples


def chunk_for(n_items: int) -> int:
    """Resamples per block for ``n_items`` items: at most RESAMPLE_CHUNK, and about BLOCK_ITEMS draws."""
    return max(1, min(RESAMPLE_CHUNK, BLOCK_ITEMS // max(1, n_items)))


def resample_counts(n_items: int, n_resamples: int, seed: int, chunk: int | None = None) -> Iterator[np.ndarray]:
    """The resamples of :func:`resample_indices` as counts per item: float64 (≤ chunk × n_items) blocks of rows.

    The draws come from one generator, ``chunk`` resamples at a time (default:
    :func:`chunk_for`), so they are the same whatever ``chunk`` is.
    """
    chunk = chunk or chunk_for(n_items)
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, chunk):
        rows = min(chunk, n_resamples - start)
        drawn = rng.integers(0, n_items, size=(rows, n_items), dtype=np.int64)
        drawn += np.arange(rows, dtype=np.int64)[:, None] * n_items  # one bin range per resample
        yield np.bincount(drawn.ravel(), minlength=rows * n_items).reshape(rows, n_items).astype(np.float64)


def resampled_sums(columns: np.ndarray, n_resamples: int, seed: int, chunk: int | None = None) -> np.ndarray:
    """(n_resamples, k): for each resample, the sums of the k columns of ``columns`` (n_items, k) over its draws."""
    sums = np.empty((n_resamples, columns.shape[1]))
    start = 0
    for counts in resample_counts(columns.shape[0], n_resamples, seed, chunk):
        sums[start:start + counts.shape[0]] = counts @ columns
        start += counts.shape[0]
    return sums


def _percentiles(samples: np.ndarray, confidence: float) -> Interval:
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return Interval(None, None)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(samples, [100 * alpha, 100 * (1 - alpha)])
    return Interval(float(low), float(high))


def bootstrap_ratios(ratios: dict[str, tuple[np.ndarray, np.ndarray]], n_resamples: int, seed: int,
                     confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Interval]:
    """Percentile CI of Σ numerator / Σ denominator for each named (numerator, denominator) pair.

    All ratios use the same resamples. A mean over valid items is the ratio of
    (value · valid, valid); a resample whose denominator sums to 0 is left out,
    and a ratio with no usable resample gets (None, None).
    """
    names = list(ratios)
    columns = np.column_stack([np.asarray(part, dtype=np.float64) for name in names for part in ratios[name]])
    if columns.shape[0] == 0:
        return {name: Interval(None, None) for name in names}
    sums = resampled_sums(columns, n_resamples, seed)
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, name in enumerate(names):
            out[name] = _percentiles(sums[:, 2 * k] / sums[:, 2 * k + 1], confidence)
    return out
