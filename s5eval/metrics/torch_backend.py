"""SDR matrices of torch tensors, computed on their device in the official float32 arithmetic.

When the Python API is given torch tensors (e.g. a model's output on a GPU),
the energies and SDRs of every same-class pair are computed where the tensors
are, exactly as torchmetrics' ``signal_noise_ratio`` does in the official code:

    SDR = 10 · log10( (Σ s² + ε) / (Σ (s − ŝ)² + ε) )     float32, ε = float32 eps   [dB]

and only the small per-class matrices come to the CPU (one transfer per
mixture). Those float32 values are also what the official selection compares,
so near ties are decided on them directly.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..io.wav import PCM16_SCALE
from ..labels import SILENCE
from .capi import ClassMatrix


def _flat32(signal: Any):
    import torch

    tensor = signal if isinstance(signal, torch.Tensor) else torch.as_tensor(np.asarray(signal))
    if tensor.dtype == torch.int16:  # PCM16 samples stand for n · 2⁻¹⁵
        tensor = tensor.to(torch.float32) * float(PCM16_SCALE)
    return tensor.detach().to(torch.float32).reshape(-1)


def _snr(estimates, references):
    """torchmetrics ``signal_noise_ratio`` over the last axis, float32, in dB."""
    import torch

    eps = torch.finfo(torch.float32).eps
    noise = references - estimates
    ratio = (torch.sum(references ** 2, dim=-1) + eps) / (torch.sum(noise ** 2, dim=-1) + eps)
    return 10 * torch.log10(ratio)


def class_matrices_torch(est_labels: Sequence[str], est_wavs: Sequence[Any], ref_labels: Sequence[str],
                         ref_wavs: Sequence[Any], mixture: Any) -> dict[str, ClassMatrix]:
    """Per-class SDR matrices (dB) of tensors, computed on their device; see :func:`s5eval.metrics.capi.class_matrices`."""
    import torch

    device = next((w.device for w in (*est_wavs, *ref_wavs, mixture) if isinstance(w, torch.Tensor)), None)
    y = _flat32(mixture).to(device)
    classes = sorted((set(est_labels) | set(ref_labels)) - {SILENCE})
    plans, pieces = [], []
    for label in classes:
        est_index = [i for i, lb in enumerate(est_labels) if lb == label]
        ref_index = [j for j, lb in enumerate(ref_labels) if lb == label]
        refs = torch.stack([_flat32(ref_wavs[j]).to(device) for j in ref_index]) if ref_index else None
        if refs is not None:
            pieces.append(_snr(y.expand_as(refs), refs))  # SDR(y, s) of each reference
        if refs is not None and est_index:
            ests = torch.stack([_flat32(est_wavs[i]).to(device) for i in est_index])
            pieces.append(_snr(ests[:, None, :], refs[None, :, :]).reshape(-1))
        plans.append((label, est_index, ref_index))
    values = torch.cat(pieces).cpu().numpy() if pieces else np.empty(0, np.float32)  # the one transfer
    out: dict[str, ClassMatrix] = {}
    at = 0
    for label, est_index, ref_index in plans:
        n_est, n_ref = len(est_index), len(ref_index)
        mix_sdr = values[at:at + n_ref]
        at += n_ref
        sdr32 = np.empty((n_est, n_ref), np.float32)
        if n_est and n_ref:
            sdr32 = values[at:at + n_est * n_ref].reshape(n_est, n_ref)
            at += n_est * n_ref
        out[label] = ClassMatrix(label, est_index, ref_index, sdr32.astype(np.float64), mix_sdr.astype(np.float64),
                                 sdr32=sdr32)
    return out
