"""The baseline's losses against brute-force references (eq. 3 of the CA-PI-SDRi paper)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baseline.losses import (pairwise_sdr, pit_cross_entropy, separation_loss,  # noqa: E402
                             separation_losses)

SIL = 5  # 5 classes, index 5 = silence
EPS = 1.1920929e-07


def sdr_np(est: np.ndarray, ref: np.ndarray) -> float:
    est, ref = est.astype(np.float64), ref.astype(np.float64)
    return 10 * np.log10((np.sum(ref ** 2) + EPS) / (np.sum((ref - est) ** 2) + EPS))


def brute_force(est: np.ndarray, ref: np.ndarray, labels: np.ndarray, variant: str) -> float | None:
    """min over allowed permutations of −mean_k SDR(ŝ_π(k), s_k) over active slots (Python loops)."""
    k = len(labels)
    active = [i for i in range(k) if labels[i] != SIL]
    if not active:
        return None
    best = None
    for perm in itertools.permutations(range(k)):
        if variant == "ca_pi" and any(labels[perm[i]] != labels[i] for i in range(k)):
            continue
        if variant == "pi" and any((labels[perm[i]] != SIL) != (labels[i] != SIL) for i in range(k)):
            continue
        value = -np.mean([sdr_np(est[perm[i]], ref[i]) for i in active])
        best = value if best is None else min(best, value)
    return best


def random_batch(seed: int, b: int = 12, k: int = 3, t: int = 256):
    rng = np.random.default_rng(seed)
    ref = rng.standard_normal((b, k, t)).astype(np.float32)
    est = (ref[:, rng.permutation(k)] * 0.5 + 0.7 * rng.standard_normal((b, k, t))).astype(np.float32)
    # labels with duplicates and silence; row 0 all silence, row 1 all the same class
    labels = rng.integers(0, 3, size=(b, k))
    labels[rng.random((b, k)) < 0.3] = SIL
    labels[0] = SIL
    labels[1] = 2
    labels[2] = [1, 1, SIL]
    return est, ref, labels


@pytest.mark.parametrize("variant", ["ca_pi", "pi"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_equals_brute_force(variant, seed):
    est, ref, labels = random_batch(seed)
    losses, has_target = separation_losses(torch.from_numpy(est), torch.from_numpy(ref),
                                           torch.from_numpy(labels), SIL, variant)
    expected = [brute_force(est[i], ref[i], labels[i], variant) for i in range(len(labels))]
    for i, exp in enumerate(expected):
        assert bool(has_target[i]) == (exp is not None)
        if exp is not None:
            assert losses[i].item() == pytest.approx(exp, abs=1e-3)
    mean = separation_loss(torch.from_numpy(est), torch.from_numpy(ref), torch.from_numpy(labels), SIL, variant)
    scored = [e for e in expected if e is not None]
    assert mean.item() == pytest.approx(np.mean(scored), abs=1e-3)


def test_ca_variant_uses_a_class_preserving_permutation():
    est, ref, labels = random_batch(3)
    t = [torch.from_numpy(a) for a in (est, ref, labels)]
    ca, has = separation_losses(*t, SIL, "ca", generator=torch.Generator().manual_seed(0))
    ca_pi, _ = separation_losses(*t, SIL, "ca_pi")
    for i in range(len(labels)):
        if not has[i]:
            continue
        k = labels.shape[1]
        active = [j for j in range(k) if labels[i, j] != SIL]
        allowed = [-np.mean([sdr_np(est[i, p[j]], ref[i, j]) for j in active])
                   for p in itertools.permutations(range(k))
                   if all(labels[i, p[j]] == labels[i, j] for j in range(k))]
        assert min(abs(ca[i].item() - a) for a in allowed) < 1e-3
        assert ca[i].item() >= ca_pi[i].item() - 1e-4


def test_invariant_to_swapping_same_class_outputs_only():
    rng = np.random.default_rng(7)
    ref = torch.from_numpy(rng.standard_normal((1, 3, 400)).astype(np.float32))
    est = ref + 0.3 * torch.from_numpy(rng.standard_normal((1, 3, 400)).astype(np.float32))
    labels = torch.tensor([[2, 2, 4]])  # slots 0 and 1 share a class
    base = separation_loss(est, ref, labels, SIL)
    same_class_swap = est[:, [1, 0, 2]]
    other_class_swap = est[:, [0, 2, 1]]
    assert separation_loss(same_class_swap, ref, labels, SIL).item() == pytest.approx(base.item(), abs=1e-5)
    assert separation_loss(other_class_swap, ref, labels, SIL).item() > base.item() + 3.0
    # the plain class-aware variant is not invariant when the estimates are swapped (identity mapping)
    ident = torch.Generator().manual_seed(0)
    values = {round(separation_loss(same_class_swap, ref, labels, SIL, "ca", generator=ident).item(), 3)
              for _ in range(20)}
    assert len(values) == 2  # the random mapping picks either pairing


def test_silence_slots_are_excluded():
    rng = np.random.default_rng(1)
    ref = torch.from_numpy(rng.standard_normal((1, 3, 300)).astype(np.float32))
    est = ref + 0.1 * torch.randn(1, 3, 300, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([[0, SIL, SIL]])
    garbage = est.clone()
    garbage[:, 1:] = 100.0  # whatever the silence slots hold does not matter
    assert separation_loss(garbage, ref, labels, SIL).item() == pytest.approx(
        separation_loss(est, ref, labels, SIL).item(), abs=1e-6)
    all_silent = torch.full((2, 3), SIL)
    loss = separation_loss(est.repeat(2, 1, 1).requires_grad_(), ref.repeat(2, 1, 1), all_silent, SIL)
    assert loss.item() == 0.0
    loss.backward()


def test_pairwise_sdr_matches_numpy():
    rng = np.random.default_rng(2)
    est = rng.standard_normal((2, 3, 128)).astype(np.float32)
    ref = rng.standard_normal((2, 3, 128)).astype(np.float32)
    got = pairwise_sdr(torch.from_numpy(est), torch.from_numpy(ref)).numpy()
    for b in range(2):
        for i in range(3):
            for j in range(3):
                assert got[b, i, j] == pytest.approx(sdr_np(est[b, i], ref[b, j]), abs=1e-4)


def test_pit_cross_entropy_equals_brute_force_and_allows_repeats():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, SIL + 1, generator=g)
    targets = torch.tensor([[1, 1, SIL], [2, 2, 2], [SIL] * 3, [0, 3, 4], [4, SIL, 4], [0, 1, 1]])
    got = pit_cross_entropy(logits, targets)
    logp = torch.log_softmax(logits, -1)
    per_item = []
    for b in range(6):
        per_item.append(min(-np.mean([logp[b, p[j], targets[b, j]].item() for j in range(3)])
                            for p in itertools.permutations(range(3))))
    assert got.item() == pytest.approx(float(np.mean(per_item)), abs=1e-5)
    # invariant to the order of the tracks
    assert pit_cross_entropy(logits[:, [2, 0, 1]], targets).item() == pytest.approx(got.item(), abs=1e-6)
