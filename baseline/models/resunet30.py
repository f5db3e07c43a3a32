"""ResUNet30: the label-queried separator of the official DCASE 2026 Task 4 baseline, re-implemented.

This is an independent implementation of the architecture of the official
``ResUNet30`` separator (``src/models/resunet2/resunet_mod.py`` of the
nttcslab DCASE 2026 Task 4 baseline, configured by
``config/separation/resunetk_capisdr.yaml``). No code was copied; only the
``nn.Module`` attribute names are the official ones, so that ``state_dict()``
has exactly the official keys and shapes and a released checkpoint
(``resunetk.ckpt``) loads with ``strict=True`` once the Lightning prefix
``model.`` is removed (see :func:`separator_state_dict`).

What the network does, for a (B, C, T) mixture and a (B, label_len) label
vector — the S queries' one-hot class vectors concatenated, so ``label_len`` is
S × n_classes (54 = 3 × 18 in DCASE 2026); an all-zero query is silence:

1. The label vector goes through an MLP (Linear 512, LayerNorm, ReLU, twice)
   to a 512-d condition. One linear map per batch-norm of every FiLM-modulated
   block turns it into a per-channel shift β that is *added* after that
   batch-norm (shift only, no scale).
2. Every channel's STFT (Hann window 1024, hop 160, centred, reflect padding)
   is split into a magnitude and the phase's cosine and sine. The magnitudes,
   batch-normalised per frequency bin (513 bins), are padded in time to a
   multiple of 32 frames and the Nyquist bin is dropped (512 bins).
3. A residual U-Net: a 1×1 conv to 32 channels, six encoder blocks (32, 64,
   128, 256, 384, 384 channels; average pooling 2×2, the last one 1×2), a
   bottleneck block, six decoder blocks (2×2 or 1×2 transposed conv, concat
   with the skip, residual block), a 1×1 conv to S·C·3 maps. Each residual
   block is BN → +β1 → LeakyReLU(0.01) → 3×3 conv → BN → +β2 → LeakyReLU →
   3×3 conv, plus the input (through a 1×1 conv when the width changes).
4. Output head, per source s and input channel c: a magnitude mask
   sigmoid(m0) and a unit phasor from (tanh(m1), tanh(m2)); the source's
   spectrogram is |X_c|·mask with the phase of X_c rotated by the phasor.
   A 1×1 conv (``out_conv``, with bias) mixes the C channels to the output
   channels, separately on the real and the imaginary part; the inverse STFT
   gives the waveform at the input length, which is multiplied by 0 for
   silent queries.

Differences from the official code, all deliberate:

* The STFT and inverse STFT are ``torch.stft``/``torch.istft`` (same n_fft,
  hop, window, centring and padding, always float32 with autocast off)
  instead of torchlibrosa's convolution kernels. The official state_dict holds
  those kernels (``base.stft.conv_real.weight``, ``base.stft.conv_imag.weight``,
  ``base.istft.ola_window``, ``base.istft.conv_real.weight``,
  ``base.istft.conv_imag.weight``; frozen ``nn.Parameter`` s and one buffer
  there). Here they are persistent *buffers* under the same names, filled
  with the same values, so checkpoints load strictly in both directions, but
  they are not used in the computation and not counted as parameters:
  ``sum(p.numel() for p in parameters())`` is 26,740,971, the official
  model's trainable count (the official ``parameters()`` also yields the
  3,147,776 frozen kernel values, 29,888,747 in all). Loading kernels that are
  not the Hann STFT kernels warns, since they would be ignored.
* The waveform is always (B, S, output_channels, T); the official code drops
  the S axis when S == 1.
* The head (masks, phase rotation, ``out_conv``, inverse STFT) runs in
  float32 with autocast off, so a bf16 autocast only affects the U-Net.
* The shifts that the official code computes but never uses (each decoder
  block's ``beta2``) are not computed; their linear maps and the decoder
  blocks' unused ``bn2`` exist only for the checkpoint format and receive no
  gradient, as in the official code (DDP needs ``find_unused_parameters``).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checkpoints import LIGHTNING_PREFIX, match_state_dict, read_checkpoint, state_dict_of

N_FFT = 1024
HOP = 160
FILM_DIM = 512
MASK_MAPS = 3  # per source and input channel: magnitude-mask logit, phasor real, phasor imaginary
BN_MOMENTUM = 0.01
_TIME_MULTIPLE = 2 ** 5  # five encoder levels halve the time axis

# encoder widths and pooling, bottleneck, decoder widths and upsampling of the official configuration
_ENCODERS = ((32, 32, (2, 2)), (32, 64, (2, 2)), (64, 128, (2, 2)), (128, 256, (2, 2)),
             (256, 384, (2, 2)), (384, 384, (1, 2)))
_DECODERS = ((384, 384, (1, 2)), (384, 384, (2, 2)), (384, 256, (2, 2)), (256, 128, (2, 2)),
             (128, 64, (2, 2)), (64, 32, (2, 2)))


def _xavier(layer: nn.Module) -> None:
    nn.init.xavier_uniform_(layer.weight)
    if getattr(layer, "bias", None) is not None:
        nn.init.zeros_(layer.bias)


def _unit_norm(bn: nn.BatchNorm2d) -> None:
    nn.init.ones_(bn.weight)
    nn.init.zeros_(bn.bias)


# ---------------------------------------------------------------------------------------------
# Fixed DFT kernels: kept only so that the official state_dict keys exist (and hold the values
# the official torchlibrosa modules would hold); the transforms themselves use torch.stft/istft.


def _periodic_hann(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def _phase_table(n: int, rows: int) -> np.ndarray:
    """2π·(k·t mod n)/n for k < rows, t < n (exact integer reduction before the float multiply)."""
    k, t = np.arange(rows)[:, None], np.arange(n)[None, :]
    return 2.0 * np.pi * ((k * t) % n) / n


def analysis_kernels(n_fft: int = N_FFT) -> tuple[torch.Tensor, torch.Tensor]:
    """(real, imaginary) windowed DFT kernels, each (n_fft//2+1, 1, n_fft): bin k, sample t."""
    phase, win = _phase_table(n_fft, n_fft // 2 + 1), _periodic_hann(n_fft)[None, :]
    real, imag = np.cos(phase) * win, -np.sin(phase) * win
    return (torch.from_numpy(real.astype(np.float32))[:, None, :],
            torch.from_numpy(imag.astype(np.float32))[:, None, :])


def synthesis_kernels(n_fft: int = N_FFT) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(real, imaginary) windowed inverse-DFT kernels, each (n_fft, n_fft, 1) indexed [sample t, bin k],
    and the overlap-add window (the squared Hann window), (n_fft,)."""
    win = _periodic_hann(n_fft)
    phase = _phase_table(n_fft, n_fft).T  # [t, k]; symmetric anyway
    real, imag = np.cos(phase) * win[:, None] / n_fft, np.sin(phase) * win[:, None] / n_fft
    return (torch.from_numpy(real.astype(np.float32))[:, :, None],
            torch.from_numpy(imag.astype(np.float32))[:, :, None],
            torch.from_numpy((win ** 2).astype(np.float32)))


class _KernelSlot(nn.Module):
    """Holds one fixed tensor as the persistent buffer ``weight`` (the name a Conv1d would give it)."""

    def __init__(self, value: torch.Tensor):
        super().__init__()
        self.register_buffer("weight", value)


def _working_dtype(t: torch.Tensor) -> torch.dtype:
    """float32 for every input (bf16/fp16 included), float64 kept for float64 inputs (checks)."""
    return torch.float64 if t.dtype in (torch.float64, torch.complex128) else torch.float32


def _hann(n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Periodic Hann window, made per call so that casting the model (e.g. to bf16) cannot round it."""
    return torch.hann_window(n, periodic=True, dtype=dtype, device=device)


def _warn_if_not(expected: dict[str, torch.Tensor], module: nn.Module, what: str) -> None:
    """After a state_dict load: warn when the loaded kernels are not the ones ``expected`` (recomputed,
    since the registered buffers themselves were overwritten by the load)."""
    own = module.state_dict()
    worst = max(float((own[k].detach().float().cpu() - v).abs().max()) if own[k].shape == v.shape else math.inf
                for k, v in expected.items())
    dtype = own["conv_real.weight"].dtype
    if worst > max(1e-4, 2 * torch.finfo(dtype).eps if dtype.is_floating_point else 0.0):  # a bf16 model rounds
        warnings.warn(f"the loaded {what} kernels differ from the Hann STFT kernels (max deviation {worst:.3g}); "
                      "ResUNet30 computes its transforms with torch.stft/torch.istft and ignores them",
                      RuntimeWarning, stacklevel=3)


class SpectrumAnalyzer(nn.Module):
    """(N, T) samples -> (N, frames, n_fft//2+1) complex64 (complex128 for float64 input): Hann window,
    centred, reflect padding.

    ``conv_real.weight``/``conv_imag.weight`` are the official checkpoint's analysis kernels,
    kept as buffers for strict loading; the transform is ``torch.stft`` in float32."""

    def __init__(self, n_fft: int = N_FFT, hop: int = HOP):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        real, imag = analysis_kernels(n_fft)
        self.conv_real, self.conv_imag = _KernelSlot(real), _KernelSlot(imag)
        self.register_load_state_dict_post_hook(
            lambda module, _keys: _warn_if_not(
                dict(zip(("conv_real.weight", "conv_imag.weight"), analysis_kernels(module.n_fft))), module, "STFT"))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        if wave.shape[-1] <= self.n_fft // 2:
            raise ValueError(f"signals must be longer than {self.n_fft // 2} samples for the reflect-padded "
                             f"STFT, got {wave.shape[-1]}")
        with torch.autocast(device_type=wave.device.type, enabled=False):
            dtype = _working_dtype(wave)
            spec = torch.stft(wave.to(dtype), self.n_fft, self.hop, window=_hann(self.n_fft, dtype, wave.device),
                              center=True, pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
        return spec.transpose(-1, -2)


class SpectrumSynthesizer(nn.Module):
    """Inverse of :class:`SpectrumAnalyzer`: (N, frames, n_fft//2+1) complex -> (N, length) float32
    (float64 for complex128 input).

    Weighted overlap-add divided by the summed squared window, as torchlibrosa's ISTFT does
    (the imaginary parts of the DC and Nyquist bins are ignored by both)."""

    def __init__(self, n_fft: int = N_FFT, hop: int = HOP):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        real, imag, ola = synthesis_kernels(n_fft)
        self.register_buffer("ola_window", ola)
        self.conv_real, self.conv_imag = _KernelSlot(real), _KernelSlot(imag)
        self.register_load_state_dict_post_hook(
            lambda module, _keys: _warn_if_not(
                dict(zip(("conv_real.weight", "conv_imag.weight", "ola_window"), synthesis_kernels(module.n_fft))),
                module, "ISTFT"))

    def forward(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        with torch.autocast(device_type=spec.device.type, enabled=False):
            dtype = _working_dtype(spec)
            complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
            return torch.istft(spec.transpose(-1, -2).to(complex_dtype), self.n_fft, self.hop,
                               window=_hann(self.n_fft, dtype, spec.device), center=True, normalized=False,
                               onesided=True, length=length)


def polar_parts(real: torch.Tensor, imag: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Magnitude, cosine and sine of the phase of the mixture's STFT.

    As in the official input path, the *squared* magnitude is clamped at 1e-10 (so the magnitude
    is at least 1e-5 and a silent bin has phase cos = sin = 0)."""
    mag = (real ** 2 + imag ** 2).clamp(min=1e-10) ** 0.5
    return mag, real / mag, imag / mag


def unit_phasor(real: torch.Tensor, imag: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine and sine of the angle of real + j·imag; the divisor (not the square) is clamped at 1e-10,
    as the official mask path does."""
    divisor = ((real ** 2 + imag ** 2) ** 0.5).clamp(min=1e-10)
    return real / divisor, imag / divisor


# ---------------------------------------------------------------------------------------------
# U-Net blocks (attribute names are the official ones; the FiLM shifts arrive as a flat dict)


class ShiftedResidualBlock(nn.Module):
    """BN→+β1→LeakyReLU→conv3×3→BN→+β2→LeakyReLU→conv3×3, plus the (1×1-projected) input.

    Official name: ConvBlockRes. Attributes: bn1, bn2, conv1, conv2[, shortcut]."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in, momentum=BN_MOMENTUM)
        self.bn2 = nn.BatchNorm2d(c_out, momentum=BN_MOMENTUM)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        if c_in != c_out:
            self.shortcut = nn.Conv2d(c_in, c_out, 1)
        for layer in (self.conv1, self.conv2) + ((self.shortcut,) if c_in != c_out else ()):
            _xavier(layer)
        _unit_norm(self.bn1)
        _unit_norm(self.bn2)
        self.film_key = ""  # its path in the U-Net, set by ShiftBank (the key of its shifts)
        self.film_widths = {"beta1": c_in, "beta2": c_out}

    def forward(self, x: torch.Tensor, shifts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        beta1, beta2 = shifts[self.film_key + "->beta1"], shifts[self.film_key + "->beta2"]
        h = self.conv1(F.leaky_relu(self.bn1(x) + beta1, 0.01))
        h = self.conv2(F.leaky_relu(self.bn2(h) + beta2, 0.01))
        skip = self.shortcut(x) if hasattr(self, "shortcut") else x
        return skip + h


class DownBlock(nn.Module):
    """Residual block, then average pooling; returns (pooled, pre-pool). Official: EncoderBlockRes1B."""

    def __init__(self, c_in: int, c_out: int, pool: tuple[int, int]):
        super().__init__()
        self.conv_block1 = ShiftedResidualBlock(c_in, c_out)
        self.pool = pool

    def forward(self, x: torch.Tensor, shifts: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv_block1(x, shifts)
        pooled = h if self.pool == (1, 1) else F.avg_pool2d(h, kernel_size=self.pool)
        return pooled, h


class UpBlock(nn.Module):
    """BN→+β1→LeakyReLU→transposed conv (kernel = stride), concat with the skip, residual block.

    Official: DecoderBlockRes1B. Attributes: conv1, bn1, conv_block2, bn2 — ``bn2`` (and the shift
    ``beta2`` sized after it) exist in the official checkpoint but are never used."""

    def __init__(self, c_in: int, c_out: int, stride: tuple[int, int]):
        super().__init__()
        self.conv1 = nn.ConvTranspose2d(c_in, c_out, kernel_size=stride, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(c_in, momentum=BN_MOMENTUM)
        self.conv_block2 = ShiftedResidualBlock(2 * c_out, c_out)
        self.bn2 = nn.BatchNorm2d(c_in, momentum=BN_MOMENTUM)  # unused, kept for the checkpoint format
        _xavier(self.conv1)
        _unit_norm(self.bn1)
        self.film_key = ""
        self.film_widths = {"beta1": c_in, "beta2": c_in}
        self.unused_shifts = ("beta2",)

    def forward(self, x: torch.Tensor, skip: torch.Tensor, shifts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        up = self.conv1(F.leaky_relu(self.bn1(x) + shifts[self.film_key + "->beta1"], 0.01))
        return self.conv_block2(torch.cat((up, skip), dim=1), shifts)


class MaskUNet(nn.Module):
    """Magnitude U-Net and mask/phase head on the mixture's STFT. Official: ResUNet30_Base."""

    def __init__(self, input_channels: int, output_channels: int, target_sources_num: int):
        super().__init__()
        self.input_channels, self.output_channels = input_channels, output_channels
        self.target_sources_num = target_sources_num
        self.stft = SpectrumAnalyzer(N_FFT, HOP)
        self.istft = SpectrumSynthesizer(N_FFT, HOP)
        self.bn0 = nn.BatchNorm2d(N_FFT // 2 + 1, momentum=BN_MOMENTUM)
        self.pre_conv = nn.Conv2d(input_channels, _ENCODERS[0][0], 1)
        for i, (c_in, c_out, pool) in enumerate(_ENCODERS, start=1):
            self.add_module(f"encoder_block{i}", DownBlock(c_in, c_out, pool))
        self.conv_block7a = DownBlock(_ENCODERS[-1][1], _ENCODERS[-1][1], (1, 1))
        for i, (c_in, c_out, stride) in enumerate(_DECODERS, start=1):
            self.add_module(f"decoder_block{i}", UpBlock(c_in, c_out, stride))
        self.after_conv = nn.Conv2d(_DECODERS[-1][1], input_channels * MASK_MAPS * target_sources_num, 1)
        self.out_conv = nn.Conv2d(input_channels, output_channels, 1)  # default init, as in the official code
        _unit_norm(self.bn0)
        _xavier(self.pre_conv)
        _xavier(self.after_conv)

    def spectrum(self, mixture: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, C, T) -> magnitude, cos, sin of the phase, each (B, C, frames, n_fft//2+1), float32."""
        b, c, t = mixture.shape
        spec = self.stft(mixture.reshape(b * c, t)).reshape(b, c, -1, N_FFT // 2 + 1)
        return polar_parts(spec.real, spec.imag)

    def unet(self, mag: torch.Tensor, shifts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Magnitudes (B, C, frames, 513) -> head maps (B, S·C·3, frames, 513)."""
        n_frames = mag.shape[2]
        x = mag.to(self.bn0.weight.dtype)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)  # batch-norm per frequency bin
        x = F.pad(x, (0, 0, 0, (-n_frames) % _TIME_MULTIPLE))[..., :-1]  # frames to a multiple of 32; 512 bins
        x = self.pre_conv(x)
        skips = []
        for i in range(1, len(_ENCODERS) + 1):
            x, before_pool = getattr(self, f"encoder_block{i}")(x, shifts)
            skips.append(before_pool)
        x, _ = self.conv_block7a(x, shifts)
        for i in range(1, len(_DECODERS) + 1):
            x = getattr(self, f"decoder_block{i}")(x, skips[-i], shifts)
        x = self.after_conv(x)
        return F.pad(x, (0, 1))[:, :, :n_frames]  # the Nyquist bin back (zeros), the time padding off

    def head(self, maps: torch.Tensor, mag: torch.Tensor, cos_in: torch.Tensor, sin_in: torch.Tensor,
             length: int) -> torch.Tensor:
        """Head maps and the mixture's polar STFT -> (B, S, output_channels, length), float32 (float64 when
        the U-Net ran in float64)."""
        b, _, n_frames, n_freq = maps.shape
        s, c = self.target_sources_num, self.input_channels
        with torch.autocast(device_type=maps.device.type, enabled=False):
            dtype = _working_dtype(maps)
            maps = maps.to(dtype).reshape(b, s, c, MASK_MAPS, n_frames, n_freq)
            gain = torch.sigmoid(maps[:, :, :, 0])
            rot_cos, rot_sin = unit_phasor(torch.tanh(maps[:, :, :, 1]), torch.tanh(maps[:, :, :, 2]))
            cos_in, sin_in = cos_in[:, None], sin_in[:, None]
            new_cos = cos_in * rot_cos - sin_in * rot_sin  # cos(∠X + ∠M)
            new_sin = sin_in * rot_cos + cos_in * rot_sin  # sin(∠X + ∠M)
            new_mag = F.relu(mag[:, None] * gain)
            weight, bias = self.out_conv.weight.to(dtype), self.out_conv.bias.to(dtype)
            real = F.conv2d((new_mag * new_cos).reshape(b * s, c, n_frames, n_freq), weight, bias)
            imag = F.conv2d((new_mag * new_sin).reshape(b * s, c, n_frames, n_freq), weight, bias)
            spec = torch.complex(real, imag).reshape(b * s * self.output_channels, n_frames, n_freq)
            wave = self.istft(spec, length)
        return wave.reshape(b, s, self.output_channels, length)

    def forward(self, mixture: torch.Tensor, shifts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        mag, cos_in, sin_in = self.spectrum(mixture)
        maps = self.unet(mag, shifts)
        return self.head(maps, mag, cos_in, sin_in, mixture.shape[-1])


class ShiftBank(nn.Module):
    """One Linear(condition → channels) per batch-norm of each FiLM-modulated block. Official: FiLM.

    The layers are registered under the official names, the block's path with ``->`` as separator
    plus ``->beta1``/``->beta2`` (e.g. ``decoder_block3->conv_block2->beta1``), in pre-order."""

    def __init__(self, unet: nn.Module, cond_dim: int):
        super().__init__()
        self.used: list[str] = []
        for path, module in unet.named_modules():
            widths = getattr(module, "film_widths", None)
            if widths is None:
                continue
            module.film_key = path.replace(".", "->")
            for tag, width in widths.items():
                name = f"{module.film_key}->{tag}"
                layer = nn.Linear(cond_dim, width)
                _xavier(layer)
                self.add_module(name, layer)
                if tag not in getattr(module, "unused_shifts", ()):
                    self.used.append(name)

    def forward(self, condition: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: self.get_submodule(name)(condition)[:, :, None, None] for name in self.used}


class ResUNet30(nn.Module):
    """Official-format ResUNet30: {"mixture": (B, C, T), "label_vector": (B, label_len)} ->
    {"waveform": (B, S, output_channels, T), "source_mask": (B, S)} with S = ``target_sources_num``.

    ``label_vector`` is the concatenation of the S queries' one-hot class vectors, so ``label_len``
    is S × n_classes (official: 54 = 3 × 18); an all-zero query is silence and its output is zeroed.
    State_dict keys and shapes are those of the official model; see the module docstring for what
    differs and :func:`separator_state_dict` for loading a Lightning checkpoint."""

    def __init__(self, input_channels: int = 4, output_channels: int = 1, target_sources_num: int = 3,
                 label_len: int = 54):
        super().__init__()
        self.input_channels, self.output_channels = input_channels, output_channels
        if label_len % target_sources_num:
            raise ValueError(f"label_len ({label_len}) must be target_sources_num ({target_sources_num}) "
                             "× the number of classes")
        self.target_sources_num, self.label_len = target_sources_num, label_len
        self.base = MaskUNet(input_channels, output_channels, target_sources_num)
        self.label_embedding = nn.Sequential(
            nn.Linear(label_len, FILM_DIM), nn.LayerNorm(FILM_DIM), nn.ReLU(),
            nn.Linear(FILM_DIM, FILM_DIM), nn.LayerNorm(FILM_DIM), nn.ReLU())
        self.film = ShiftBank(self.base, FILM_DIM)

    def source_mask(self, label_vector: torch.Tensor) -> torch.Tensor:
        """(B, label_len) -> (B, S): 1 for a query with any non-zero entry, 0 for silence."""
        with torch.no_grad():
            per_source = label_vector.detach().reshape(label_vector.shape[0], self.target_sources_num, -1)
            return (per_source.sum(dim=2) != 0).to(label_vector.dtype)

    def forward(self, input_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        mixture, label_vector = input_dict["mixture"], input_dict["label_vector"]
        if mixture.dim() != 3 or mixture.shape[1] != self.input_channels:
            raise ValueError(f"mixture must be (batch, {self.input_channels}, samples), got {tuple(mixture.shape)}")
        expected = (mixture.shape[0], self.label_len)
        if tuple(label_vector.shape) != expected:
            raise ValueError(f"label_vector must be {expected}: the {self.target_sources_num} queries' one-hot "
                             f"vectors concatenated, got {tuple(label_vector.shape)}")
        mask = self.source_mask(label_vector)
        shifts = self.film(self.label_embedding(label_vector.to(self.label_embedding[0].weight.dtype)))
        wave = self.base(mixture, shifts)
        return {"waveform": wave * mask[:, :, None, None].to(wave.dtype), "source_mask": mask}

    def unused_parameter_names(self) -> list[str]:
        """Parameters that exist for the checkpoint format only and never receive a gradient."""
        names = []
        for path, module in self.base.named_modules():
            for tag in getattr(module, "unused_shifts", ()):
                names += [f"film.{module.film_key}->{tag}.{p}" for p in ("weight", "bias")]
                names += [f"base.{path}.bn2.{p}" for p in ("weight", "bias")] if tag == "beta2" else []
        return names


def separator_state_dict(checkpoint: Mapping[str, Any] | str, trust: bool = False) -> dict[str, torch.Tensor]:
    """The ResUNet30 state_dict inside an official checkpoint (path or loaded dict).

    Accepts a Lightning checkpoint (``{"state_dict": {"model.<key>": ...}, ...}``, the format of
    ``resunetk.ckpt``), a bare ``{"state_dict": ...}`` or a plain state_dict, with or without the
    prefix. A path is read with ``weights_only=True`` unless ``trust``
    (:func:`~baseline.models.checkpoints.read_checkpoint`). Load the result with
    ``model.load_state_dict(sd, strict=True)``."""
    if isinstance(checkpoint, (str, bytes)) or hasattr(checkpoint, "__fspath__"):
        checkpoint = read_checkpoint(checkpoint, trust)
    with torch.device("meta"):  # only the names are needed
        names = ResUNet30().state_dict().keys()
    return match_state_dict(state_dict_of(checkpoint), names)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = ["LIGHTNING_PREFIX", "ResUNet30", "analysis_kernels", "count_parameters", "separator_state_dict",
           "synthesis_kernels"]
