"""Training losses of the baseline, batched (no Python loop over the batch).

Separation (eq. 3 of the CA-PI-SDRi paper):

    L_CA-PI-SDR = min_{π ∈ S_K^C} ( −1/K Σ_k SDR(ŝ_{π(k)}, s_k) )

where S_K^C holds the permutations of the K_max output slots that keep every
slot's class (so only same-class outputs may be swapped). Slots whose query is
``silence`` are excluded: they neither enter the sum nor count in K. Variants
for the ablation of the paper's Fig. 4:

* ``"ca"``   — class-aware, a *random* permutation among S_K^C (plain CA-SDR);
* ``"pi"``   — plain PIT: any permutation among the active (non-silent) slots.

SDR is in dB, ``10·log10((Σ s² + ε) / (Σ (s − ŝ)² + ε))`` as in :mod:`s5eval.metrics.sdr`.

Averaging (``average``): ``"active"`` divides a mixture's summed SDR by its number of
active slots and averages over the mixtures that have one (eq. 3 read literally);
``"all_slots"`` divides by K_max — silence slots count as 0 dB — and averages over
every mixture of the batch, as the official ``class_aware_pit.py`` does (its score
is the mean over all S slots of a matrix whose silence diagonal is 0, then
``.mean()`` over the batch). The best permutation is the same either way.
The tagger is trained with permutation-invariant cross-entropy over its K_max
tracks (:func:`pit_cross_entropy`), so repeated labels can be predicted.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import torch
import torch.nn.functional as F

EPS = 1.1920929e-07  # float32 machine epsilon, as the metric uses
SDR_VARIANTS = ("ca_pi", "ca", "pi")
AVERAGES = ("active", "all_slots")


@lru_cache(maxsize=8)
def _permutations_cpu(k: int) -> torch.Tensor:
    return torch.tensor(list(itertools.permutations(range(k))), dtype=torch.long)


def permutations(k: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """All k! permutations of ``range(k)``, shape (k!, k); row 0 is the identity."""
    return _permutations_cpu(k).to(device)


def pairwise_sdr(estimates: torch.Tensor, references: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """SDR[b, i, j] = SDR(estimates[b, i], references[b, j]) in dB.

    ``estimates`` (B, K, T) and ``references`` (B, K, T), samples; computed in float32.
    """
    est = estimates.float()
    ref = references.float()
    ref_energy = (ref * ref).sum(-1)  # (B, K)
    # K is small (K_max = 3), so the (B, K, K, T) difference is cheap and exact
    diff = ref[:, None, :, :] - est[:, :, None, :]
    err = (diff * diff).sum(-1)  # (B, K_est, K_ref)
    return 10.0 * torch.log10((ref_energy[:, None, :] + eps) / (err + eps))


def _permutation_scores(sdr: torch.Tensor, active: torch.Tensor, perms: torch.Tensor,
                        all_slots: bool = False) -> torch.Tensor:
    """Mean SDR over active reference slots (or over all K slots, silence as 0) for every permutation: (B, P).

    Permutation p pairs reference slot k with output slot perms[p, k].
    """
    k = sdr.shape[1]
    ref_idx = torch.arange(k, device=sdr.device)
    # sdr[b, perms[p, k], k] -> (B, P, K)
    picked = sdr[:, perms, ref_idx]
    weights = active.float()[:, None, :]
    if all_slots:
        return (picked * weights).sum(-1) / k
    n_active = active.float().sum(-1).clamp_min(1.0)[:, None]
    return (picked * weights).sum(-1) / n_active


def separation_losses(estimates: torch.Tensor, references: torch.Tensor, labels: torch.Tensor, silence: int,
                      variant: str = "ca_pi", generator: torch.Generator | None = None,
                      eps: float = EPS, average: str = "active") -> tuple[torch.Tensor, torch.Tensor]:
    """Per-mixture SDR loss (dB, lower is better) of the chosen ``variant``, shape (B,), and the (B,) mask
    of mixtures that have at least one active slot (the loss of the others is 0 and meaningless).

    ``estimates`` and ``references``: (B, K, T) samples; ``labels``: (B, K) class
    indices of the queries, ``silence`` marking an empty slot; ``average`` as in the module docstring.
    """
    if variant not in SDR_VARIANTS:
        raise ValueError(f"variant must be one of {SDR_VARIANTS}, not {variant!r}")
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, not {average!r}")
    k = labels.shape[1]
    perms = permutations(k, labels.device)  # (P, K)
    active = labels != silence  # (B, K)
    key = active.long() if variant == "pi" else labels
    # a permutation is allowed when every slot keeps its key (class, or active flag for PIT)
    allowed = (key[:, perms] == key[:, None, :]).all(-1)  # (B, P); the identity always is
    sdr = pairwise_sdr(estimates, references, eps)
    scores = _permutation_scores(sdr, active, perms, average == "all_slots")  # (B, P), mean SDR in dB
    if variant == "ca":
        noise = torch.rand(allowed.shape, device=labels.device, generator=generator)
        choice = noise.masked_fill(~allowed, -1.0).argmax(-1)
        best = scores.gather(1, choice[:, None])[:, 0]
    else:
        best = scores.masked_fill(~allowed, float("-inf")).max(-1).values
    has_target = active.any(-1)
    return torch.where(has_target, -best, torch.zeros_like(best)), has_target


def separation_loss(estimates: torch.Tensor, references: torch.Tensor, labels: torch.Tensor, silence: int,
                    variant: str = "ca_pi", generator: torch.Generator | None = None,
                    eps: float = EPS, average: str = "active") -> torch.Tensor:
    """The batch's SDR loss (dB): with ``average="active"`` the mean of :func:`separation_losses` over the mixtures
    with a target (0 when none has one); with ``"all_slots"`` the mean over every mixture, as the official loss."""
    losses, has_target = separation_losses(estimates, references, labels, silence, variant, generator, eps, average)
    if average == "all_slots":
        return losses.mean()
    return (losses * has_target).sum() / has_target.sum().clamp_min(1)


def pit_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Permutation-invariant cross-entropy of a track-wise tagger (nats, batch mean).

    ``logits`` (B, K, C+1) over the classes and silence; ``targets`` (B, K) class
    indices (silence included). For every mixture the track order with the lowest
    mean cross-entropy is used.
    """
    b, k, n = logits.shape
    perms = permutations(k, logits.device)  # (P, K)
    logp = F.log_softmax(logits.float(), dim=-1)  # (B, K, C+1)
    # nll[b, i, j] = −log p(track i = target j)
    nll = -logp.gather(2, targets[:, None, :].expand(b, k, k))
    ref_idx = torch.arange(k, device=logits.device)
    per_perm = nll[:, perms, ref_idx].mean(-1)  # (B, P)
    return per_perm.min(-1).values.mean()


def best_track_permutation(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The track order :func:`pit_cross_entropy` uses, as a (B, K) index tensor."""
    b, k, _ = logits.shape
    perms = permutations(k, logits.device)
    logp = F.log_softmax(logits.float(), dim=-1)
    nll = -logp.gather(2, targets[:, None, :].expand(b, k, k))
    per_perm = nll[:, perms, torch.arange(k, device=logits.device)].mean(-1)
    return perms[per_perm.argmin(-1)]
