"""The two-stage S5 system: tagger -> labels -> label-queried separator."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import nn

from .resunetk import ResUNetK
from .tagger import TrackTagger


@dataclass
class S5Output:
    """What the system returns for a batch: per track the class index (silence = n_classes),
    its probability, and the separated waveform (samples)."""

    labels: torch.Tensor  # (B, K) long
    probabilities: torch.Tensor  # (B, K) float, probability of the chosen label
    waveforms: torch.Tensor  # (B, K, T)
    class_probabilities: torch.Tensor  # (B, K, n_classes + 1)


class S5System(nn.Module):
    """Holds the tagger and the separator; :meth:`forward` runs both stages."""

    def __init__(self, classes: Sequence[str], tagger: TrackTagger, separator: ResUNetK):
        super().__init__()
        if tagger.k_max != separator.k_max or not tagger.n_classes == separator.n_classes == len(classes):
            raise ValueError("tagger and separator must agree on K_max and the number of classes")
        self.classes = tuple(classes)
        self.tagger = tagger
        self.separator = separator

    @property
    def silence_index(self) -> int:
        return len(self.classes)

    def label_names(self, indices: torch.Tensor) -> list[list[str]]:
        """Class names of (B, K) indices; the silence index becomes ``"silence"``."""
        names = self.classes + ("silence",)
        return [[names[int(i)] for i in row] for row in indices.cpu()]

    @torch.no_grad()
    def forward(self, mixture: torch.Tensor) -> S5Output:
        probs = torch.softmax(self.tagger(mixture).float(), dim=-1)
        best_prob, labels = probs.max(-1)
        waves = self.separator(mixture, labels).float()
        return S5Output(labels, best_prob, waves, probs)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def build_system(classes: Sequence[str], model: dict[str, Any], k_max: int = 3, n_channels: int = 4,
                 sample_rate: int = 32000) -> S5System:
    """Build the system from the ``model`` section of a config (``tagger`` and ``separator`` keyword dicts)."""
    tagger_kw = dict(model.get("tagger", {}))
    separator_kw = dict(model.get("separator", {}))
    for key in ("widths",):
        for kw in (tagger_kw, separator_kw):
            if key in kw:
                kw[key] = tuple(kw[key])
    tagger = TrackTagger(len(classes), k_max, n_channels, sample_rate, **tagger_kw)
    separator = ResUNetK(len(classes), k_max, n_channels, **separator_kw)
    return S5System(classes, tagger, separator)
