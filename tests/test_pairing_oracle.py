"""The assignment solver against exhaustive search in the official enumeration order."""
from __future__ import annotations

import subprocess
import sys
from itertools import combinations, permutations

import numpy as np
import pytest

from s5eval.metrics import pairing
from s5eval.metrics.capi import capi_sdri
from s5eval.metrics.pairing import best_pairing


@pytest.fixture(params=["enumeration", "solver"])
def search(request, monkeypatch):
    """Run a test with the exhaustive search and again with scipy's solver forced for every size."""
    if request.param == "solver":
        monkeypatch.setattr(pairing, "ENUMERATION_LIMIT", 0)
    return request.param


def brute_force(gain: np.ndarray) -> tuple[float, list[tuple[int, int]]]:
    """The official loop: reference combinations outside, estimate permutations inside, first maximum."""
    n_est, n_ref = gain.shape
    n_tp = min(n_est, n_ref)
    best_value, best_pairs = -np.inf, []
    for refs in combinations(range(n_ref), n_tp):
        for ests in permutations(range(n_est), n_tp):
            value = sum(gain[e, r] for e, r in zip(ests, refs))
            if value > best_value + 1e-9:
                best_value, best_pairs = value, list(zip(ests, refs))
    return best_value, best_pairs


@pytest.mark.parametrize("seed", range(300))
def test_solver_matches_exhaustive_search(seed, search):
    rng = np.random.default_rng(seed)
    n_est, n_ref = rng.integers(1, 7, size=2)
    gain = rng.normal(5.0, 8.0, size=(n_est, n_ref))
    value, pairs = brute_force(gain)
    chosen = best_pairing(gain)
    assert len(chosen) == min(n_est, n_ref)
    assert sum(gain[e, r] for e, r in chosen) == pytest.approx(value, abs=1e-9)
    assert chosen == pairs


@pytest.mark.parametrize("seed", range(6))
def test_classes_beyond_the_enumeration_limit(seed):
    """6-8 sources of one class: more candidates than the exhaustive search takes, so the solver decides."""
    rng = np.random.default_rng(500 + seed)
    n_est, n_ref = (8, int(rng.integers(6, 9)))[:: 1 if seed % 3 else -1]
    assert pairing.comb(n_ref, min(n_est, n_ref)) * pairing.perm(n_est, min(n_est, n_ref)) > pairing.ENUMERATION_LIMIT
    gain = rng.integers(-1, 2, size=(n_est, n_ref)).astype(float) + (seed % 2) * rng.normal(0, 3, (n_est, n_ref))
    assert best_pairing(gain) == brute_force(gain)[1]


@pytest.mark.parametrize("seed", range(40))
def test_ties_follow_official_order(seed, search):
    """Repeated rows/columns (identical files, all-zero estimates) create exact ties."""
    rng = np.random.default_rng(1000 + seed)
    n_est, n_ref = rng.integers(1, 6, size=2)
    gain = rng.integers(-2, 3, size=(n_est, n_ref)).astype(float)  # many exact ties
    assert best_pairing(gain) == brute_force(gain)[1]


def _signals(rng, n, length=4000):
    return [rng.standard_normal(length).astype(np.float32) for _ in range(n)]


def _mixture_capi_brute(est_labels, ests, ref_labels, refs, mixture, selection):
    """CAPI-SDRi straight from eqs. 5-12 with exhaustive search per class."""
    from s5eval.metrics.sdr import sdr
    total, entries = 0.0, 0
    for label in set(est_labels) | set(ref_labels):
        e_idx = [i for i, lb in enumerate(est_labels) if lb == label]
        r_idx = [j for j, lb in enumerate(ref_labels) if lb == label]
        entries += max(len(e_idx), len(r_idx))
        if not e_idx or not r_idx:
            continue
        s = np.array([[sdr(ests[i], refs[j]) for j in r_idx] for i in e_idx])
        base = np.array([sdr(mixture, refs[j]) for j in r_idx])
        gain = s if selection == "official" else s - base[None, :]
        _, pairs = brute_force(gain)
        total += sum(s[e, r] - base[r] for e, r in pairs)
    return total / entries if entries else None


@pytest.mark.parametrize("selection", ["official", "paper"])
@pytest.mark.parametrize("seed", range(60))
def test_mixture_value_equals_exhaustive(selection, seed, search):
    rng = np.random.default_rng(seed)
    classes = ["Speech", "Dishes"]
    n_ref, n_est = rng.integers(0, 7, size=2)
    ref_labels = list(rng.choice(classes, size=n_ref, p=[0.8, 0.2]))
    est_labels = list(rng.choice(classes, size=n_est, p=[0.8, 0.2]))
    refs = _signals(rng, n_ref)
    mixture = np.sum(refs, axis=0) if refs else rng.standard_normal(4000).astype(np.float32)
    ests = [refs[rng.integers(n_ref)] * rng.uniform(0.5, 1.5) + rng.standard_normal(4000).astype(np.float32)
            * rng.uniform(0.05, 1.0) if n_ref else rng.standard_normal(4000).astype(np.float32)
            for _ in range(n_est)]
    expected = _mixture_capi_brute(est_labels, ests, ref_labels, refs, mixture, selection)
    result = capi_sdri(est_labels, ests, ref_labels, refs, mixture, selection=selection)
    if expected is None:
        assert result.value is None
    else:
        assert result.value == pytest.approx(expected, abs=1e-9)


def test_scoring_small_classes_does_not_import_the_solver():
    """scipy.optimize costs about half a second to import; mixtures of up to 6 same-class sources never need it."""
    code = (
        "import sys, numpy as np\n"
        "from s5eval.metrics.capi import capi_sdri\n"
        "rng = np.random.default_rng(0)\n"
        "refs = [rng.standard_normal(1000).astype(np.float32) for _ in range(3)]\n"
        "ests = [r + 0.1 for r in refs]\n"
        "capi_sdri(['Speech'] * 3, ests, ['Speech'] * 3, refs, sum(refs))\n"
        "print('scipy.optimize' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("shape", [(3, 1), (1, 3)])
def test_single_pair_near_ties_take_the_first(shape, search):
    """Gains within TIE_TOLERANCE_DB of the best tie: the first in official order (reference, then estimate) wins."""
    tiny = 0.4 * pairing.TIE_TOLERANCE_DB
    gain = np.array([5.0, 2.0, 5.0 + tiny]).reshape(shape)
    assert best_pairing(gain) == [(0, 0)]
    gain.ravel()[2] += 3 * pairing.TIE_TOLERANCE_DB  # now clearly better
    assert best_pairing(gain) == ([(2, 0)] if shape == (3, 1) else [(0, 2)])


def test_two_pair_near_tie_takes_the_first(search):
    tiny = 0.4 * pairing.TIE_TOLERANCE_DB
    gain = np.array([[5.0, 5.0 + tiny], [5.0, 5.0]])  # swapped pairing better by less than the tolerance
    assert best_pairing(gain) == [(0, 0), (1, 1)]
    gain[0, 1] += 6 * pairing.TIE_TOLERANCE_DB
    assert best_pairing(gain) == [(1, 0), (0, 1)]


@pytest.mark.parametrize("seed", range(80))
def test_selections_agree_means_same_pairing(seed):
    """The scorer computes the paper selection only when it can differ; where it cannot, it must not."""
    from s5eval.metrics.capi import capi_from_matrices, class_matrices, selections_agree
    rng = np.random.default_rng(7000 + seed)
    classes = ["Speech", "Dishes", "Typing"]
    ref_labels = list(rng.choice(classes, size=int(rng.integers(1, 5))))
    est_labels = list(rng.choice(classes, size=int(rng.integers(0, 5))))
    refs = _signals(rng, len(ref_labels), 500)
    mixture = np.sum(refs, axis=0)
    ests = [refs[int(rng.integers(len(refs)))] + rng.standard_normal(500).astype(np.float32) * 0.5
            for _ in est_labels]
    matrices = class_matrices(est_labels, ests, ref_labels, refs, mixture)
    official = capi_from_matrices(matrices, "official")
    paper = capi_from_matrices(matrices, "paper")
    if selections_agree(matrices):
        assert official.pairs == paper.pairs and official.value == paper.value
    else:
        assert any(len(cm.ref_index) > len(cm.est_index) > 0 for cm in matrices.values())


def official_float32_brute_force(sdr32: np.ndarray) -> list[tuple[int, int]]:
    """The official loop on float32 SDRs: per candidate the float32 mean (torch's order), the first maximum,
    a NaN mean counting as the maximum (torch.argmax)."""
    from s5eval.metrics.official_f32 import candidate_means

    n_est, n_ref = sdr32.shape
    n_tp = min(n_est, n_ref)
    best, best_pairs = None, []
    for refs in combinations(range(n_ref), n_tp):
        for ests in permutations(range(n_est), n_tp):
            mean = candidate_means(np.array([[sdr32[e, r] for e, r in zip(ests, refs)]], dtype=np.float32))[0]
            if best is None or (np.isnan(mean) and not np.isnan(best)) or (not np.isnan(best) and mean > best):
                best, best_pairs = mean, list(zip(ests, refs))
    return best_pairs


@pytest.mark.parametrize("seed", range(60))
def test_official_decision_equals_the_float32_loop(seed):
    """Gains within float32 ulps of each other, seen by the fast path in float64 with noise far below the decision
    margin: the candidates handed to ``decide`` always include the float32 loop's choice, and it wins."""
    from s5eval.metrics.official_f32 import candidate_means, first_argmax

    rng = np.random.default_rng(3000 + seed)
    n_est, n_ref = (int(v) for v in rng.integers(1, 6, size=2))
    base = np.float32(rng.choice([0.0, 3.0, -7.5, 20.0]))
    ulps = rng.integers(-3, 4, size=(n_est, n_ref))
    sdr32 = (base + ulps * np.spacing(base if base else np.float32(1e-6))).astype(np.float32)
    if seed % 4 == 0:
        sdr32[rng.integers(n_est), rng.integers(n_ref)] = -np.inf  # an overflowed pair
    gain = sdr32.astype(np.float64) + rng.uniform(-1e-5, 1e-5, size=sdr32.shape)
    decide = lambda ests, refs: first_argmax(candidate_means(sdr32[ests, refs]))  # noqa: E731
    assert best_pairing(gain, decide) == official_float32_brute_force(sdr32)
