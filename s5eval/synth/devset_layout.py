"""The official DCASE 2026 Task 4 development set as distributed, one split at a time.

    dev_set/sound_event/<split>/<Class>/**.wav      target events (nested folders allowed)
    dev_set/interference/<split>/<Label>/**.wav     interferers (optional)
    dev_set/noise/<split>/**.wav                     4-channel background noise (optional)
    dev_set/room_ir/<split>/*.sofa                   measured FOA rooms
    dev_set/metadata/valid.json                      the validation mixtures (see :mod:`.scene_metadata`)

``<split>`` is ``train`` or ``valid``. :class:`SceneSources` lists what one split
offers, as the official SpAudSyn lists its folders: the class folders of
``sound_event/<split>`` (hidden folders skipped), every ``.wav`` below a class
folder, every ``.wav`` below ``noise/<split>``, the ``.sofa`` files directly in
``room_ir/<split>``. Lists are sorted, so a seed gives the same mixture anywhere.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import soundfile as sf

from .devset import DevSetError
from .sofa_lazy import sofa_files

TOP_FOLDERS = ("sound_event", "interference", "noise", "room_ir")
SPLITS = ("train", "valid")


def has_splits(root: str | Path) -> bool:
    """Whether ``root`` is laid out as distributed (``sound_event/train`` or ``sound_event/valid``)."""
    return any((Path(root) / "sound_event" / split).is_dir() for split in SPLITS)


@dataclass(frozen=True)
class SplitFolders:
    """The folders of one split; ``interference`` and ``noise`` are None when absent."""

    root: Path
    split: str
    foreground: Path
    interference: Path | None
    noise: Path | None
    room_ir: Path


def split_folders(root: str | Path, split: str) -> SplitFolders:
    """The folders of ``split``; :class:`DevSetError` naming what is missing."""
    root = Path(root)
    if not root.is_dir():
        raise DevSetError(f"{root} is not a folder (expected the DCASE development set, dev_set/)")
    fg, rooms = root / "sound_event" / split, root / "room_ir" / split
    missing = [str(p.relative_to(root)) for p in (fg, rooms) if not p.is_dir()]
    if missing:
        raise DevSetError(f"{root} lacks {' and '.join(missing)}/ (the development set as distributed has "
                          f"sound_event/, noise/, interference/ and room_ir/, each with train/ and valid/)")
    inter, noise = root / "interference" / split, root / "noise" / split
    return SplitFolders(root, split, fg, inter if inter.is_dir() else None, noise if noise.is_dir() else None, rooms)


def _wavs(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.rglob("*.wav") if p.is_file()))


def _label_folders(folder: Path) -> dict[str, tuple[Path, ...]]:
    return {d.name: _wavs(d) for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".")}


@functools.lru_cache(maxsize=65536)
def duration_seconds(path: str) -> float:
    """Length of an audio file in seconds (header only)."""
    info = sf.info(path)
    return info.frames / float(info.samplerate)


class SceneSources:
    """What one split offers the mixing recipe: target files per class, interferer files per label, noise files
    and rooms. ``classes`` (the model's) must name every class folder; each class folder must hold audio."""

    def __init__(self, folders: SplitFolders, classes: Sequence[str] | None = None):
        self.folders = folders
        self.targets = _label_folders(folders.foreground)
        if not self.targets:
            raise DevSetError(f"{folders.foreground} holds no class folders")
        if classes is not None:
            unknown = sorted(set(self.targets) - set(classes))
            if unknown:
                raise DevSetError(f"{folders.foreground} has folders that are not classes of the label set: "
                                  f"{', '.join(unknown)}")
        empty = [c for c, files in self.targets.items() if not files]
        if empty:
            raise DevSetError(f"{folders.foreground}: no .wav file for {', '.join(empty)}")
        self.interferers = ({k: v for k, v in _label_folders(folders.interference).items() if v}
                            if folders.interference else {})
        self.noises = _wavs(folders.noise) if folders.noise else ()
        self.rooms = tuple(sofa_files(folders.room_ir))
        if not self.rooms:
            raise DevSetError(f"{folders.room_ir} holds no .sofa file")

    @property
    def labels(self) -> list[str]:
        return sorted(self.targets)
