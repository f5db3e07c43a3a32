"""Scale-invariant SDR, as torchmetrics' ``scale_invariant_signal_noise_ratio`` defines it.

With s̄ = s − mean(s) and ŝ̄ = ŝ − mean(ŝ) (both made zero-mean) and ε the float32 eps:

    α        = (Σ ŝ̄s̄ + ε) / (Σ s̄² + ε)
    SI-SDR   = 10 · log10( (α² Σ s̄² + ε) / (Σ (α s̄ − ŝ̄)² + ε) )      [dB]
    SI-SDRi  = SI-SDR(ŝ, s) − SI-SDR(y, s)                           [dB]

Everything follows from sums over the samples: Σ s, Σ s² and Σ ŝ, Σ ŝ² per
signal and Σ sŝ per pair. With N samples:

    S_ss = Σ s² − (Σ s)²/N,  S_ŝŝ = Σ ŝ² − (Σ ŝ)²/N,  S_sŝ = Σ sŝ − Σ s Σ ŝ / N
    Σ (α s̄ − ŝ̄)² = α² S_ss − 2α S_sŝ + S_ŝŝ

The last line cancels for good estimates (at 60 dB the noise is 10⁻⁶ of
S_ŝŝ), so the sums must be far more accurate than float32 blocks: PCM16
signals are summed exactly in int64 (n · 2⁻¹⁵ per sample), float32 signals as
float64 dot products (relative error about 1e-15: 4e-9 dB at 60 dB). These
sums are only formed when a scale-invariant metric is asked for.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..io.wav import PCM16_SCALE
from ..labels import SILENCE
from .capi import ClassMatrix
from .sdr import EPS, as_float32


def wide(signal: np.ndarray) -> np.ndarray:
    """The samples in the exact wide form the sums use: int64 counts for PCM16 int16, float64 values otherwise."""
    flat = np.asarray(signal).ravel()
    if flat.dtype == np.int16:
        return flat.astype(np.int64)
    return np.asarray(flat, dtype=np.float32).astype(np.float64)


def _scale(wide_signal: np.ndarray) -> float:
    return float(PCM16_SCALE) if wide_signal.dtype == np.int64 else 1.0


@dataclass(frozen=True)
class Moments:
    """Σ x, Σ x² (accurate to float64) and the number of samples of one signal."""

    total: float
    energy: float
    n: int

    @property
    def centred_energy(self) -> float:
        return max(self.energy - self.total * self.total / self.n, 0.0) if self.n else 0.0


def moments(wide_signal: np.ndarray) -> Moments:
    """The :class:`Moments` of a signal given by :func:`wide`."""
    k = _scale(wide_signal)
    return Moments(float(wide_signal.sum()) * k, float(np.dot(wide_signal, wide_signal)) * k * k,
                   int(wide_signal.size))


def cross(wide_a: np.ndarray, wide_b: np.ndarray) -> float:
    """Σ a·b of two signals given by :func:`wide`."""
    if wide_a.dtype != wide_b.dtype:  # one PCM16, one float: compare as float64 values
        wide_a = wide_a * _scale(wide_a)
        wide_b = wide_b * _scale(wide_b)
    return float(np.dot(wide_a, wide_b)) * _scale(wide_a) * _scale(wide_b)


def si_sdr_from_sums(reference: Moments, estimate: Moments, cross_sum: float) -> float:
    """SI-SDR(ŝ, s) in dB from the moments of both signals and Σ sŝ."""
    n = reference.n
    if not n:
        return 0.0  # both ratios are ε/ε, as torchmetrics
    values = (reference.total, reference.energy, estimate.total, estimate.energy, cross_sum)
    if not all(math.isfinite(v) for v in values):
        return math.nan
    s_ss = reference.centred_energy
    s_ee = estimate.centred_energy
    s_se = cross_sum - reference.total * estimate.total / n
    alpha = (s_se + EPS) / (s_ss + EPS)
    target = alpha * alpha * s_ss
    noise = max(alpha * alpha * s_ss - 2.0 * alpha * s_se + s_ee, 0.0)
    return 10.0 * math.log10((target + EPS) / (noise + EPS))


def si_sdr(estimate: Any, reference: Any) -> float:
    """SI-SDR(ŝ, s) in dB (torchmetrics' ``scale_invariant_signal_noise_ratio``).

    >>> import numpy as np, s5eval.metrics.si_sdr as m
    >>> s = np.random.default_rng(0).standard_normal(32000).astype(np.float32)
    >>> round(m.si_sdr(0.5 * s + 0.3, s), 2) > 100   # a gain and an offset cost nothing
    True
    """
    est = as_float32(estimate)
    ref = as_float32(reference)
    if est.shape != ref.shape:
        raise ValueError(f"estimate and reference differ in shape: {est.shape} vs {ref.shape}")
    ref_w, est_w = wide(ref), wide(est)
    return si_sdr_from_sums(moments(ref_w), moments(est_w), cross(ref_w, est_w))


def si_sdri(estimate: Any, reference: Any, mixture: Any) -> float:
    """SI-SDRi(ŝ, s, y) = SI-SDR(ŝ, s) − SI-SDR(y, s) in dB."""
    return si_sdr(estimate, reference) - si_sdr(mixture, reference)


def official_si_sdr32(estimate: np.ndarray, reference: np.ndarray) -> np.float32:
    """SI-SDR exactly as the official code computes it: torchmetrics' formula in float32 torch on the CPU.

    Used only to decide near ties of the official selection (torch is imported then).
    """
    import torch

    from .official_f32 import float_values

    preds = torch.from_numpy(np.ascontiguousarray(float_values(estimate), dtype=np.float32)).reshape(1, -1)
    target = torch.from_numpy(np.ascontiguousarray(float_values(reference), dtype=np.float32)).reshape(1, -1)
    eps = torch.finfo(preds.dtype).eps
    target = target - torch.mean(target, dim=-1, keepdim=True)
    preds = preds - torch.mean(preds, dim=-1, keepdim=True)
    alpha = (torch.sum(preds * target, dim=-1, keepdim=True) + eps) / (
        torch.sum(target ** 2, dim=-1, keepdim=True) + eps)
    target_scaled = alpha * target
    noise = target_scaled - preds
    val = (torch.sum(target_scaled ** 2, dim=-1) + eps) / (torch.sum(noise ** 2, dim=-1) + eps)
    return np.float32((10 * torch.log10(val))[0].item())


class SIClassMatrix(ClassMatrix):
    """A :class:`ClassMatrix` of SI-SDR values: near ties are decided on the official float32 SI-SDR."""

    def official_sdr(self, e: int, r: int) -> np.float32:
        if (e, r) not in self._sdr32:
            self._sdr32[e, r] = official_si_sdr32(*self.signals(e, r))
        return self._sdr32[e, r]


def si_class_matrices(est_labels: Sequence[str], est_wavs: Sequence[np.ndarray],
                      ref_labels: Sequence[str], ref_wavs: Sequence[np.ndarray],
                      mixture: np.ndarray) -> dict[str, SIClassMatrix]:
    """Like :func:`~s5eval.metrics.capi.class_matrices`, with SI-SDR in place of SDR."""
    classes = (set(est_labels) | set(ref_labels)) - {SILENCE}
    mix_w = wide(mixture)
    mix_m = moments(mix_w)
    ref_w: dict[int, np.ndarray] = {}
    ref_m: dict[int, Moments] = {}
    est_w: dict[int, np.ndarray] = {}
    est_m: dict[int, Moments] = {}
    out: dict[str, SIClassMatrix] = {}
    for label in sorted(classes):
        est_index = [i for i, lb in enumerate(est_labels) if lb == label]
        ref_index = [j for j, lb in enumerate(ref_labels) if lb == label]
        for j in ref_index:
            ref_w[j] = wide(ref_wavs[j])
            ref_m[j] = moments(ref_w[j])
        for i in est_index:
            est_w[i] = wide(est_wavs[i])
            est_m[i] = moments(est_w[i])
        mix_si = np.array([si_sdr_from_sums(ref_m[j], mix_m, cross(ref_w[j], mix_w)) for j in ref_index])
        matrix = np.array([[si_sdr_from_sums(ref_m[j], est_m[i], cross(ref_w[j], est_w[i])) for j in ref_index]
                           for i in est_index], dtype=np.float64).reshape(len(est_index), len(ref_index))
        out[label] = SIClassMatrix(label, est_index, ref_index, matrix, mix_si,
                                   [est_wavs[i] for i in est_index], [ref_wavs[j] for j in ref_index])
    return out
