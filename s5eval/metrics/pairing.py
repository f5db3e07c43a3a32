"""Optimal pairing of same-class estimates and references.

For one class with n̂ estimates and n references, TP = min(n̂, n) pairs are
chosen to maximise the summed ``gain`` (SDR for the official selection, SDRi
for the paper's eq. 10). The optimum comes from scipy's assignment solver, so
any number of same-class sources works.

Ties are broken as the official code breaks them: it enumerates reference
combinations (lexicographic) in the outer loop and estimate permutations
(lexicographic) in the inner loop and keeps the first maximum. We return the
lexicographically smallest optimal (reference combination, estimate
permutation), found greedily with the solver as the feasibility test. Two
pairings tie when their summed gains differ by at most ``TIE_TOLERANCE_DB``
per pair, the resolution of the official float32 mean.
"""
from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
from scipy.optimize import linear_sum_assignment

TIE_TOLERANCE_DB = 1e-6
_MAX_COMBINATIONS = 20_000


def assignment_value(gain: np.ndarray) -> float:
    """Maximum summed gain over pairings of min(rows, cols) distinct rows and columns."""
    if gain.size == 0:
        return 0.0
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return float(gain[rows, cols].sum())


def best_pairing(gain: np.ndarray) -> list[tuple[int, int]]:
    """Pairs ``(estimate_index, reference_index)`` maximising Σ gain, official tie rule.

    ``gain`` has shape (n_est, n_ref); the result has min(n_est, n_ref) pairs,
    listed in ascending reference index.
    """
    n_est, n_ref = gain.shape
    n_tp = min(n_est, n_ref)
    if n_tp == 0:
        return []
    best = assignment_value(gain)
    tolerance = TIE_TOLERANCE_DB * n_tp
    chosen_refs = _first_optimal_reference_set(gain, n_tp, best, tolerance)
    return _first_optimal_estimate_order(gain, chosen_refs, best, tolerance)


def _first_optimal_reference_set(gain: np.ndarray, n_tp: int, best: float, tolerance: float) -> tuple[int, ...]:
    n_ref = gain.shape[1]
    if n_tp == n_ref:
        return tuple(range(n_ref))
    if comb(n_ref, n_tp) > _MAX_COMBINATIONS:  # pathological sizes: keep the solver's own choice
        _, cols = linear_sum_assignment(gain, maximize=True)
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
