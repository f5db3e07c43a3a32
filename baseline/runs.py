"""What differs between a joint run and the official recipe's separate tagger and separator runs.

A run knows its networks, its training step (losses), its parameter groups, how it
clips gradients, how it validates, and what its checkpoint holds:

* :class:`JointRun` (``stage: joint``): :class:`~baseline.models.system.S5System`, SDR loss
  plus weighted PIT cross-entropy in one step, each stage clipped on its own, validated by the
  full system's CAPI-SDRi; checkpoint key ``model`` (the shipped tiny checkpoint's layout).
* :class:`TaggerRun` (``stage: tagger``, the official ``AudioTagging``): PIT cross-entropy
  over the K tracks, silence a class of its own, zero-target mixtures included; validation
  loss and label accuracies on the validation set.
* :class:`SeparatorRun` (``stage: separator``, the official ``LabelQueriedSeparationLightning``):
  the class-aware PIT SDR loss with the oracle labels as queries; validation loss and the
  oracle-label CAPI-SDRi.

Stage checkpoints hold the network under ``state_dict`` with the prefix ``model.``
(:func:`baseline.stages.stage_state_dict`).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from s5eval import CAPISDRi
from s5eval.metrics.label_counts import label_counts

from .config import Config
from .losses import pit_cross_entropy, separation_loss
from .models.system import S5System, build_system
from .stages import build_separator, build_tagger, load_stage_state, stage_state_dict, trainable

SILENCE = "silence"


def _names(classes: tuple[str, ...], indices: torch.Tensor) -> list[list[str]]:
    names = classes + (SILENCE,)
    return [[names[int(i)] for i in row] for row in indices.cpu()]


class TrainStep(nn.Module):
    """One forward pass of a joint run: (SDR loss in dB, PIT cross-entropy in nats)."""

    def __init__(self, system: S5System, variant: str, average: str = "active"):
        super().__init__()
        self.system, self.variant, self.average = system, variant, average

    def forward(self, mixture: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor):
        logits = self.system.tagger(mixture)
        estimates = self.system.separator(mixture, labels)
        sdr_loss = separation_loss(estimates, targets, labels, self.system.silence_index, self.variant,
                                   average=self.average)
        return sdr_loss, pit_cross_entropy(logits, labels)


class TaggerStep(nn.Module):
    """PIT cross-entropy (nats) of the tagger's K tracks."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, mixture: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor):
        return (pit_cross_entropy(self.net(mixture), labels),)


class SeparatorStep(nn.Module):
    """The SDR loss (dB) of the separator queried with the oracle labels."""

    def __init__(self, net: nn.Module, silence: int, variant: str, average: str):
        super().__init__()
        self.net, self.silence, self.variant, self.average = net, silence, variant, average

    def forward(self, mixture: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor):
        estimates = self.net(mixture, labels)
        return (separation_loss(estimates, targets, labels, self.silence, self.variant, average=self.average),)


class JointRun:
    """Tagger and separator in one step (the CPU configs)."""

    stage = "joint"
    train_columns = ("train_loss", "sdr_loss_db", "tagger_ce")
    val_columns = ("val_capi_sdri", "val_accuracy_src", "val_accuracy_mix", "val_oracle_capi_sdri")

    def __init__(self, config: Config):
        self.config = config
        self.module = build_system(config.classes, config.model, config.k_max, config.n_channels, config.sample_rate)
        self.step = TrainStep(self.module, config.loss.separation, config.loss.average)

    def param_groups(self) -> list[dict[str, Any]]:
        spec = self.config.train
        return [{"params": trainable(self.module.tagger), "lr": spec.lr_tagger},
                {"params": trainable(self.module.separator), "lr": spec.lr_separator}]

    def loss(self, outputs) -> tuple[torch.Tensor, list[torch.Tensor]]:
        sdr_loss, ce = outputs
        loss = sdr_loss + self.config.loss.tagger_weight * ce
        return loss, [loss, sdr_loss, ce]

    def clip(self, max_norm: float) -> None:  # each stage on its own, so SDR gradients do not shrink the tagger's
        nn.utils.clip_grad_norm_(self.module.tagger.parameters(), max_norm)
        nn.utils.clip_grad_norm_(self.module.separator.parameters(), max_norm)

    @torch.no_grad()
    def evaluate(self, loader, device: torch.device, autocast) -> dict[str, Any]:
        system = self.module
        full, oracle = CAPISDRi(sync_on_compute=False), CAPISDRi(sync_on_compute=False)
        for batch in loader:
            mixture, labels = batch["mixture"].to(device), batch["labels"].to(device)
            with autocast():
                out = system(mixture)
                oracle_wavs = system.separator(mixture, labels)
            refs, mix0 = batch["targets"].numpy(), batch["mixture"][:, 0].numpy()
            full.update_batch(system.label_names(out.labels), out.waveforms.float().cpu().numpy(),
                              system.label_names(labels), refs, mix0)
            oracle.update_batch(system.label_names(labels), oracle_wavs.float().cpu().numpy(),
                                system.label_names(labels), refs, mix0)
        figures = full.compute()
        figures["oracle_capi_sdri"] = oracle.compute()["capi_sdri"]
        return figures

    def row(self, figures: dict[str, Any]) -> list:
        return [figures["capi_sdri"], figures["accuracy_src"], figures["accuracy_mix"], figures["oracle_capi_sdri"]]

    def weights(self) -> dict[str, Any]:
        return {"model": self.module.state_dict()}

    def load_weights(self, state: dict[str, Any]) -> None:
        if "model" not in state:
            raise ValueError(f"the checkpoint is a '{state.get('stage')}' run's, not a joint run's")
        self.module.load_state_dict(state["model"])


class _StageRun:
    """Shared by the tagger and separator runs: one network, one learning rate, the whole network clipped."""

    train_columns = ("train_loss",)
    net: nn.Module
    lr: float

    def param_groups(self) -> list[dict[str, Any]]:
        return [{"params": trainable(self.module), "lr": self.lr}]

    def loss(self, outputs) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return outputs[0], [outputs[0]]

    def clip(self, max_norm: float) -> None:  # Lightning's gradient_clip_val: the norm over all parameters
        nn.utils.clip_grad_norm_(self.module.parameters(), max_norm)

    def weights(self) -> dict[str, Any]:
        return {"state_dict": stage_state_dict(self.module.net)}

    def load_weights(self, state: dict[str, Any]) -> None:
        if state.get("stage", "joint") != self.stage or "state_dict" not in state:
            raise ValueError(f"the checkpoint is a '{state.get('stage', 'joint')}' run's, not a {self.stage} run's")
        load_stage_state(self.module.net, state["state_dict"])


class TaggerRun(_StageRun):
    stage = "tagger"
    val_columns = ("val_loss", "val_accuracy_src", "val_accuracy_mix")

    def __init__(self, config: Config, pretrained: bool = True):
        self.config, self.classes = config, config.classes
        self.module = build_tagger(config.model.get("tagger", {}), len(self.classes), config.k_max,
                                   config.n_channels, config.sample_rate, pretrained)
        self.step = TaggerStep(self.module)
        self.lr = config.train.lr_tagger

    @torch.no_grad()
    def evaluate(self, loader, device: torch.device, autocast) -> dict[str, Any]:
        total, n, tp, ref_n, correct, mixes = 0.0, 0, 0, 0, 0, 0
        for batch in loader:
            mixture, labels = batch["mixture"].to(device), batch["labels"].to(device)
            with autocast():
                logits = self.module(mixture).float()
            total += float(pit_cross_entropy(logits, labels)) * len(labels)
            n += len(labels)
            for est, ref in zip(_names(self.classes, logits.argmax(-1)), _names(self.classes, labels)):
                counts = label_counts(est, ref)
                tp, ref_n = tp + counts.tp, ref_n + counts.tp + counts.fn
                correct, mixes = correct + counts.correct, mixes + 1
        # accuracy_src as s5eval reports it: TP over the reference sources (None without any reference source)
        return {"val_loss": total / max(n, 1), "accuracy_src": 100.0 * tp / ref_n if ref_n else None,
                "accuracy_mix": 100.0 * correct / max(mixes, 1)}

    def row(self, figures: dict[str, Any]) -> list:
        return [figures["val_loss"], figures["accuracy_src"], figures["accuracy_mix"]]


class SeparatorRun(_StageRun):
    stage = "separator"
    val_columns = ("val_loss", "val_oracle_capi_sdri")

    def __init__(self, config: Config):
        self.config, self.classes = config, config.classes
        self.module = build_separator(config.model.get("separator", {}), len(self.classes), config.k_max,
                                      config.n_channels)
        self.step = SeparatorStep(self.module, len(self.classes), config.loss.separation, config.loss.average)
        self.lr = config.train.lr_separator

    @torch.no_grad()
    def evaluate(self, loader, device: torch.device, autocast) -> dict[str, Any]:
        oracle = CAPISDRi(sync_on_compute=False)
        total, n = 0.0, 0
        for batch in loader:
            mixture, labels, targets = (batch[k].to(device) for k in ("mixture", "labels", "targets"))
            with autocast():
                wavs = self.module(mixture, labels).float()
            total += float(separation_loss(wavs, targets, labels, len(self.classes), self.config.loss.separation,
                                           average=self.config.loss.average)) * len(labels)
            n += len(labels)
            names = _names(self.classes, labels)
            oracle.update_batch(names, wavs.cpu().numpy(), names, batch["targets"].numpy(),
                                batch["mixture"][:, 0].numpy())
        return {"val_loss": total / max(n, 1), "oracle_capi_sdri": oracle.compute()["capi_sdri"]}

    def row(self, figures: dict[str, Any]) -> list:
        return [figures["val_loss"], figures["oracle_capi_sdri"]]


def build_run(config: Config, pretrained: bool = True):
    """The run of ``config.stage``; ``pretrained=False`` skips the tagger's M2D weight file."""
    if config.stage == "tagger":
        return TaggerRun(config, pretrained)
    if config.stage == "separator":
        return SeparatorRun(config)
    return JointRun(config)
