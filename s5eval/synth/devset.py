"""Sources from a user's DCASE dev set (``--source-dir``): ``sound_event/<Class>/``, ``interference/``, ``noise/``.

Target events are drawn from ``sound_event/<Class>/*.wav``, interferers from
``interference/**/*.wav`` and background noise from ``noise/**/*.wav`` (a
random excerpt; FOA when the file has 4 channels, else made diffuse). Files are
resampled to the mixture rate when needed. Rooms stay the simulated shoebox
rooms of :mod:`.rooms`: reading the dev set's ``room_ir/*.sofa`` is not
implemented yet.
"""
from __future__ import annotations

import functools
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ..labels import DCASE_CLASSES
from .pools import ProceduralPool
from .sources import diffuse_noise


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
    """Dev-set sources and noise, simulated rooms."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        events = self.root / "sound_event"
        if not events.is_dir():
            raise DevSetError(f"{self.root} has no sound_event/ folder (expected a DCASE dev set)")
        self.events = {c: _wavs(events / c) for c in DCASE_CLASSES if (events / c).is_dir()}
        self.events = {c: files for c, files in self.events.items() if files}
        missing = [c for c in DCASE_CLASSES if c not in self.events]
        if missing:
            raise DevSetError(f"sound_event/ lacks audio for {', '.join(missing)}")
        self.interferers = _wavs(self.root / "interference") if (self.root / "interference").is_dir() else []
        self.noises = _wavs(self.root / "noise") if (self.root / "noise").is_dir() else []
        self.noise_model = "dev set noise/" if self.noises else "procedural diffuse (dev set has no noise/)"

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
