"""Sources and rooms from a user's DCASE dev set (``--source-dir``).

Target events are drawn from ``sound_event/<Class>/**.wav``, interferers from
``interference/**/*.wav`` and background noise from ``noise/**/*.wav`` (a
random excerpt; FOA when the file has 4 channels, else made diffuse). Files are
resampled to the mixture rate when needed. The development set as distributed
has a ``train`` and a ``valid`` split under each of these folders
(``sound_event/train/<Class>/``, ``room_ir/train/*.sofa``, ...): then the ``train``
split is used (``split=`` chooses another).

Rooms are the dev set's measured ``room_ir/*.sofa`` (one room a file, read
with ``sofar``; see :mod:`.sofa_rooms`): each source is placed at the measured
position nearest to the recipe's direction, and the metadata records that
position and the file (``"rooms": "sofa"``). Without a ``room_ir/`` folder the
simulated shoebox rooms of :mod:`.rooms` are used (``"rooms": "simulated"``).
A ``room_ir/`` with no usable SOFA file is a :class:`DevSetError`; a missing
``sofar`` raises :class:`.rooms.MissingSynthDependency`.
"""
from __future__ import annotations

import functools
from math import gcd
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ..labels import DCASE_CLASSES
from .pools import ProceduralPool
from .sources import diffuse_noise

if TYPE_CHECKING:
    from .sofa_rooms import SofaRoom


class DevSetError(ValueError):
    """The --source-dir folder is not a usable DCASE dev set."""


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".wav", ".flac") and p.is_file())


def _excerpt(path: Path, rng: np.random.Generator, sr: int, n: int, channels: int | None) -> np.ndarray:
    """(channels, n) float64 excerpt of a file at ``sr`` Hz, looped when shorter."""
    data, file_sr = sf.read(str(path), dtype="float64", always_2d=True)
    data = data.T
    if file_sr != sr:
        g = gcd(int(file_sr), int(sr))
        data = resample_poly(data, sr // g, file_sr // g, axis=1)
    if channels is not None:
        data = data[:channels]
    if data.shape[1] < n:
        data = np.tile(data, (1, int(np.ceil(n / max(data.shape[1], 1)))))
    start = int(rng.integers(0, data.shape[1] - n + 1))
    return data[:, start:start + n]


def _unit(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x[0] ** 2)))
    return x / rms if rms > 0 else x


class DevSetPool(ProceduralPool):
    """Dev-set sources and noise; the dev set's SOFA rooms, or simulated rooms when it has no room_ir/."""

    def __init__(self, root: str | Path, split: str = "train"):
        self.root = Path(root)
        events = self.root / "sound_event"
        if not events.is_dir():
            raise DevSetError(f"{self.root} has no sound_event/ folder (expected a DCASE dev set)")
        splits = [s for s in ("train", "valid") if (events / s).is_dir()]
        sub = Path(split) if splits else Path()
        if splits and split not in splits:
            raise DevSetError(f"{self.root}/sound_event has no {split}/ split (it has {', '.join(splits)})")
        events = events / sub
        self.events = {c: _wavs(events / c) for c in DCASE_CLASSES if (events / c).is_dir()}
        self.events = {c: files for c, files in self.events.items() if files}
        missing = [c for c in DCASE_CLASSES if c not in self.events]
        if missing:
            raise DevSetError(f"{events.relative_to(self.root)}/ lacks audio for {', '.join(missing)}")
        interference, noise, room_ir = (self.root / top / sub for top in ("interference", "noise", "room_ir"))
        self.interferers = _wavs(interference) if interference.is_dir() else []
        self.noises = _wavs(noise) if noise.is_dir() else []
        self.noise_model = "dev set noise/" if self.noises else "procedural diffuse (dev set has no noise/)"
        self.sofa_rooms: tuple[SofaRoom, ...] = ()
        if room_ir.is_dir():
            from .sofa_rooms import SofaRoomError, load_rooms

            try:
                self.sofa_rooms = load_rooms(str(room_ir))
            except SofaRoomError as exc:
                raise DevSetError(str(exc)) from None
        self.room_model = "sofa" if self.sofa_rooms else "simulated"

    def draw_room(self, rng):
        if not self.sofa_rooms:
            return super().draw_room(rng)
        return self.sofa_rooms[int(rng.integers(len(self.sofa_rooms)))]

    def place(self, room, rng, labels, directions, min_separation_deg):
        if not self.sofa_rooms:
            return None
        from .sofa_rooms import SofaRoomError

        try:
            return room.place(rng, labels, directions, min_separation_deg)
        except SofaRoomError as exc:
            raise DevSetError(str(exc)) from None

    def rir(self, room, azimuth_deg, elevation_deg, distance_m, sr):
        if not self.sofa_rooms:
            return super().rir(room, azimuth_deg, elevation_deg, distance_m, sr)
        return room.response(room.lookup(azimuth_deg, elevation_deg, distance_m), sr)

    def target(self, label, rng, sr, n):
        path = self.events[label][int(rng.integers(len(self.events[label])))]
        return _unit(_excerpt(path, rng, sr, n, 1))[0], f"dev_set/{path.relative_to(self.root)}"

    def interferer(self, rng, sr, n):
        if not self.interferers:
            return super().interferer(rng, sr, n)
        path = self.interferers[int(rng.integers(len(self.interferers)))]
        return path.parent.name, _unit(_excerpt(path, rng, sr, n, 1))[0], f"dev_set/{path.relative_to(self.root)}"

    def noise(self, rng, sr, n):
        if not self.noises:
            return diffuse_noise(rng, sr, n)
        path = self.noises[int(rng.integers(len(self.noises)))]
        x = _excerpt(path, rng, sr, n, 4)
        if x.shape[0] < 4:
            x = np.concatenate([x[:1], diffuse_noise(rng, sr, n)[1:] * np.std(x[0])])
        return _unit(x)


@functools.lru_cache(maxsize=4)
def dev_set_pool(root: str) -> DevSetPool:
    return DevSetPool(root)
