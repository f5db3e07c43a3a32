"""Optimal pairing of same-class estimates and references.

For one class with n̂ estimates and n references, TP = min(n̂, n) pairs are
chosen to maximise the summed ``gain`` (SDR for the official selection, SDRi
for the paper's eq. 10).

Ties are broken as the official code breaks them: it enumerates reference
combinations (lexicographic) in the outer loop and estimate permutations
(lexicographic) in the inner loop and keeps the first maximum.

Which candidates tie, and which of two nearly equal ones is better, is decided
in one of two ways:

* with a ``decide`` callback (the official selection): every candidate whose
  summed gain is within ``DECISION_MARGIN_DB`` per pair of the best is handed,
  in official order, to ``decide``, which recomputes the values the official
  code compares (float32, see :mod:`.official_f32`) and returns the first
  maximum. Outside near ties there is one such candidate and nothing is
  recomputed;
* without one (the paper selection, CASA-SDR, the solver path): two pairings
  tie when their summed gains differ by at most ``TIE_TOLERANCE_DB`` per pair.

Small classes (at most ``ENUMERATION_LIMIT`` candidate pairings, e.g. up to
6 estimates × 6 references) are searched exhaustively in that very order, as
one vectorised sum. Larger ones use scipy's assignment solver for the optimum
and then return the lexicographically smallest optimal (reference combination,
estimate permutation), found greedily with the solver as the feasibility test.
scipy.optimize is imported only then: it is the slowest import of a scoring run.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations, permutations
from math import comb, perm
from typing import Callable

import numpy as np

TIE_TOLERANCE_DB = 1e-6
# Per pair: far wider than the float32 noise of a mean SDR (a few ulps, at most about 3e-5 dB at 455 dB),
# so every candidate the official float32 arithmetic could rank first is handed to ``decide``.
DECISION_MARGIN_DB = 1e-3
_HUGE = 1e300  # stands for ±inf (and NaN, the official argmax's maximum) in the assignment solver

# decide(estimate index rows, reference index rows) -> position of the chosen candidate among the rows
Decide = Callable[[np.ndarray, np.ndarray], int]
_MAX_COMBINATIONS = 20_000
ENUMERATION_LIMIT = 5040  # candidate pairings searched exhaustively; above it the solver


def _linear_sum_assignment(gain: np.ndarray, maximize: bool = True):
    from scipy.optimize import linear_sum_assignment  # deferred: about 0.5 s to import

    return linear_sum_assignment(gain, maximize=maximize)


def assignment_value(gain: np.ndarray) -> float:
    """Maximum summed gain over pairings of min(rows, cols) distinct rows and columns."""
    if gain.size == 0:
        return 0.0
    rows, cols = _linear_sum_assignment(gain)
    return float(gain[rows, cols].sum())


def best_pairing(gain: np.ndarray, decide: Decide | None = None) -> list[tuple[int, int]]:
    """Pairs ``(estimate_index, reference_index)`` maximising Σ gain, official tie rule.

    ``gain`` has shape (n_est, n_ref); the result has min(n_est, n_ref) pairs,
    listed in ascending reference index. ``decide`` settles near ties (see the
    module docstring). Gains may be ±inf or NaN (an SDR whose energy overflowed
    float32): ``decide`` then sees every candidate; without it, NaN counts as
    the largest gain, as in the official argmax.
    """
    n_est, n_ref = gain.shape
    n_tp = min(n_est, n_ref)
    if n_tp == 0:
        return []
    if n_est == n_ref == 1:  # one candidate, whatever its gain (also ±inf or NaN): the search keeps it
        return [(0, 0)]
    tolerance = TIE_TOLERANCE_DB * n_tp
    if comb(n_ref, n_tp) * perm(n_est, n_tp) <= ENUMERATION_LIMIT:
        if decide is not None:
            return _first_best_decided(gain, decide, DECISION_MARGIN_DB * n_tp)
        return _first_optimal_by_enumeration(_finite(gain), tolerance)
    gain = _finite(gain)
    best = assignment_value(gain)
    chosen_refs = _first_optimal_reference_set(gain, n_tp, best, tolerance)
    return _first_optimal_estimate_order(gain, chosen_refs, best, tolerance)


@lru_cache(maxsize=64)
def _official_candidates(n_est: int, n_ref: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (estimate permutation, reference combination) in the official order, as index arrays (n_cand, TP)."""
    n_tp = min(n_est, n_ref)
    ref_sets = list(combinations(range(n_ref), n_tp))
    est_orders = list(permutations(range(n_est), n_tp))
    refs = np.array([r for r in ref_sets for _ in est_orders], dtype=np.intp).reshape(-1, n_tp)
    ests = np.array([e for _ in ref_sets for e in est_orders], dtype=np.intp).reshape(-1, n_tp)
    refs.setflags(write=False)  # shared by every later call of this size
    ests.setflags(write=False)
    return ests, refs


def _finite(gain: np.ndarray) -> np.ndarray:
    """``gain`` with ±inf and NaN replaced by ±1e300 (NaN by +1e300: the official argmax takes NaN as the maximum)."""
    if np.isfinite(gain).all():
        return gain
    return np.nan_to_num(gain, nan=_HUGE, posinf=_HUGE, neginf=-_HUGE)


def _first_optimal_by_enumeration(gain: np.ndarray, tolerance: float) -> list[tuple[int, int]]:
    """The official search itself: the first candidate whose summed gain is within ``tolerance`` of the best."""
    ests, refs = _official_candidates(*gain.shape)
    totals = gain[ests, refs].sum(axis=1)
    first = int(np.argmax(totals >= totals.max() - tolerance))
    return [(int(e), int(r)) for e, r in zip(ests[first], refs[first])]


def _first_best_decided(gain: np.ndarray, decide: Decide, margin: float) -> list[tuple[int, int]]:
    """The official search with ``decide`` ranking the candidates within ``margin`` of the best (in official order)."""
    ests, refs = _official_candidates(*gain.shape)
    totals = gain[ests, refs].sum(axis=1)
    if np.isfinite(totals).all():
        near = np.flatnonzero(totals >= totals.max() - margin)
    else:  # an overflowed SDR: let the official arithmetic rank every candidate
        near = np.arange(totals.size)
    first = int(near[0]) if near.size == 1 else int(near[decide(ests[near], refs[near])])
    return [(int(e), int(r)) for e, r in zip(ests[first], refs[first])]


def _first_optimal_reference_set(gain: np.ndarray, n_tp: int, best: float, tolerance: float) -> tuple[int, ...]:
    n_ref = gain.shape[1]
    if n_tp == n_ref:
        return tuple(range(n_ref))
    if comb(n_ref, n_tp) > _MAX_COMBINATIONS:  # pathological sizes: keep the solver's own choice
        _, cols = _linear_sum_assignment(gain)
        return tuple(sorted(int(c) for c in cols))
    for refs in combinations(range(n_ref), n_tp):
        if assignment_value(gain[:, refs]) >= best - tolerance:
            return refs
    raise AssertionError("no reference set reaches the optimum")  # unreachable


def _first_optimal_estimate_order(gain: np.ndarray, refs: tuple[int, ...], best: float,
                                  tolerance: float) -> list[tuple[int, int]]:
    n_est = gain.shape[0]
    used: list[int] = []
    fixed = 0.0
    for position, ref in enumerate(refs):
        remaining_refs = list(refs[position + 1:])
        for est in range(n_est):
            if est in used:
                continue
            free = [e for e in range(n_est) if e not in used and e != est]
            rest = assignment_value(gain[np.ix_(free, remaining_refs)]) if remaining_refs else 0.0
            if fixed + gain[est, ref] + rest >= best - tolerance:
                used.append(est)
                fixed += float(gain[est, ref])
                break
        else:  # pragma: no cover - the optimum is always reachable
            raise AssertionError("no estimate completes an optimal pairing")
    return list(zip(used, refs))
