"""Optional M2D ViT backbone for the tagger (the DCASE baseline's AT encoder).

The encoder is a standard ViT-Base over 16×16 patches of an 80-bin log-mel
spectrogram (10 ms hop at 32 kHz, up to 1001 frames = 10 s), with parameter
names as in the published M2D encoder-only weights
(``m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly``). The weight file is
not shipped: download it from the M2D releases and pass its path as
``model.tagger.m2d_weights``. Loading reports every missing or unexpected
parameter and refuses a file whose layout does not fit.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .spectral import LogMel

M2D_FILE = "m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly"
M2D_URL = "https://github.com/nttcslab/m2d/releases/download/v0.3.0/" + M2D_FILE + ".zip"
_PREFIXES = ("module.", "backbone.", "encoder.", "model.")


class M2DWeightsError(FileNotFoundError):
    """The M2D weight file is missing or does not fit the encoder."""


class Block(nn.Module):
    """Pre-norm transformer block with timm parameter names (norm1, attn.qkv, attn.proj, norm2, mlp.fc1/fc2)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(dim, 3 * dim)
        self.attn.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.mlp.fc2 = nn.Linear(int(dim * mlp_ratio), dim)
        self.heads = heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = self.attn.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        x = x + self.attn.proj(att.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp.fc2(nn.functional.gelu(self.mlp.fc1(self.norm2(x))))


class M2DBackbone(nn.Module):
    """ViT encoder over one log-mel channel -> mean of the patch tokens, (N, embed_dim)."""

    def __init__(self, sample_rate: int = 32000, weights: str | Path | None = None, embed_dim: int = 768,
                 depth: int = 12, heads: int = 12, n_mels: int = 80, max_frames: int = 1001, patch: int = 16):
        super().__init__()
        self.frontend = LogMel(sample_rate, n_fft=sample_rate // 40, hop=sample_rate // 100, n_mels=n_mels,
                               f_min=50.0, f_max=sample_rate / 2)
        self.patch = patch
        self.grid = (n_mels // patch, max_frames // patch)
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(1, embed_dim, patch, stride=patch)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid[0] * self.grid[1] + 1, embed_dim))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.blocks = nn.ModuleList(Block(embed_dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.out_dim = embed_dim
        if weights is None:
            raise M2DWeightsError(
                f"the m2d tagger backbone needs the M2D weight file: download {M2D_URL}, unzip it and set "
                "model.tagger.m2d_weights to the .pth file inside (or use backbone: cnn)")
        load_m2d_weights(self, weights)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = self.frontend(wave)  # (N, 1, mels, frames), natural-log power
        x = (x - x.mean(dim=(2, 3), keepdim=True)) / (x.std(dim=(2, 3), keepdim=True) + 1e-5)
        frames = min(x.shape[-1] // self.patch * self.patch, self.grid[1] * self.patch)
        x = self.patch_embed.proj(x[..., :frames])  # (N, D, Fp, Tp)
        n, d, fp, tp = x.shape
        pos = self.pos_embed[:, 1:].reshape(1, self.grid[0], self.grid[1], d)[:, :fp, :tp].reshape(1, fp * tp, d)
        tokens = x.flatten(2).transpose(1, 2) + pos
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens).mean(1)


def _find_weight_file(path: Path) -> Path:
    if path.is_dir():
        found = sorted(path.glob("*.pth")) + sorted(path.glob("*.pt"))
        if not found:
            raise M2DWeightsError(f"no .pth file in {path}: it should hold the unzipped {M2D_FILE} weights "
                                  f"({M2D_URL})")
        return found[0]
    if not path.is_file():
        raise M2DWeightsError(f"M2D weight file {path} does not exist: download {M2D_URL} and unzip it")
    return path


def load_m2d_weights(module: M2DBackbone, path: str | Path) -> None:
    """Load an M2D encoder state dict into ``module``; raises :class:`M2DWeightsError` when it does not fit."""
    file = _find_weight_file(Path(path))
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt or foreign file
        raise M2DWeightsError(f"cannot read M2D weights {file}: {exc}") from None
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    cleaned = {}
    for key, value in state.items():
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
        cleaned[key] = value
    own = module.state_dict()
    usable = {k: v for k, v in cleaned.items() if k in own and own[k].shape == v.shape}
    wrong_shape = sorted(k for k, v in cleaned.items() if k in own and own[k].shape != v.shape)
    missing = sorted(k for k in own if k not in usable)
    if wrong_shape or missing:
        detail = ", ".join((wrong_shape + missing)[:8])
        raise M2DWeightsError(f"{file} does not fit the M2D ViT encoder: {len(missing)} parameters missing, "
                              f"{len(wrong_shape)} of another shape (e.g. {detail})")
    module.load_state_dict(usable, strict=True)
