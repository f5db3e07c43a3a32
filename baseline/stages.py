"""The networks of the separate tagger and separator runs (``stage: tagger`` / ``stage: separator``).

``model.tagger.arch``: ``m2dat_4c`` or ``m2dat_1c`` (the official M2D-AT taggers,
:mod:`.models.m2dat`, with the official parameter names; ``weight_file`` the M2D
AudioSet weights, ``finetuning_layers`` ``head`` then ``2_blocks``) or ``track``
(:class:`.models.tagger.TrackTagger`, the CPU backbones). ``model.separator.arch``:
``resunet30`` (the official ResUNetK network, :mod:`.models.resunet30`) or
``resunetk`` (:class:`.models.resunetk.ResUNetK`, the lighter variants).

Every network is wrapped so that training sees one interface: a tagger maps a
(B, M, T) mixture to (B, K, C + 1) logits, a separator maps a mixture and (B, K)
query class indices (``C`` = silence) to (B, K, T) waveforms. The wrapped network
is ``.net``; a stage checkpoint stores its ``state_dict`` under the Lightning prefix
``model.``, so a run of the official architectures on the official label set
loads into ``s5eval baseline infer --tagger-ckpt/--separator-ckpt`` unchanged.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

TAGGER_ARCHS = ("track", "m2dat_1c", "m2dat_4c")
SEPARATOR_ARCHS = ("resunetk", "resunet30")
STAGES = ("joint", "tagger", "separator")


class StageNetError(ValueError):
    """A model section that cannot be built (unknown architecture, missing weight file, ...)."""


class TaggerNet(nn.Module):
    """(B, M, T) mixture -> (B, K, C + 1) logits, whatever the wrapped tagger."""

    def __init__(self, arch: str, net: nn.Module):
        super().__init__()
        self.arch, self.net = arch, net

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        if self.arch == "track":
            return self.net(mixture)
        return self.net({"waveform": mixture})["probabilities"]


class SeparatorNet(nn.Module):
    """(B, M, T) mixture + (B, K) class indices -> (B, K, T) waveforms, whatever the wrapped separator."""

    def __init__(self, arch: str, net: nn.Module, n_classes: int):
        super().__init__()
        self.arch, self.net, self.n_classes = arch, net, n_classes

    def forward(self, mixture: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
        if self.arch == "resunetk":
            return self.net(mixture, queries)
        onehot = F.one_hot(queries.clamp(0, self.n_classes), self.n_classes + 1)[..., : self.n_classes]
        query = onehot.reshape(queries.shape[0], -1).to(torch.float32)  # stacked one-hot, silence = zeros
        return self.net({"mixture": mixture, "label_vector": query})["waveform"][:, :, 0]


def _split_arch(spec: dict[str, Any], default: str, known: tuple[str, ...], what: str) -> tuple[str, dict]:
    kw = dict(spec or {})
    arch = kw.pop("arch", default)
    if arch not in known:
        raise StageNetError(f"model.{what}.arch must be one of {', '.join(known)}, not {arch!r}")
    if "widths" in kw:
        kw["widths"] = tuple(kw["widths"])
    return arch, kw


def build_tagger(spec: dict[str, Any], n_classes: int, k_max: int, n_channels: int, sample_rate: int,
                 pretrained: bool = True) -> TaggerNet:
    """The tagger of a ``model.tagger`` section; ``pretrained=False`` skips the M2D weight file (the weights come
    from ``train.init_from``)."""
    arch, kw = _split_arch(spec, "track", TAGGER_ARCHS, "tagger")
    if arch == "track":
        from .models.tagger import TrackTagger

        return TaggerNet(arch, TrackTagger(n_classes, k_max, n_channels, sample_rate, **kw))
    from .models.m2dat import DEFAULT_HEAD_ARGS, M2dAt, M2dAtSpatial

    if sample_rate != 32000:
        raise StageNetError("the M2D-AT taggers take 32 kHz mixtures (sample_rate: 32000)")
    weight_file = kw.pop("weight_file", None) if pretrained else None
    kw.pop("weight_file", None)
    if weight_file is not None and not Path(weight_file).is_file():
        raise StageNetError(f"model.tagger.weight_file {weight_file} does not exist: download the M2D weights "
                            "(m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly, see baseline/README.md) or "
                            "give train.init_from")
    common = {"num_classes": n_classes + 1, "num_outputs": k_max, "weight_file": weight_file,
              "finetuning_layers": kw.pop("finetuning_layers", "head"),
              "head_args": dict(kw.pop("head_args", DEFAULT_HEAD_ARGS))}
    try:
        if arch == "m2dat_4c":
            net: nn.Module = M2dAtSpatial(nchan=n_channels, **common, **kw)
        else:
            net = M2dAt(head_layer="average_linear", ref_channel=0, **common, **kw)
    except (TypeError, NotImplementedError) as exc:
        raise StageNetError(f"model.tagger ({arch}): {exc}") from None
    return TaggerNet(arch, net)


def build_separator(spec: dict[str, Any], n_classes: int, k_max: int, n_channels: int) -> SeparatorNet:
    """The separator of a ``model.separator`` section."""
    arch, kw = _split_arch(spec, "resunetk", SEPARATOR_ARCHS, "separator")
    try:
        if arch == "resunetk":
            from .models.resunetk import ResUNetK

            net: nn.Module = ResUNetK(n_classes, k_max, n_channels, **kw)
        else:
            from .models.resunet30 import ResUNet30

            net = ResUNet30(input_channels=n_channels, output_channels=1, target_sources_num=k_max,
                            label_len=k_max * n_classes, **kw)
    except TypeError as exc:
        raise StageNetError(f"model.separator ({arch}): {exc}") from None
    return SeparatorNet(arch, net, n_classes)


def trainable(module: nn.Module) -> list[nn.Parameter]:
    """The parameters that receive gradients (frozen backbone layers excluded)."""
    return [p for p in module.parameters() if p.requires_grad]


def stage_state_dict(net: nn.Module) -> dict[str, torch.Tensor]:
    """The wrapped network's state under the Lightning prefix ``model.`` (the official checkpoints' names)."""
    return {f"model.{k}": v for k, v in net.state_dict().items()}


def load_stage_state(net: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Load a state written by :func:`stage_state_dict` strictly."""
    from .models.checkpoints import match_state_dict

    net.load_state_dict(match_state_dict(state, net.state_dict().keys()), strict=True)
