"""Training and validation mixtures from the official development set, as the official recipe makes them.

* :class:`DevSetMixtures` (the official ``DatasetS3`` ``mode: generate``): a new mixture
  per item, drawn from a split (``sound_event/train``, ``noise/train``,
  ``interference/train``, ``room_ir/train``) with the official mixing parameters
  (:class:`s5eval.synth.scene_recipe.SceneRecipe`), seeded by ``(seed, epoch, index)``;
  targets in a shuffled order (``shuffle_label``).
* :class:`ValidListMixtures` (``mode: metadata``): the mixtures of ``metadata/valid.json``,
  rendered from their SpAudSyn metadata, targets in onset order.

Items are the dicts of :mod:`baseline.data`; with ``silence_last`` the targets fill the
first slots and silence the rest, as the official dataset pads its label list.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from s5eval.synth.devset_layout import SceneSources, split_folders
from s5eval.synth.scene_metadata import read_metadata, read_metadata_list
from s5eval.synth.scene_recipe import SceneDrawer, SceneRecipe
from s5eval.synth.scene_render import render_scene

from .data import encode_item


def _item(scene, classes: Sequence[str], k_max: int, rng: np.random.Generator | None,
          silence_last: bool) -> dict[str, torch.Tensor]:
    targets = list(zip(scene.labels, scene.dry))
    if silence_last:
        if rng is not None:
            targets = [targets[i] for i in rng.permutation(len(targets))]
        return encode_item(scene.mixture, targets, classes, k_max, None)
    return encode_item(scene.mixture, targets, classes, k_max, rng)


class DevSetMixtures(Dataset):
    """``size`` mixtures a pass drawn from ``split`` of the dev set at ``root``; :meth:`set_epoch` draws new ones."""

    def __init__(self, root: str | Path, classes: Sequence[str], k_max: int, size: int, seed: int,
                 recipe: SceneRecipe, split: str = "train", silence_last: bool = True):
        self.root, self.classes, self.k_max = Path(root), tuple(classes), k_max
        self.size, self.seed, self.recipe, self.silence_last = size, seed, recipe, silence_last
        self.drawer = SceneDrawer(SceneSources(split_folders(root, split), self.classes), recipe)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.size

    def metadata(self, index: int) -> dict:
        """The official metadata of item ``index`` this epoch."""
        return self.drawer.draw(np.random.default_rng((self.seed, self.epoch, int(index))))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        scene = render_scene(self.metadata(index), self.root)
        rng = np.random.default_rng((self.seed, self.epoch, int(index), 1)) if self.recipe.shuffle_label else None
        return _item(scene, self.classes, self.k_max, rng, self.silence_last)


class ValidListMixtures(Dataset):
    """The mixtures listed by the official ``metadata/valid.json`` of the dev set at ``root``."""

    def __init__(self, root: str | Path, classes: Sequence[str], k_max: int, valid_list: str | Path | None = None):
        self.root, self.classes, self.k_max = Path(root), tuple(classes), k_max
        self.files = read_metadata_list(valid_list or self.root / "metadata" / "valid.json")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        scene = render_scene(read_metadata(self.files[index]), self.root)
        return _item(scene, self.classes, self.k_max, None, True)
