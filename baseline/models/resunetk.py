"""ResUNetK: the label-queried separator with K_max outputs.

The complex STFT of the M-channel mixture (power-compressed real and imaginary
parts) goes through a residual U-Net whose every block is modulated by FiLM
(scale and shift) computed from the stacked one-hot queries of the K_max
tracks (a ``silence`` query is all zeros). The network predicts, for every
track k and every microphone m, a magnitude mask and a phase residual; track
k's spectrogram is Σ_m mask[k, m] · X_m, and the inverse STFT gives K_max mono
waveforms at the mixture's length. An optional dual-path RNN (BiLSTM over
time, then over frequency) sits in the bottleneck.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .spectral import istft, pad_to_multiple, stft


class FiLM(nn.Module):
    """Feature-wise scale and shift: x · (1 + γ(q)) + β(q), per channel."""

    def __init__(self, cond_dim: int, channels: int):
        super().__init__()
        self.proj = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.proj(cond).chunk(2, dim=-1)
        return x * (1.0 + gamma[:, :, None, None]) + beta[:, :, None, None]


class FiLMResBlock(nn.Module):
    """Pre-activation residual block (two 3×3 convs), each conv followed by FiLM."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int):
        super().__init__()
        self.norm1, self.conv1 = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.norm2, self.conv2 = nn.BatchNorm2d(c_out), nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.film1, self.film2 = FiLM(cond_dim, c_out), FiLM(cond_dim, c_out)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.film1(self.conv1(F.leaky_relu(self.norm1(x), 0.01)), cond)
        h = self.film2(self.conv2(F.leaky_relu(self.norm2(h), 0.01)), cond)
        return self.skip(x) + h


class DPRNN(nn.Module):
    """Dual-path RNN block on (B, C, F, N): a BiLSTM along time, then one along frequency, each residual."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.time_rnn = nn.LSTM(channels, hidden, batch_first=True, bidirectional=True)
        self.time_proj, self.time_norm = nn.Linear(2 * hidden, channels), nn.LayerNorm(channels)
        self.freq_rnn = nn.LSTM(channels, hidden, batch_first=True, bidirectional=True)
        self.freq_proj, self.freq_norm = nn.Linear(2 * hidden, channels), nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, f, n = x.shape
        seq = x.permute(0, 2, 3, 1).reshape(b * f, n, c)  # along time
        seq = seq + self.time_norm(self.time_proj(self.time_rnn(seq)[0]))
        seq = seq.reshape(b, f, n, c).transpose(1, 2).reshape(b * n, f, c)  # along frequency
        seq = seq + self.freq_norm(self.freq_proj(self.freq_rnn(seq)[0]))
        return seq.reshape(b, n, f, c).permute(0, 3, 2, 1)


class ResUNetK(nn.Module):
    """(B, M, T) mixture + (B, K) query class indices -> (B, K, T) separated mono waveforms."""

    def __init__(self, n_classes: int, k_max: int = 3, n_channels: int = 4, n_fft: int = 1024, hop: int = 320,
                 widths: Sequence[int] = (32, 64, 128, 256, 384), cond_hidden: int = 256,
                 bottleneck: str = "none", rnn_hidden: int = 128, compress: float = 0.3, patch: int = 1):
        super().__init__()
        if bottleneck not in ("none", "dprnn"):
            raise ValueError(f"bottleneck must be 'none' or 'dprnn', not {bottleneck!r}")
        self.n_classes, self.k_max, self.n_channels = n_classes, k_max, n_channels
        self.n_fft, self.hop, self.compress = n_fft, hop, compress
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.cond = nn.Sequential(nn.Linear(k_max * n_classes, cond_hidden), nn.ReLU(inplace=True),
                                  nn.Linear(cond_hidden, cond_hidden), nn.ReLU(inplace=True))
        self.input_norm = nn.BatchNorm2d(2 * n_channels)
        # patch > 1: the U-Net runs on patch×patch blocks of time-frequency bins (cheaper, for CPU configs)
        self.patch = patch
        self.stem = nn.Conv2d(2 * n_channels, widths[0], 3, padding=1) if patch == 1 else \
            nn.Conv2d(2 * n_channels, widths[0], patch, stride=patch)
        self.down_blocks, self.downs = nn.ModuleList(), nn.ModuleList()
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            self.down_blocks.append(FiLMResBlock(c_in, c_in, cond_hidden))
            self.downs.append(nn.Conv2d(c_in, c_out, 2, stride=2))
        self.mid = FiLMResBlock(widths[-1], widths[-1], cond_hidden)
        self.dprnn = DPRNN(widths[-1], rnn_hidden) if bottleneck == "dprnn" else None
        self.ups, self.up_blocks = nn.ModuleList(), nn.ModuleList()
        for c_in, c_out in zip(reversed(widths[1:]), reversed(widths[:-1])):
            self.ups.append(nn.ConvTranspose2d(c_in, c_out, 2, stride=2))
            self.up_blocks.append(FiLMResBlock(2 * c_out, c_out, cond_hidden))
        # per track and microphone: magnitude-mask logit, phase residual (real, imaginary)
        self.head = nn.Conv2d(widths[0], k_max * n_channels * 3, 1) if patch == 1 else \
            nn.ConvTranspose2d(widths[0], k_max * n_channels * 3, patch, stride=patch)
        self.levels = len(widths) - 1
        with torch.no_grad():  # start with a zero phase residual: real part 1, imaginary part 0
            self.head.bias.view(k_max, n_channels, 3)[:, :, 1] = 1.0

    def queries_to_condition(self, queries: torch.Tensor) -> torch.Tensor:
        """Stacked one-hot of the K tracks' classes, (B, K * n_classes); silence is all zeros."""
        onehot = F.one_hot(queries.clamp(0, self.n_classes), self.n_classes + 1)[..., : self.n_classes]
        return onehot.reshape(queries.shape[0], -1).float()

    def forward(self, mixture: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
        b, m, length = mixture.shape
        if m != self.n_channels:
            raise ValueError(f"the separator expects {self.n_channels} channels, got {m}")
        if queries.shape != (b, self.k_max):
            raise ValueError(f"queries must have shape ({b}, {self.k_max}), got {tuple(queries.shape)}")
        spec = stft(mixture, self.n_fft, self.hop, self.window)  # (B, M, F, N) complex64
        n_freq, n_frames = spec.shape[-2:]
        mag = spec.abs().clamp_min(1e-8)
        compressed = spec * (mag ** (self.compress - 1.0))
        x = torch.cat([compressed.real, compressed.imag], 1)  # (B, 2M, F, N)
        mult = 2 ** self.levels * self.patch
        f_pad, n_pad = pad_to_multiple(n_freq, mult), pad_to_multiple(n_frames, mult)
        x = F.pad(x, (0, n_pad - n_frames, 0, f_pad - n_freq))
        cond = self.cond(self.queries_to_condition(queries))
        h = self.stem(self.input_norm(x))
        skips = []
        for block, down in zip(self.down_blocks, self.downs):
            h = block(h, cond)
            skips.append(h)
            h = down(h)
        h = self.mid(h, cond)
        if self.dprnn is not None:
            h = self.dprnn(h)
        for up, block, skip in zip(self.ups, self.up_blocks, reversed(skips)):
            h = block(torch.cat([up(h), skip], 1), cond)
        out = self.head(h)[..., :n_freq, :n_frames].float()
        out = out.reshape(b, self.k_max, m, 3, n_freq, n_frames)
        with torch.autocast(device_type=mixture.device.type, enabled=False):
            gain = torch.sigmoid(out[:, :, :, 0])
            phase = torch.complex(out[:, :, :, 1], out[:, :, :, 2])
            phase = phase / torch.sqrt(out[:, :, :, 1] ** 2 + out[:, :, :, 2] ** 2 + 1e-6)
            masks = gain * phase  # (B, K, M, F, N)
            tracks = (masks * spec[:, None]).sum(2)  # (B, K, F, N)
            return istft(tracks, self.n_fft, self.hop, self.window, length)
