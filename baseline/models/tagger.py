"""Track-wise multi-channel audio tagger (CA-PI-SDRi paper §3.1).

Every microphone channel is folded into the batch and passed through the same
backbone; the per-channel embeddings are concatenated along the feature axis
and a head predicts K_max tracks, each a distribution over the classes plus
``silence`` (the last index). Trained with permutation-invariant cross-entropy,
so the same class may appear on several tracks.

Backbones: ``cnn`` (compact CNN, trains from scratch; the default), ``spectral``
(per-band mean and maximum over time of the log-mel spectrum: no convolution,
learns in a few hundred steps, for CPU-budget configs) or ``m2d`` (the M2D ViT
encoder, loading the published weight file, see :mod:`.m2d`).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .spectral import LogMel


class ConvPool(nn.Module):
    """Two 3×3 conv + batch-norm + ReLU layers followed by 2×2 average pooling."""

    def __init__(self, c_in: int, c_out: int, pool: bool = True):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        )
        self.pool = nn.AvgPool2d(2) if pool else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.body(x))


class CNNBackbone(nn.Module):
    """A compact CNN over one log-mel channel -> one embedding per channel (size ``widths[-1]``)."""

    def __init__(self, sample_rate: int, n_fft: int, hop: int, n_mels: int, widths: Sequence[int]):
        super().__init__()
        self.frontend = LogMel(sample_rate, n_fft, hop, n_mels, f_min=20.0)
        self.input_norm = nn.BatchNorm2d(n_mels)  # one normalisation per mel band
        layers, c_in = [], 1
        for c_out in widths:
            layers.append(ConvPool(c_in, c_out))
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.out_dim = c_in

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = self.input_norm(self.frontend(wave).transpose(1, 2)).transpose(1, 2)  # (N, 1, mels, frames)
        x = self.body(x).mean(2)  # average over frequency: (N, C, frames)
        return x.amax(-1) + x.mean(-1)  # max + mean over time: (N, C)


class SpectralStatsBackbone(nn.Module):
    """Per-band mean and maximum over time of the log-mel spectrum of one channel, (N, 2 · n_mels)."""

    def __init__(self, sample_rate: int, n_fft: int, hop: int, n_mels: int):
        super().__init__()
        self.frontend = LogMel(sample_rate, n_fft, hop, n_mels, f_min=20.0)
        self.out_dim = 2 * n_mels

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = self.frontend(wave)[:, 0]  # (N, mels, frames)
        return torch.cat([x.mean(-1), x.amax(-1)], -1)


class TrackTagger(nn.Module):
    """Multi-channel track-wise tagger: (B, M, T) samples -> (B, K_max, n_classes + 1) logits."""

    def __init__(self, n_classes: int, k_max: int = 3, n_channels: int = 4, sample_rate: int = 32000,
                 backbone: str = "cnn", n_fft: int = 1024, hop: int = 320, n_mels: int = 64,
                 widths: Sequence[int] = (32, 64, 128, 256), head_hidden: int = 256, dropout: float = 0.2,
                 m2d_weights: str | None = None):
        super().__init__()
        self.n_classes, self.k_max, self.n_channels = n_classes, k_max, n_channels
        if backbone == "cnn":
            self.backbone: nn.Module = CNNBackbone(sample_rate, n_fft, hop, n_mels, widths)
        elif backbone == "spectral":
            self.backbone = SpectralStatsBackbone(sample_rate, n_fft, hop, n_mels)
        elif backbone == "m2d":
            from .m2d import M2DBackbone
            self.backbone = M2DBackbone(sample_rate=sample_rate, weights=m2d_weights)
        else:
            raise ValueError(f"tagger backbone must be 'cnn', 'spectral' or 'm2d', not {backbone!r}")
        feat = self.backbone.out_dim * n_channels
        self.head = nn.Sequential(
            nn.BatchNorm1d(feat),
            nn.Linear(feat, head_hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(head_hidden, head_hidden), nn.ReLU(inplace=True),
            nn.Linear(head_hidden, k_max * (n_classes + 1)),
        )

    @property
    def silence_index(self) -> int:
        return self.n_classes

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        b, m, t = mixture.shape
        if m != self.n_channels:
            raise ValueError(f"the tagger expects {self.n_channels} channels, got {m}")
        emb = self.backbone(mixture.reshape(b * m, t))  # channels folded into the batch
        emb = emb.reshape(b, m * emb.shape[-1])  # concatenated along the feature axis
        return self.head(emb).reshape(b, self.k_max, self.n_classes + 1)
