"""Paired bootstrap statistics: vectorised = naive loop, Holm, groups, rank intervals, p-values."""
from __future__ import annotations

import numpy as np
import pytest

from s5eval.leaderboard.paired import (RatioData, bootstrap_figures, bootstrap_p_values, groups_from_adjacent, holm,
                                       paired_differences, rank_intervals, ranking_statistics)


def _naive(values: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Loop reference: the same draws as the vectorised code (one chunk), mean over finite entries."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, values.shape[1], size=(n_resamples, values.shape[1]))
    out = np.empty((n_resamples, values.shape[0]))
    for r in range(n_resamples):
        for s in range(values.shape[0]):
            picked = values[s, idx[r]]
            out[r, s] = np.mean(picked[np.isfinite(picked)])
    return out


def test_vectorised_bootstrap_equals_the_loop():
    rng = np.random.default_rng(1)
    values = rng.normal(5, 4, size=(4, 60))
    values[1, [3, 7, 11]] = np.nan  # excluded mixtures of one system
    fast = bootstrap_figures(RatioData.mean_of(values), 200, seed=7, chunk=200)
    assert np.allclose(fast, _naive(values, 200, 7))


def test_chunking_does_not_change_the_draw_count_or_the_figures_shape():
    values = np.random.default_rng(2).normal(size=(3, 50))
    boot = bootstrap_figures(RatioData.mean_of(values), 1000, seed=0, chunk=128)
    assert boot.shape == (1000, 3) and np.isfinite(boot).all()


def test_ratio_of_sums_point_value():
    tp = np.array([[1.0, 2.0, 0.0]])
    total = np.array([[2.0, 2.0, 1.0]])
    assert RatioData(100 * tp, total).point()[0] == pytest.approx(60.0)


def test_holm_known_values():
    assert np.allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    assert np.allclose(holm([0.5]), [0.5])
    assert holm([]).size == 0
    assert (holm([0.4, 0.6, 0.9]) <= 1.0).all()


def test_groups_from_adjacent_tests():
    assert groups_from_adjacent([0.5, 0.01, 0.2]) == [1, 1, 2, 2]
    assert groups_from_adjacent([]) == [1]
    assert groups_from_adjacent([0.001, 0.001]) == [1, 2, 3]


def test_p_values_are_symmetric_and_bounded():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(2, 80))
    data = RatioData.mean_of(values)
    boot = bootstrap_figures(data, 500, seed=1)
    point = data.point()
    (ab,) = paired_differences(boot, point, [0], [1])
    (ba,) = paired_differences(boot, point, [1], [0])
    assert ab.p_value == pytest.approx(ba.p_value)
    assert ab.diff == pytest.approx(-ba.diff)
    assert 0 < ab.p_value <= 1
    assert bootstrap_p_values(np.zeros((10, 1)))[0] == 1.0


def test_pairing_detects_a_small_constant_difference():
    rng = np.random.default_rng(4)
    base = rng.normal(5, 6, size=200)  # large spread across mixtures
    values = np.stack([base + 0.3, base])
    stats = ranking_statistics(RatioData.mean_of(values), 2000, seed=0)
    assert stats.ci_low[0] < stats.ci_high[1]  # the unpaired intervals overlap ...
    assert stats.adjacent[0].p_value < 0.01  # ... the paired test is clear
    assert stats.adjacent[0].ci_low == pytest.approx(0.3) and stats.adjacent[0].ci_high == pytest.approx(0.3)
    assert stats.groups == [1, 2]


def test_groups_and_rank_intervals_of_separated_and_tied_systems():
    rng = np.random.default_rng(5)
    base = rng.normal(0, 1, size=300)
    noise = rng.normal(0, 0.5, size=(5, 300))
    offsets = np.array([6.0, 3.0, 0.0, 0.0, 0.0])[:, None]
    stats = ranking_statistics(RatioData.mean_of(base + offsets + noise), 2000, seed=0)
    assert stats.groups[:3] == [1, 2, 3]
    assert stats.groups[2] == stats.groups[3] == stats.groups[4]
    assert list(stats.rank_low[:2]) == [1, 2] and list(stats.rank_high[:2]) == [1, 2]
    assert (stats.rank_low[2:] >= 3).all() and (stats.rank_high[2:] <= 5).all()
    assert np.allclose(np.diag(stats.p_matrix), 1.0)
    assert np.allclose(stats.p_matrix, stats.p_matrix.T)


def test_rank_intervals_share_the_best_rank_on_ties():
    boot = np.array([[1.0, 1.0, 0.0]] * 10)
    low, high = rank_intervals(boot)
    assert list(low) == [1, 1, 3] and list(high) == [1, 1, 3]
