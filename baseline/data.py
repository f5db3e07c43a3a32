"""Datasets for training and validating the baseline.

Every item is a dict of tensors:

* ``mixture``  (M, T) float32 samples, channel 0 the reference microphone;
* ``labels``   (K_max,) long class indices, ``len(classes)`` for an empty (silence) slot;
* ``targets``  (K_max, T) float32 dry targets, zeros in silence slots.

Sources: mixtures synthesized on the fly by :func:`s5eval.synth.api.make_example`
(:class:`SynthesizedMixtures`, any seed-to-example callable can stand in for it),
or a DCASE-layout folder with ``soundscape/`` and ``oracle_target/``
(:class:`FolderMixtures`). Target slots are placed at random positions among the
K_max slots, so the separator learns that a query's position carries no meaning.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from s5eval.io.audio import read_audio
from s5eval.io.refset import load_reference_set


class ExampleLike(Protocol):
    """What a generator returns: ``mixture`` (M, T) and ``targets`` [(label, (T,) samples)]."""

    mixture: np.ndarray
    targets: list[tuple[str, np.ndarray]]


class SynthGenerator:
    """Picklable seed -> example callable around ``s5eval.synth.api.make_example``."""

    def __init__(self, settings: dict[str, Any] | None = None):
        self.settings = dict(settings or {})
        self._config = None

    def __call__(self, seed: Sequence[int]) -> ExampleLike:
        from s5eval.synth.api import SynthConfig, make_example

        if self._config is None:
            kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in self.settings.items()}
            self._config = SynthConfig(**kw)
        return make_example(list(seed), self._config)


def encode_item(mixture: np.ndarray, targets: Sequence[tuple[str, np.ndarray]], classes: Sequence[str],
                k_max: int, rng: np.random.Generator | None) -> dict[str, torch.Tensor]:
    """Turn a mixture and its labelled targets into the tensor item (slots shuffled when ``rng`` is given)."""
    if len(targets) > k_max:
        raise ValueError(f"a mixture holds {len(targets)} targets but the model has only K_max = {k_max} slots")
    index = {name: i for i, name in enumerate(classes)}
    length = mixture.shape[-1]
    labels = np.full(k_max, len(classes), dtype=np.int64)
    wavs = np.zeros((k_max, length), dtype=np.float32)
    slots = rng.permutation(k_max)[: len(targets)] if rng is not None else np.arange(len(targets))
    for slot, (label, wav) in zip(slots, targets):
        if label not in index:
            raise ValueError(f"target label {label!r} is not a class of the model")
        labels[slot] = index[label]
        wavs[slot] = np.asarray(wav, dtype=np.float32)[:length]
    return {"mixture": torch.from_numpy(np.ascontiguousarray(mixture, dtype=np.float32)),
            "labels": torch.from_numpy(labels), "targets": torch.from_numpy(wavs)}


class SynthesizedMixtures(Dataset):
    """``size`` mixtures a pass, synthesized from the seed ``(seed, epoch, index)``.

    Call :meth:`set_epoch` to draw new mixtures every epoch (training); keep the
    epoch fixed for a held-out set (validation).
    """

    def __init__(self, classes: Sequence[str], k_max: int, size: int, seed: int,
                 generator: Callable[[Sequence[int]], ExampleLike], shuffle_slots: bool = True):
        self.classes, self.k_max, self.size, self.seed = tuple(classes), k_max, size, seed
        self.generator = generator
        self.shuffle_slots = shuffle_slots
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        seed = (self.seed, self.epoch, int(index))
        example = self.generator(seed)
        rng = np.random.default_rng((*seed, 1)) if self.shuffle_slots else None
        return encode_item(example.mixture, example.targets, self.classes, self.k_max, rng)


class FolderMixtures(Dataset):
    """Mixtures of a DCASE-layout folder (``soundscape/`` + ``oracle_target/``).

    With ``segment_seconds`` a random segment of that length is cut from every
    mixture (training); otherwise the whole mixture is returned.
    """

    def __init__(self, root: str | Path, classes: Sequence[str], k_max: int, seed: int = 0,
                 segment_seconds: float | None = None, shuffle_slots: bool = True):
        self.reference = load_reference_set(root, tuple(classes))
        self.names = self.reference.names
        self.classes, self.k_max, self.seed = tuple(classes), k_max, seed
        self.segment_seconds = segment_seconds
        self.shuffle_slots = shuffle_slots
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        mix = self.reference.mixtures[self.names[index]]
        mixture, info = read_audio(mix.path)
        mixture = mixture.T
        targets = [(t.label, read_audio(t.path, channel=0)[0]) for t in mix.targets]
        rng = np.random.default_rng((self.seed, self.epoch, int(index)))
        if self.segment_seconds is not None:
            seg = int(round(self.segment_seconds * info.samplerate))
            if mixture.shape[-1] > seg:
                start = int(rng.integers(0, mixture.shape[-1] - seg + 1))
                mixture = mixture[:, start:start + seg]
                targets = [(label, wav[start:start + seg]) for label, wav in targets]
        return encode_item(mixture, targets, self.classes, self.k_max, rng if self.shuffle_slots else None)


@dataclass
class DataSpec:
    """The ``data`` section of a config: where training and validation mixtures come from.

    ``dev_set``: the official development set (``dev_set/``): training mixtures drawn from its ``split`` with
    the official ``recipe`` (``train_size`` an epoch; :mod:`baseline.devset_data`), validation on
    ``valid_list`` (default ``<dev_set>/metadata/valid.json``). Otherwise synthesized mixtures
    (``synth``) or DCASE-layout folders (``train_folder``, ``val_folder``). ``silence_last``: targets fill
    the first slots (the official order) instead of random ones."""

    train_size: int = 1000
    val_size: int = 50
    seed: int = 0
    val_seed: int = 1_000_000
    synth: dict | None = None
    train_folder: str | None = None
    val_folder: str | None = None
    segment_seconds: float | None = None
    num_workers: int = 0
    dev_set: str | None = None
    split: str = "train"
    recipe: dict | None = None
    valid_list: str | None = None
    silence_last: bool = False


def build_datasets(spec: DataSpec, classes: Sequence[str], k_max: int,
                   generator: Callable[[Sequence[int]], ExampleLike] | None = None) -> tuple[Dataset, Dataset]:
    """Training and validation datasets of a config; ``generator`` replaces the synthesizer (tests)."""
    if spec.dev_set:
        from s5eval.synth.scene_recipe import SceneRecipe

        from .devset_data import DevSetMixtures, ValidListMixtures

        recipe = SceneRecipe.from_dict(spec.recipe)
        return (DevSetMixtures(spec.dev_set, classes, k_max, spec.train_size, spec.seed, recipe, spec.split,
                               spec.silence_last),
                ValidListMixtures(spec.dev_set, classes, k_max, spec.valid_list))
    gen = generator or SynthGenerator(spec.synth)
    if spec.train_folder:
        train: Dataset = FolderMixtures(spec.train_folder, classes, k_max, spec.seed, spec.segment_seconds)
    else:
        train = SynthesizedMixtures(classes, k_max, spec.train_size, spec.seed, gen)
    if spec.val_folder:
        val: Dataset = FolderMixtures(spec.val_folder, classes, k_max, spec.val_seed, None, shuffle_slots=False)
    else:
        val = SynthesizedMixtures(classes, k_max, spec.val_size, spec.val_seed, gen, shuffle_slots=False)
    return train, val
