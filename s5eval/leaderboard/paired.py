"""Paired bootstrap statistics between systems scored on the same mixtures (vectorised).

Every system's dataset figure is a ratio of sums over mixtures, Σ num / Σ den:
CAPI-SDRi (dB) is Σ value / Σ 1 over its non-excluded mixtures, mixture
accuracy (%) is Σ 100·correct / Σ 1, source accuracy (%) is Σ 100·TP /
Σ (TP+FP+FN). A bootstrap resample draws mixtures with replacement, *the same
draw for every system* (that is what makes it paired), and is stored as a
count per mixture, so the resampled figures of all systems come from two
matrix products: ``counts (R×M) @ num.T (M×S)`` and ``counts @ den.T``.

From the (R×S) resampled figures:

* per system: a percentile interval (default 95 %);
* per pair: the difference of figures, its percentile interval and a
  two-sided bootstrap p-value, 2·min(P(d ≤ 0), P(d ≥ 0)) with the +1
  correction of Davison & Hinkley, capped at 1;
* Holm's step-down correction over the comparisons of adjacent ranks, and
  groups: a new group starts below a system whose adjusted p-value against
  the next one is under α;
* rank intervals: the percentile interval of each system's rank (1 = best,
  ties share the best rank) over the resamples.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.stats import rankdata

from ..stats import resample_counts

DEFAULT_RESAMPLES = 10_000
DEFAULT_SEED = 0
DEFAULT_ALPHA = 0.05
CHUNK = 1024  # resamples per matrix product: bounds memory at CHUNK × M counts


@dataclass(frozen=True)
class RatioData:
    """Per-mixture numerators and denominators, (S systems × M mixtures); figure = 100^0 · Σnum/Σden."""

    num: np.ndarray
    den: np.ndarray

    @classmethod
    def mean_of(cls, values: np.ndarray) -> "RatioData":
        """Mean over the finite entries of each row (NaN marks an excluded mixture)."""
        values = np.asarray(values, dtype=np.float64)
        valid = np.isfinite(values)
        return cls(np.where(valid, values, 0.0), valid.astype(np.float64))

    def point(self) -> np.ndarray:
        """The figure of each system, (S,); NaN when its denominator is 0."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.num.sum(axis=1) / self.den.sum(axis=1)


def bootstrap_figures(data: RatioData, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                      chunk: int = CHUNK) -> np.ndarray:
    """Resampled figures, (R × S); the same mixture draws for every system."""
    n_systems, n_items = data.num.shape
    out = np.empty((n_resamples, n_systems))
    num_t, den_t = data.num.T.copy(), data.den.T.copy()
    start = 0
    for counts in resample_counts(n_items, n_resamples, seed, chunk):
        stop = start + counts.shape[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:stop] = (counts @ num_t) / (counts @ den_t)
        start = stop
    return out


def percentile_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Per column of (R × K) samples: the (α/2, 1−α/2) percentiles, ignoring NaN."""
    alpha = (1.0 - confidence) / 2.0
    low, high = np.nanpercentile(samples, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return low, high


@dataclass(frozen=True)
class PairedDifference:
    """Figure of a minus figure of b: observed value, percentile interval, two-sided p-value."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float


def bootstrap_p_values(diffs: np.ndarray) -> np.ndarray:
    """Two-sided p-values of resampled differences (R × K): 2·min(P(d≤0), P(d≥0)), +1 corrected, ≤ 1.

    NaN for a column without any finite difference (the figure is undefined, e.g. CAPI-SDRi on a
    subset whose every mixture is excluded): there is nothing to test, which is not p = 1.
    """
    n = np.isfinite(diffs).sum(axis=0)
    at_most = (diffs <= 0).sum(axis=0)
    at_least = (diffs >= 0).sum(axis=0)
    p = np.minimum(2.0 * (np.minimum(at_most, at_least) + 1) / (n + 1), 1.0)
    return np.where(n > 0, p, np.nan)


def paired_differences(boot: np.ndarray, point: np.ndarray, a: Sequence[int], b: Sequence[int],
                       confidence: float = 0.95) -> list[PairedDifference]:
    """Paired differences for the system pairs (a[k], b[k]) from resampled figures (R × S)."""
    ia, ib = np.asarray(a, dtype=int), np.asarray(b, dtype=int)
    if ia.size == 0:
        return []
    diffs = boot[:, ia] - boot[:, ib]
    low, high = percentile_interval(diffs, confidence)
    p = bootstrap_p_values(diffs)
    observed = point[ia] - point[ib]
    return [PairedDifference(float(d), float(lo), float(hi), float(pv))
            for d, lo, hi, pv in zip(observed, low, high, p)]


def p_value_matrix(boot: np.ndarray) -> np.ndarray:
    """(S × S) two-sided p-values of every pair of systems (1 on the diagonal)."""
    n_systems = boot.shape[1]
    out = np.ones((n_systems, n_systems))
    for i in range(n_systems):
        out[i] = bootstrap_p_values(boot[:, [i]] - boot)
    np.fill_diagonal(out, 1.0)
    return out


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (same order as given)."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def groups_from_adjacent(adjusted_p: Sequence[float] | np.ndarray, alpha: float = DEFAULT_ALPHA) -> list[int]:
    """Group numbers (1, 2, …) for systems in rank order, given the adjusted p-values of adjacent pairs.

    ``adjusted_p[k]`` compares the k-th and (k+1)-th system; a significant
    difference (p < α) starts a new group below the k-th system.
    """
    groups = [1]
    for p in adjusted_p:
        groups.append(groups[-1] + (1 if p < alpha else 0))
    return groups


def rank_intervals(boot: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Per system: the percentile interval of its rank (1 = best, ties share the best rank) over resamples."""
    filled = np.where(np.isfinite(boot), boot, -np.inf)
    ranks = rankdata(-filled, method="min", axis=1)
    alpha = (1.0 - confidence) / 2.0
    low = np.percentile(ranks, 100 * alpha, axis=0, method="lower")
    high = np.percentile(ranks, 100 * (1 - alpha), axis=0, method="higher")
    return low.astype(int), high.astype(int)


@dataclass
class RankingStatistics:
    """Everything the leaderboard shows about uncertainty, for systems given in rank order."""

    point: np.ndarray             # (S,)
    ci_low: np.ndarray            # (S,)
    ci_high: np.ndarray           # (S,)
    adjacent: list[PairedDifference]  # k vs k+1, (S−1)
    adjacent_p_holm: np.ndarray   # (S−1,)
    groups: list[int]             # (S,)
    rank_low: np.ndarray          # (S,)
    rank_high: np.ndarray         # (S,)
    p_matrix: np.ndarray          # (S, S)


def ranking_statistics(data: RatioData, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                       alpha: float = DEFAULT_ALPHA, confidence: float = 0.95) -> RankingStatistics:
    """Bootstrap the figures of systems listed in rank order and derive intervals, tests, groups, rank intervals."""
    point = data.point()
    boot = bootstrap_figures(data, n_resamples, seed)
    low, high = percentile_interval(boot, confidence)
    n = point.size
    adjacent = paired_differences(boot, point, range(n - 1), range(1, n), confidence)
    adjusted = holm([d.p_value for d in adjacent])
    rank_low, rank_high = rank_intervals(boot, confidence)
    return RankingStatistics(point, low, high, adjacent, adjusted, groups_from_adjacent(adjusted, alpha),
                             rank_low, rank_high, p_value_matrix(boot))
