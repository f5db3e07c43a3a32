"""STFT helpers shared by the networks; always computed in float32, outside autocast."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def stft(wave: torch.Tensor, n_fft: int, hop: int, window: torch.Tensor) -> torch.Tensor:
    """Complex STFT of (..., T) samples -> (..., n_fft // 2 + 1, frames), in float32."""
    shape = wave.shape
    with torch.autocast(device_type=wave.device.type, enabled=False):
        spec = torch.stft(wave.reshape(-1, shape[-1]).float(), n_fft, hop, window=window, center=True,
                          return_complex=True)
    return spec.reshape(*shape[:-1], *spec.shape[-2:])


def istft(spec: torch.Tensor, n_fft: int, hop: int, window: torch.Tensor, length: int) -> torch.Tensor:
    """Inverse of :func:`stft`: (..., F, frames) complex -> (..., length) samples, float32."""
    shape = spec.shape
    with torch.autocast(device_type=spec.device.type, enabled=False):
        wave = torch.istft(spec.reshape(-1, *shape[-2:]).to(torch.complex64), n_fft, hop, window=window,
                           center=True, length=length)
    return wave.reshape(*shape[:-2], length)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0,
                   f_max: float | None = None) -> np.ndarray:
    """Triangular HTK-scale mel filters, shape (n_mels, n_fft // 2 + 1); frequencies in Hz."""
    f_max = f_max or sample_rate / 2.0

    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    bins = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - bins[None, :]) / np.maximum(upper - centre, 1e-9)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


class LogMel(nn.Module):
    """Log-mel spectrogram of (N, T) samples -> (N, 1, n_mels, frames), natural log of power."""

    def __init__(self, sample_rate: int, n_fft: int, hop: int, n_mels: int, f_min: float = 0.0,
                 f_max: float | None = None):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        fb = mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max)
        self.register_buffer("filters", torch.from_numpy(fb), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = stft(wave, self.n_fft, self.hop, self.window)
        with torch.autocast(device_type=wave.device.type, enabled=False):
            power = spec.real ** 2 + spec.imag ** 2
            mel = torch.einsum("mf,nft->nmt", self.filters, power)
            return torch.log(mel + 1e-8)[:, None]


def frames_for(length: int, hop: int) -> int:
    """Number of STFT frames (centre padding) for ``length`` samples."""
    return 1 + length // hop


def pad_to_multiple(size: int, multiple: int) -> int:
    return int(math.ceil(size / multiple) * multiple)
