"""The official 2026 class-aware metric, transcribed for tests (torch only; never imported by s5eval).

``S5ClassAwareMetric._pi_metric`` of nttcslab/dcase2026_task4_baseline enumerates,
for one class, every (reference combination, estimate permutation), scores the
stacked candidates with its metric function in float32 and keeps the first
candidate of the highest mean. torchmetrics' ``signal_noise_ratio`` and
``scale_invariant_signal_noise_ratio`` are a few lines each, written out below, so
these tests need torch but not torchmetrics.
"""
from __future__ import annotations

from itertools import combinations, permutations

import numpy as np


def torch_snr(torch, preds, target):
    """torchmetrics.functional.signal_noise_ratio (zero_mean=False), float32 like its inputs."""
    eps = torch.finfo(preds.dtype).eps
    noise = target - preds
    return 10 * torch.log10((torch.sum(target ** 2, dim=-1) + eps) / (torch.sum(noise ** 2, dim=-1) + eps))


def torch_si_snr(torch, preds, target):
    """torchmetrics.functional.scale_invariant_signal_noise_ratio, float32 like its inputs."""
    eps = torch.finfo(preds.dtype).eps
    target = target - torch.mean(target, dim=-1, keepdim=True)
    preds = preds - torch.mean(preds, dim=-1, keepdim=True)
    alpha = (torch.sum(preds * target, dim=-1, keepdim=True) + eps) / (
        torch.sum(target ** 2, dim=-1, keepdim=True) + eps)
    scaled = alpha * target
    return 10 * torch.log10((torch.sum(scaled ** 2, dim=-1) + eps) / (torch.sum((scaled - preds) ** 2, dim=-1) + eps))


def official_class(torch, ests, refs, mixture, metric=torch_snr):
    """``S5ClassAwareMetric._pi_metric`` on torch tensors: (chosen (ref, est) pairs sorted, improvements of the
    chosen pairs in dB)."""
    n_tp = min(len(ests), len(refs))
    perms, pe, pr = [], [], []
    for rp in combinations(range(len(refs)), n_tp):
        for ep in permutations(range(len(ests)), n_tp):
            perms.append((rp, ep))
            pr.append(torch.stack([refs[j] for j in rp]))
            pe.append(torch.stack([ests[i] for i in ep]))
    pe, pr = torch.stack(pe), torch.stack(pr)
    metrics = metric(torch, pe, pr)
    metrics_i = metrics - metric(torch, mixture.view(1, 1, -1).expand(*pe.shape), pr)
    best = torch.argmax(metrics.mean(dim=1)).item()
    rp, ep = perms[best]
    return sorted(zip(rp, ep)), metrics_i[best]


def as_torch(torch, x):
    """A float32 tensor of a signal; int16 PCM16 samples as n / 32768, as the official reader gives them."""
    values = x.astype(np.float32) / 32768 if x.dtype == np.int16 else x
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))


def official_single_class(torch, ests, refs, mixture, metric=torch_snr):
    """(pairs, mixture value) of the official code for a mixture whose sources all share one class."""
    pairs, improvements = official_class(torch, [as_torch(torch, e) for e in ests], [as_torch(torch, r) for r in refs],
                                         as_torch(torch, mixture), metric)
    entries = torch.cat((improvements, torch.zeros(abs(len(ests) - len(refs)))))
    return pairs, entries.mean().item()
