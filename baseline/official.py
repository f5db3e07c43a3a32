"""The official DCASE 2026 Task 4 baseline checkpoints, run with our own port of its networks.

    s5eval baseline infer --tagger-ckpt m2dat_4c.ckpt --separator-ckpt resunetk.ckpt --ref REF --out SUB

The organisers publish two PyTorch Lightning checkpoints per system: the audio
tagger (M2D-AT, ``m2dat_1c`` or ``m2dat_4c``) and the label-queried separator
(ResUNet30, "resunetk"). :func:`load_official_system` reads both into the networks of
:mod:`baseline.models.m2dat` and :mod:`baseline.models.resunet30` (the official parameter
names) and :class:`OfficialS5` combines them as the official ``src/models/s5/s5.py``:

* the tagger's ``predict`` gives per output track a one-hot vector over the 18 classes
  plus silence (the last entry) and the probability of that label;
* the label of a track is the ``argmax`` of its vector; tracks labelled ``silence`` are
  moved after the others (a stable sort: the other tracks keep their order), and their
  probabilities and vectors are moved with them;
* the separator's query is the three 18-dimensional vectors (the silence entry dropped,
  so silence is all zeros) stacked into 54 values;
* with oracle labels (the official ``Evaluator.predict(mixture, labels)``) the query is
  built from the label names (silence = zeros) and the probabilities are 1.0.

Checkpoints are read with ``torch.load(weights_only=True)``; one that needs full
unpickling (Python objects besides tensors and plain containers) is refused unless the
caller trusts it (``trust=True``, ``--trust-checkpoint``), because unpickling can run
arbitrary code. Only the ``state_dict`` entry is used (optimizer states, callbacks and
loops are ignored); the Lightning prefix (``model.``) is found by matching against the
network's own parameter names and every name must then match, else the error lists the
missing and unexpected names.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from s5eval.labels import DCASE_CLASSES, SILENCE

from .models.checkpoints import (OfficialCheckpointError, match_state_dict, read_checkpoint,
                                 state_dict_of)

OFFICIAL_LABELS: tuple[str, ...] = DCASE_CLASSES  # src/utils.py LABELS['dcase2026t4'], in its order
N_TRACKS = 3  # the official ResUNet30 target_sources_num and the tagger's num_outputs
SAMPLE_RATE = 32000
N_CHANNELS = 4


def load_official_state_dict(path: str | Path, trust: bool = False,
                             model: nn.Module | None = None) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of an official (Lightning) checkpoint.

    Without ``model`` the names are as stored (``model.`` prefix and all); with
    ``model`` they are matched to its own (:func:`match_state_dict`).
    """
    state = state_dict_of(read_checkpoint(path, trust), str(path))
    if model is not None:
        state = match_state_dict(state, model.state_dict().keys(), str(path))
    return state


def load_strict(model: nn.Module, state: Mapping[str, torch.Tensor], where: str = "checkpoint") -> nn.Module:
    """Load ``state`` (stored names, any prefix) into ``model`` strictly; shape mismatches become clear errors."""
    matched = match_state_dict(state, model.state_dict().keys(), where)
    own = model.state_dict()
    wrong = [f"{k} {tuple(v.shape)} (network {tuple(own[k].shape)})" for k, v in matched.items()
             if tuple(v.shape) != tuple(own[k].shape)]
    if wrong:
        raise OfficialCheckpointError(f"{where}: {len(wrong)} parameter(s) have another shape than the network's: "
                                      + "; ".join(wrong[:6]) + (" ..." if len(wrong) > 6 else ""))
    model.load_state_dict(matched, strict=True)
    return model


# --- the combined system -----------------------------------------------------------------------------------


def silence_last_order(labels: Sequence[str]) -> list[int]:
    """Track order with the ``silence`` tracks moved last, the others in their order (the official stable sort)."""
    return sorted(range(len(labels)), key=lambda i: labels[i] == SILENCE)


@dataclass
class Prediction:
    """What :meth:`OfficialS5.predict_label_separate` returns for a batch (tracks in the written order)."""

    labels: list[list[str]]  # per mixture, per track; silence last
    probabilities: torch.Tensor  # (B, K)
    waveforms: torch.Tensor  # (B, K, T), float32
    label_vectors: torch.Tensor | None = field(default=None)  # (B, K * 18), the separator's query


class OfficialS5(nn.Module):
    """Tagger and separator combined as the official ``S5`` module (``tagger`` may be None for oracle labels).

    On CUDA the networks run under ``torch.autocast(dtype=torch.bfloat16)`` (``amp``);
    their STFTs stay float32 inside the networks. Outputs are float32.
    """

    def __init__(self, tagger: nn.Module | None, separator: nn.Module, labels: Sequence[str] = OFFICIAL_LABELS,
                 amp: bool = True):
        super().__init__()
        self.tagger = tagger
        self.separator = separator
        self.classes = tuple(labels)
        self.labels = list(self.classes) + [SILENCE]  # index n_classes is silence, as the tagger's last output
        self.amp = amp

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def _autocast(self, device: torch.device):
        if self.amp and device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def label_query(self, batch_labels: Sequence[Sequence[str]], device: torch.device | str = "cpu") -> torch.Tensor:
        """(B, K * n_classes) stacked one-hot vectors of label names; ``silence`` is all zeros."""
        rows = []
        for labels in batch_labels:
            row = torch.zeros(len(labels), self.n_classes, dtype=torch.float32)
            for k, label in enumerate(labels):
                if label == SILENCE:
                    continue
                if label not in self.classes:
                    raise ValueError(f"'{label}' is not a class of the official label set")
                row[k, self.classes.index(label)] = 1.0
            rows.append(row.flatten())
        return torch.stack(rows).to(device)

    @torch.no_grad()
    def predict_label(self, mixture: torch.Tensor) -> dict[str, Any]:
        """The tagger's labels (argmax of each track's vector), probabilities and vectors without the silence entry."""
        if self.tagger is None:
            raise RuntimeError("no tagger loaded (oracle labels only)")
        with self._autocast(mixture.device):
            output = self.tagger.predict({"waveform": mixture})
        vectors = output["label_vector"].float()  # (B, K, n_classes + 1)
        if vectors.shape[-1] != self.n_classes + 1:
            raise ValueError(f"the tagger gives {vectors.shape[-1]} values per track, expected {self.n_classes + 1}")
        labels = [[self.labels[int(i)] for i in torch.argmax(row, dim=1)] for row in vectors]
        return {"label": labels, "probabilities": output["probabilities"].float(), "label_vector": vectors[..., :-1]}

    @torch.no_grad()
    def separate(self, mixture: torch.Tensor, labels: Sequence[Sequence[str]] | torch.Tensor) -> torch.Tensor:
        """(B, K, T) float32 waveforms for a (B, C, T) mixture and label names or a (B, K * n_classes) query."""
        query = labels if torch.is_tensor(labels) else self.label_query(labels)
        query = query.to(mixture.device, torch.float32)
        with self._autocast(mixture.device):
            output = self.separator({"mixture": mixture, "label_vector": query})
        waveform = output["waveform"]  # (B, K, 1, T)
        return waveform[:, :, 0, :].float()

    @torch.no_grad()
    def predict_label_separate(self, mixture: torch.Tensor) -> Prediction:
        """Tag, move silence last (labels, probabilities and vectors alike), then separate with the 54-value query."""
        tagged = self.predict_label(mixture)
        labels, probs, vectors = tagged["label"], tagged["probabilities"].clone(), tagged["label_vector"].clone()
        for b in range(len(labels)):
            order = silence_last_order(labels[b])
            labels[b] = [labels[b][i] for i in order]
            index = torch.tensor(order, device=vectors.device)
            vectors[b] = vectors[b][index]
            probs[b] = probs[b][index.to(probs.device)]
        query = vectors.flatten(start_dim=1)
        return Prediction(labels, probs, self.separate(mixture, query), query)

    @torch.no_grad()
    def oracle_separate(self, mixture: torch.Tensor, labels: Sequence[Sequence[str]]) -> Prediction:
        """Separate with given labels (the official ``Evaluator.predict(mixture, labels)``): probabilities 1.0."""
        waveforms = self.separate(mixture, labels)
        probs = torch.ones(waveforms.shape[:2], dtype=torch.float32)
        return Prediction([list(x) for x in labels], probs, waveforms, self.label_query(labels))


# torchlibrosa's STFT/ISTFT kernels: frozen nn.Parameters in the official ResUNet30 (so counted in its
# ``nparams``), persistent buffers of the same names in our port (baseline/models/resunet30.py)
OFFICIAL_FROZEN_KERNELS = ("base.stft.conv_real.weight", "base.stft.conv_imag.weight",
                           "base.istft.conv_real.weight", "base.istft.conv_imag.weight")


def count_parameters(module: nn.Module) -> int:
    """``nparams`` as the official scripts count it: ``sum(p.numel() for p in model.parameters())`` of the
    official modules, i.e. ours plus the separator's STFT kernels, which the official code holds as
    frozen parameters (26,740,971 + 3,147,776 for ResUNet30)."""
    total = sum(p.numel() for p in module.parameters())
    own_parameters = {name for name, _ in module.named_parameters()}
    for name, buffer in module.named_buffers():
        if name.split("separator.", 1)[-1] in OFFICIAL_FROZEN_KERNELS and name not in own_parameters:
            total += buffer.numel()
    return total


@dataclass
class OfficialSystem:
    """A loaded official system and what the package records about its checkpoints."""

    model: OfficialS5
    variant: str | None  # "1c" or "4c"; None without a tagger
    info: dict[str, Any]


def _lightning_info(checkpoint: Any, path: Path) -> dict[str, Any]:
    info: dict[str, Any] = {"file": path.name}
    if isinstance(checkpoint, Mapping):
        for key in ("epoch", "global_step", "pytorch-lightning_version"):
            value = checkpoint.get(key)
            if isinstance(value, (int, str)) and not isinstance(value, bool):
                info[key] = value
    return info


def load_official_system(tagger_ckpt: str | Path | None, separator_ckpt: str | Path, device: str | torch.device = "cpu",
                         trust: bool = False) -> OfficialSystem:
    """Build the tagger variant its checkpoint's names call for and the ResUNet30, load both strictly.

    ``tagger_ckpt`` None loads the separator only (oracle labels). Raises
    :class:`OfficialCheckpointError` for a checkpoint that cannot be used.
    """
    from .models.m2dat import m2dat_1c, m2dat_4c, tagger_variant_from_keys
    from .models.resunet30 import ResUNet30

    device = torch.device(device)
    info: dict[str, Any] = {}
    separator_path = Path(separator_ckpt)
    raw = read_checkpoint(separator_path, trust)
    separator = ResUNet30(input_channels=N_CHANNELS, output_channels=1, target_sources_num=N_TRACKS,
                          label_len=N_TRACKS * len(OFFICIAL_LABELS))
    load_strict(separator, state_dict_of(raw, str(separator_path)), str(separator_path))
    info["separator"] = _lightning_info(raw, separator_path)
    del raw
    tagger, variant = None, None
    if tagger_ckpt is not None:
        tagger_path = Path(tagger_ckpt)
        raw = read_checkpoint(tagger_path, trust)
        state = state_dict_of(raw, str(tagger_path))
        try:
            variant = tagger_variant_from_keys(list(state))
        except (ValueError, KeyError) as exc:
            raise OfficialCheckpointError(f"{tagger_path}: not an M2D-AT tagger checkpoint ({exc})") from None
        tagger = {"1c": m2dat_1c, "4c": m2dat_4c}[variant]()
        load_strict(tagger, state, str(tagger_path))
        info["tagger"] = {**_lightning_info(raw, tagger_path), "variant": variant}
        del raw, state
    model = OfficialS5(tagger, separator).to(device).eval()
    return OfficialSystem(model, variant, info)
