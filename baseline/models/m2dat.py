"""M2D-AT, the DCASE 2026 Task 4 baseline audio tagger, in our own code.

Two variants, as released with the official baseline (nttcslab/dcase2026_task4_baseline):

* ``M2dAt`` (``m2dat_1c``): one M2D ViT-B/16 pass over the reference channel
  (``ref_channel=0``) of the mixture, head ``average_linear``;
* ``M2dAtSpatial`` (``m2dat_4c``): the same encoder applied to each of the four
  channels, the per-channel features concatenated (channel-major) before the
  head ``catchan_average_linear``.

The module and buffer *names* follow the official classes exactly, so the
``state_dict()`` keys and shapes are the official ones and a released Lightning
checkpoint (``m2dat_1c.ckpt`` / ``m2dat_4c.ckpt``, keys prefixed ``model.``)
loads with ``strict=True`` once the prefix is stripped
(:func:`load_m2dat_checkpoint`). The recorded official key lists live in
``tests/data/official_keys/``.

A tagger checkpoint holds everything needed at inference: the ViT weights, the
log-mel normalisation statistics (``backbone.norm_stats``, a frozen parameter)
and the front end's STFT kernels and mel filterbank (``to_spec.*`` buffers).
The pretrained M2D weight file is only needed to start a training run
(``weight_file=``).

Front end (the M2D "p32k" runtime): 32 kHz, n_fft = window = 800 (periodic Hann),
hop 320, ``center=True`` with reflect padding, power spectrum, 80 Slaney mel
bands 50 Hz-16 kHz (Slaney area normalisation), ``log(x + 1.19e-7)``, then
``(x - norm_stats[0]) / norm_stats[1]``. It always runs in float32, also under
autocast. A 10 s clip gives 1001 frames; the spectrogram is zero-padded to a
multiple of 16 frames and cut into chunks of 1001 frames (``input_size[1]``),
each chunk encoded separately (a chunk shorter than 1001 frames uses the first
columns of the position embedding; frames beyond the last full 16-frame patch of a
chunk are dropped by the patch embedding), and the patch tokens of all chunks are
concatenated in time as (B, time patches, 5 * 768) features: the five
frequency-patch embeddings of a time step are stacked.

Head (``HeadAvgLinear`` in the official code): mean over time -> BatchNorm1d
without affine (``m2d_out_norm``) -> Linear to ``num_outputs * track_input_dim``,
LayerNorm, ReLU (``linear``) -> per track Linear, LayerNorm, ReLU, Linear
(``tracks``) -> (B, num_outputs, num_classes) logits. ``forward`` returns them
under the key ``"probabilities"`` (official naming; they are logits, trained
with permutation-invariant cross-entropy). ``predict`` applies a softmax over the
classes and returns, per track, the one-hot argmax (``label_vector``, float32,
(B, num_outputs, num_classes); the last class, index 18, is silence) and its
softmax probability (``probabilities``, (B, num_outputs)).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checkpoints import LIGHTNING_PREFIX, match_state_dict, read_checkpoint, state_dict_of

__all__ = [
    "M2dAt", "M2dAtSpatial", "m2dat_1c", "m2dat_4c", "tagger_variant_from_keys",
    "strip_checkpoint_prefix", "load_m2dat_checkpoint", "random_tagger_state_dict",
    "LIGHTNING_PREFIX", "M2D_WEIGHT_NAME", "NUM_CLASSES", "NUM_OUTPUTS",
]

M2D_WEIGHT_NAME = "m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly"
NUM_CLASSES = 19  # 18 DCASE 2026 classes + silence (last)
NUM_OUTPUTS = 3
DEFAULT_HEAD_ARGS = {"track_input_dim": 1024, "track_hidden_dim": 512}
DEFAULT_NORM_STATS = (-7.1, 4.2)  # M2D's value for weight files that do not carry their own
_SR_SETTINGS = {  # sample rate, n_fft, window, hop, n_mels, f_min, f_max
    "16k": (16000, 400, 400, 160, 80, 50.0, 8000.0),
    "32k": (32000, 800, 800, 320, 80, 50.0, 16000.0),
}


# --------------------------------------------------------------------------- front end

_F_SP = 200.0 / 3  # Slaney mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def _slaney_hz_to_mel(f) -> np.ndarray:
    f = np.atleast_1d(np.asarray(f, dtype=np.float64))
    return np.where(f >= _MIN_LOG_HZ, _MIN_LOG_MEL + np.log(np.maximum(f, 1e-12) / _MIN_LOG_HZ) / _LOGSTEP, f / _F_SP)


def _slaney_mel_to_hz(m) -> np.ndarray:
    m = np.atleast_1d(np.asarray(m, dtype=np.float64))
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), _F_SP * m)


def slaney_mel_filterbank(sr: int, n_fft: int, n_mels: int, f_min: float, f_max: float) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) triangular Slaney-scale filters with area normalisation, float32.

    The triangles are evaluated in float64 and stored in float32 before the
    area normalisation is applied (the rounding order of librosa 0.7's ``filters.mel``).
    """
    bins = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    edges = _slaney_mel_to_hz(np.linspace(_slaney_hz_to_mel(f_min)[0], _slaney_hz_to_mel(f_max)[0], n_mels + 2))
    width = np.diff(edges)
    dist = edges[:, None] - bins[None, :]
    rising = -dist[:-2] / width[:-1, None]
    falling = dist[2:] / width[1:, None]
    tri = np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)
    area = 2.0 / (edges[2:] - edges[:-2])
    return torch.from_numpy((tri.astype(np.float64) * area[:, None]).astype(np.float32))


class _FourierKernels(nn.Module):
    """Windowed DFT kernels as conv1d weights.

    Buffers ``wsin``/``wcos`` (n_fft//2+1, 1, n_fft) and ``window_mask`` (1, n_fft, 1).
    """

    def __init__(self, n_fft: int, win_length: int, hop: int):
        super().__init__()
        self.n_fft, self.hop, self.pad = n_fft, hop, n_fft // 2
        window = 0.5 + 0.5 * np.cos(np.linspace(-np.pi, np.pi, win_length + 1)[:-1])  # periodic Hann
        left = (n_fft - win_length) // 2
        window = np.pad(window, (left, n_fft - win_length - left)).astype(np.float32)
        k = np.arange(n_fft // 2 + 1, dtype=np.float64)
        phase = (2.0 * np.pi * k)[:, None] * np.arange(n_fft, dtype=np.float64)[None, :] / n_fft
        win = torch.from_numpy(window)
        self.register_buffer("wsin", torch.from_numpy(np.sin(phase).astype(np.float32))[:, None, :] * win)
        self.register_buffer("wcos", torch.from_numpy(np.cos(phase).astype(np.float32))[:, None, :] * win)
        self.register_buffer("window_mask", win[None, :, None].clone())

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """(N, T) float32 -> power spectrogram (N, n_fft//2+1, 1 + T // hop)."""
        if wave.shape[-1] <= self.pad:
            raise ValueError(f"the clip has {wave.shape[-1]} samples; the reflect padding needs more than {self.pad}")
        x = F.pad(wave[:, None, :], (self.pad, self.pad), mode="reflect")
        im = F.conv1d(x, self.wsin, stride=self.hop)
        re = F.conv1d(x, self.wcos, stride=self.hop)
        return torch.sqrt(re.pow(2) + im.pow(2)) ** 2  # magnitude, then power (as the M2D runtime)


class _MelSpectrogram(nn.Module):
    """Mel power spectrogram by conv1d STFT; buffers ``mel_basis`` and ``stft.{wsin,wcos,window_mask}``."""

    def __init__(self, sr: int, n_fft: int, win_length: int, hop: int, n_mels: int, f_min: float, f_max: float):
        super().__init__()
        self.stft = _FourierKernels(n_fft, win_length, hop)
        self.register_buffer("mel_basis", slaney_mel_filterbank(sr, n_fft, n_mels, f_min, f_max))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:  # (N, T) -> (N, n_mels, frames)
        return torch.matmul(self.mel_basis, self.stft(wave))


# --------------------------------------------------------------------------- ViT encoder

class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        y = F.scaled_dot_product_attention(q, k, v)
        return self.proj(y.transpose(1, 2).reshape(b, n, d))


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class _Block(nn.Module):
    """Pre-norm transformer block (LayerNorm eps 1e-6, exact GELU, no dropout / layer scale)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class _PatchEmbed(nn.Module):
    def __init__(self, patch_size: tuple[int, int], dim: int):
        super().__init__()
        self.proj = nn.Conv2d(1, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, F, T) -> (B, Fp * Tp, D), frequency-major
        return self.proj(x).flatten(2).transpose(1, 2)


class M2DEncoder(nn.Module):
    """The M2D ViT-B/16 encoder over (B, 1, n_mels, frames) normalised log-mel (official ``backbone``)."""

    def __init__(self, input_size=(80, 1001), patch_size=(16, 16), dim: int = 768, depth: int = 12, heads: int = 12):
        super().__init__()
        self.input_size, self.patch_size = tuple(input_size), tuple(patch_size)
        self.grid = (self.input_size[0] // self.patch_size[0], self.input_size[1] // self.patch_size[1])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid[0] * self.grid[1], dim))
        self.norm_stats = nn.Parameter(torch.tensor(DEFAULT_NORM_STATS), requires_grad=False)
        self.patch_embed = _PatchEmbed(self.patch_size, dim)
        self.blocks = nn.ModuleList(_Block(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    @property
    def dim(self) -> int:
        return self.pos_embed.shape[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One chunk (B, 1, n_mels, <= input_size[1] frames) -> (B, 1 + Fp * Tp, D) after the final norm."""
        x = self.patch_embed(x)
        pos = self.pos_embed[:, 1:, :]
        if x.shape[1] < pos.shape[1]:  # a short chunk takes the first time columns of the grid
            t = x.shape[1] // self.grid[0]
            pos = pos.reshape(1, self.grid[0], self.grid[1], -1)[:, :, :t].reshape(1, self.grid[0] * t, -1)
        x = x + pos
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


# --------------------------------------------------------------------------- head

class HeadAvgLinear(nn.Module):
    """Time-average -> non-affine BatchNorm -> shared Linear/LayerNorm/ReLU -> one small MLP per output track."""

    def __init__(self, feature_dim: int, num_outputs: int, num_classes: int,
                 track_input_dim: int = 1024, track_hidden_dim: int | None = 512):
        super().__init__()
        self.num_outputs, self.track_input_dim = num_outputs, track_input_dim
        self.m2d_out_norm = nn.BatchNorm1d(feature_dim, affine=False)
        self.linear = nn.Sequential(nn.Linear(feature_dim, track_input_dim * num_outputs),
                                    nn.LayerNorm(track_input_dim * num_outputs), nn.ReLU())
        if track_hidden_dim is None:
            self.tracks = nn.ModuleList(nn.Linear(track_input_dim, num_classes) for _ in range(num_outputs))
        else:
            self.tracks = nn.ModuleList(
                nn.Sequential(nn.Linear(track_input_dim, track_hidden_dim), nn.LayerNorm(track_hidden_dim),
                              nn.ReLU(), nn.Linear(track_hidden_dim, num_classes))
                for _ in range(num_outputs))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:  # (B, time, D) -> (B, num_outputs, num_classes)
        h = self.linear(self.m2d_out_norm(feats.mean(1)))
        h = h.view(h.shape[0], self.num_outputs, self.track_input_dim)
        return torch.stack([track(h[:, i]) for i, track in enumerate(self.tracks)], dim=1)


# --------------------------------------------------------------------------- taggers

def _sizes_from_weight_name(weight_file: str | Path) -> tuple[list[int], list[int], str]:
    """``<model>-80x1001p16x16p32k-<tag>/weights.pth`` -> input size, patch size, sample-rate key."""
    parts = Path(weight_file).parent.name.split("-")[1].split("p")
    inp, patch = [int(a) for a in parts[0].split("x")], [int(a) for a in parts[1].split("x")]
    return inp, patch, (parts[2] if len(parts) > 2 else "16k")


def _prediction(logits: torch.Tensor, num_classes: int) -> dict[str, torch.Tensor]:
    # softmax in float32 (a no-op in float32; under autocast as CUDA's autocast does it anyway)
    prob, idx = torch.softmax(logits.float(), dim=-1).max(dim=-1)
    return {"label_vector": F.one_hot(idx, num_classes).to(torch.float32), "probabilities": prob}


def _requires_grad(obj, flag: bool) -> None:
    for p in ([obj] if isinstance(obj, nn.Parameter) else obj.parameters()):
        p.requires_grad = flag


class M2dAt(nn.Module):
    """M2D-AT, one channel (official ``src.models.m2dat.m2dat.M2dAt``).

    State: ``backbone.*`` (ViT + ``norm_stats``), ``head_norm.*`` (a non-affine
    BatchNorm1d the official class inherits from the M2D runtime and never uses),
    ``head.*`` (:class:`HeadAvgLinear`, absent for ``head_layer="identity"``) and
    ``to_spec.*`` (front-end constants).
    """

    def __init__(self, num_classes: int = NUM_CLASSES, num_outputs: int = NUM_OUTPUTS,
                 finetuning_layers: str = "head", head_layer: str = "average_linear",
                 head_args: Mapping | None = None, ref_channel: int | None = None,
                 weight_file: str | Path | None = None,
                 input_size=(80, 1001), patch_size=(16, 16), sr: str = "32k", encoder: Mapping | None = None):
        """``encoder``: ``dim``/``depth``/``heads`` of the ViT (default ViT-B: 768/12/12; smaller ones are for
        tests, they cannot load the M2D weight file)."""
        super().__init__()
        if weight_file is not None:
            input_size, patch_size, sr = _sizes_from_weight_name(weight_file)
        if sr not in _SR_SETTINGS:
            raise ValueError(f"unknown M2D sample-rate setting {sr!r}")
        self.num_classes, self.num_outputs, self.ref_channel = num_classes, num_outputs, ref_channel
        self.finetuning_layers = finetuning_layers
        self.sample_rate = _SR_SETTINGS[sr][0]
        self.backbone = M2DEncoder(input_size, patch_size, **dict(encoder or {}))
        self.feature_d = self.backbone.dim * self.backbone.grid[0]  # 768 * 5 = 3840
        self.head_norm = nn.BatchNorm1d(self.feature_d, affine=False)
        if head_layer == "average_linear":
            self.head = HeadAvgLinear(self.feature_d, num_outputs, num_classes, **dict(head_args or DEFAULT_HEAD_ARGS))
        elif head_layer == "identity":
            self.head = nn.Identity()
        else:
            raise NotImplementedError(f"head_layer {head_layer!r}")
        sr_, n_fft, win, hop, n_mels, f_min, f_max = _SR_SETTINGS[sr]
        self.to_spec = _MelSpectrogram(sr_, n_fft, win, hop, n_mels, f_min, f_max)
        if weight_file is not None:
            load_m2d_weight_file(self.backbone, weight_file)
        self.set_finetuning_layers(finetuning_layers)

    # -- training helpers
    def set_finetuning_layers(self, mode: str) -> None:
        """Freeze as the official class does: ``head`` (head_norm + head), ``backbone_out`` (+ final norm),
        ``<n>_blocks`` (+ the last n blocks), ``all`` (everything but ``norm_stats``)."""
        bb = self.backbone
        stages: list = [bb.cls_token, bb.pos_embed, bb.patch_embed, *bb.blocks, bb.norm, self.head_norm, self.head]
        n_blocks = len(bb.blocks)
        if mode == "head":
            first = len(stages) - 2
        elif mode == "backbone_out":
            first = len(stages) - 3
        elif mode == "all":
            first = 0
        elif mode.endswith("_blocks") and mode[:-7].isdigit() and 1 <= int(mode[:-7]) <= n_blocks:
            first = 3 + n_blocks - int(mode[:-7])
        else:
            raise NotImplementedError(f"finetuning_layers {mode!r}")
        for i, stage in enumerate(stages):
            _requires_grad(stage, i >= first)
        self.finetuning_layers = mode

    # -- features
    def log_mel(self, wave: torch.Tensor) -> torch.Tensor:
        """(N, T) waveform -> (N, 1, n_mels, frames) natural-log mel power, float32 even under autocast."""
        with torch.autocast(device_type=wave.device.type, enabled=False):
            mel = self.to_spec(wave.float())
            return (mel + torch.finfo(torch.float32).eps).log().unsqueeze(1)

    def normalized_log_mel(self, wave: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=wave.device.type, enabled=False):
            x = self.log_mel(wave)
            stats = self.backbone.norm_stats.detach().float()
            return (x - stats[0]) / stats[1]

    def encode_lms(self, lms: torch.Tensor) -> torch.Tensor:
        """(N, 1, n_mels, frames) -> (N, time patches, n_freq_patches * D), chunk by chunk."""
        unit = self.backbone.input_size[1]
        pt = self.backbone.patch_size[1]
        fp, d = self.backbone.grid[0], self.backbone.dim
        frames = lms.shape[-1]
        n_chunks = -(-frames // unit)
        lms = F.pad(lms, (0, (-frames) % pt))
        out = []
        for i in range(n_chunks):
            tok = self.backbone(lms[..., i * unit:(i + 1) * unit])[:, 1:, :]  # drop cls
            n, L, _ = tok.shape
            out.append(tok.reshape(n, fp, L // fp, d).permute(0, 2, 1, 3).reshape(n, L // fp, fp * d))
        return torch.cat(out, dim=1)

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """(N, T) waveform -> (N, time patches, 3840)."""
        return self.encode_lms(self.normalized_log_mel(wave))

    # -- official interface
    def forward(self, input_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        wave = input_dict["waveform"]  # (B, T) or (B, C, T)
        if wave.dim() == 3:
            if self.ref_channel is None:
                raise ValueError("a multichannel waveform needs ref_channel")
            wave = wave[:, self.ref_channel, :]
        return {"probabilities": self.head(self.encode(wave))}  # logits, (B, num_outputs, num_classes)

    def predict(self, input_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return _prediction(self.forward(input_dict)["probabilities"], self.num_classes)


class M2dAtSpatial(nn.Module):
    """M2D-AT over all channels (official ``src.models.m2dat.m2dat_spatial.M2dAtSpatial``).

    State: ``m2d.*`` (an :class:`M2dAt` without head, shared by the channels) and
    ``head.*`` (:class:`HeadAvgLinear` over ``nchan * 3840`` features).
    """

    def __init__(self, num_classes: int = NUM_CLASSES, num_outputs: int = NUM_OUTPUTS, nchan: int = 4,
                 finetuning_layers: str = "head", head_layer: str = "catchan_average_linear",
                 head_args: Mapping | None = None, weight_file: str | Path | None = None, **m2d_kwargs):
        super().__init__()
        if head_layer != "catchan_average_linear":
            raise NotImplementedError(f"head_layer {head_layer!r}")
        self.num_classes, self.num_outputs, self.nchan, self.head_layer = num_classes, num_outputs, nchan, head_layer
        self.m2d = M2dAt(num_classes, num_outputs, finetuning_layers=finetuning_layers, head_layer="identity",
                         ref_channel=None, weight_file=weight_file, **m2d_kwargs)
        self.head = HeadAvgLinear(nchan * self.m2d.feature_d, num_outputs, num_classes,
                                  **dict(head_args or DEFAULT_HEAD_ARGS))
        self.sample_rate = self.m2d.sample_rate

    def set_finetuning_layers(self, mode: str) -> None:
        """Freeze the shared encoder as :meth:`M2dAt.set_finetuning_layers`; the spatial ``head`` stays trainable."""
        self.m2d.set_finetuning_layers(mode)

    def forward(self, input_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        wave = input_dict["waveform"]  # (B, nchan, T)
        b, c, t = wave.shape
        feats = self.m2d.encode(wave.reshape(b * c, t))  # (B*C, time, D)
        _, n, d = feats.shape
        feats = feats.view(b, c, n, d).permute(0, 2, 1, 3).reshape(b, n, c * d)  # channel-major concat
        return {"probabilities": self.head(feats)}

    def predict(self, input_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return _prediction(self.forward(input_dict)["probabilities"], self.num_classes)


def m2dat_1c(weight_file: str | Path | None = None, finetuning_layers: str = "head") -> M2dAt:
    """The official ``m2dat_1c`` tagger (eval config ``m2dat_1c_resunetk.yaml``)."""
    return M2dAt(num_classes=NUM_CLASSES, num_outputs=NUM_OUTPUTS, finetuning_layers=finetuning_layers,
                 head_layer="average_linear", head_args=dict(DEFAULT_HEAD_ARGS), ref_channel=0,
                 weight_file=weight_file)


def m2dat_4c(weight_file: str | Path | None = None, finetuning_layers: str = "head") -> M2dAtSpatial:
    """The official ``m2dat_4c`` tagger (eval config ``m2dat_4c_resunetk.yaml``)."""
    return M2dAtSpatial(num_classes=NUM_CLASSES, num_outputs=NUM_OUTPUTS, nchan=4,
                        finetuning_layers=finetuning_layers, head_layer="catchan_average_linear",
                        head_args=dict(DEFAULT_HEAD_ARGS), weight_file=weight_file)


# --------------------------------------------------------------------------- checkpoints

def tagger_variant_from_keys(keys: Iterable[str]) -> str:
    """``"4c"`` if the keys hold the per-channel encoder ``m2d.backbone.*``, ``"1c"`` for ``backbone.*``
    next to a ``head.*`` (any prefix, e.g. Lightning's ``model.``); ValueError otherwise."""
    if isinstance(keys, Mapping) and "state_dict" in keys:  # a whole Lightning checkpoint
        keys = keys["state_dict"]
    keys = list(keys)

    def has(part: str) -> bool:
        return any(k.startswith(part) or ("." + part) in k for k in keys)

    if has("m2d.backbone.pos_embed"):
        return "4c"
    if has("backbone.pos_embed") and has("head.tracks."):
        return "1c"
    raise ValueError("not an M2D-AT state_dict (no backbone.pos_embed / m2d.backbone.pos_embed and head.tracks keys)")


def strip_checkpoint_prefix(state_dict: Mapping[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Drop the prefix (e.g. Lightning's ``model.``) in front of the model's own keys; keys outside it are dropped.

    Raises :class:`~baseline.models.checkpoints.OfficialCheckpointError` when no prefix gives the model's keys.
    """
    return match_state_dict(state_dict, model.state_dict().keys())


def load_m2dat_checkpoint(source, variant: str | None = None, map_location="cpu") -> nn.Module:
    """Build M2dAt / M2dAtSpatial from an official tagger checkpoint (path, Lightning dict or state_dict).

    The variant comes from the keys unless given; the prefix (``model.``) is stripped and the
    weights are loaded with ``strict=True`` (assigned, on the checkpoint's device). Eval mode.
    """
    ckpt = source if isinstance(source, Mapping) else read_checkpoint(source)  # weights_only: no code runs
    sd = state_dict_of(ckpt)
    variant = variant or tagger_variant_from_keys(sd)
    with torch.device("meta"):  # no random init: every tensor comes from the checkpoint
        model = {"1c": m2dat_1c, "4c": m2dat_4c}[variant]()
    model.load_state_dict(strip_checkpoint_prefix(sd, model), strict=True, assign=True)
    return model.eval()


def load_m2d_weight_file(encoder: M2DEncoder, weight_file: str | Path) -> None:
    """Load a pretrained M2D weight file (``*_enconly/weights_*.pth`` or an EVAR checkpoint) into ``encoder``."""
    ckpt = torch.load(weight_file, map_location="cpu", weights_only=False)
    ckpt = ckpt.get("model", ckpt)
    ckpt = {k.replace("module.ar.runtime.backbone.", ""): v for k, v in ckpt.items()}
    ckpt.setdefault("norm_stats", torch.tensor(DEFAULT_NORM_STATS))
    own = encoder.state_dict()
    kept = {k: v for k, v in ckpt.items() if k in own}
    missing = sorted(set(own) - set(kept))
    if missing:
        raise KeyError(f"{weight_file}: missing encoder weights {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    encoder.load_state_dict(kept, strict=True)


def random_tagger_state_dict(template: Mapping[str, torch.Tensor], seed: int = 0,
                             norm_stats=(-6.5, 3.5)) -> dict[str, torch.Tensor]:
    """Seeded random weights for every key of ``template`` (a tagger state_dict), for tests.

    Keys are visited in sorted order, so any model with the same key names and
    shapes gets the same tensors. The front-end constants (``to_spec.*``) are
    copied from the template; ``norm_stats`` is set to ``norm_stats``; weights are
    N(0, 1/fan_in), biases N(0, 0.02^2), 1-D ``weight``s (LayerNorm) 1 + N(0, 0.1^2),
    BatchNorm running statistics mean N(0, 0.1^2), var 0.5 + |N(0, 1)|.
    """
    g = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for name in sorted(template):
        ref = template[name]
        leaf = name.rsplit(".", 1)[-1]
        if ".to_spec." in "." + name:
            out[name] = ref.detach().clone()
        elif leaf == "norm_stats":
            out[name] = torch.tensor(norm_stats, dtype=ref.dtype)
        elif leaf == "num_batches_tracked":
            out[name] = torch.tensor(1000, dtype=ref.dtype)
        else:
            r = torch.randn(tuple(ref.shape), generator=g, dtype=torch.float32)
            if leaf == "running_mean":
                r = 0.1 * r
            elif leaf == "running_var":
                r = 0.5 + r.abs()
            elif leaf == "bias":
                r = 0.02 * r
            elif leaf == "weight" and ref.dim() == 1:
                r = 1.0 + 0.1 * r
            elif leaf in ("pos_embed", "cls_token"):
                r = 0.02 * r
            else:
                r = r / math.sqrt(max(1, int(np.prod(ref.shape[1:]))))
            out[name] = r.to(ref.dtype)
    return out
