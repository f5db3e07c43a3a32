"""The official DCASE 2026 Task 4 mixing recipe: draw one mixture's metadata from a dev-set split.

The parameters and their meaning are those of the official training configs
(nttcslab/dcase2026_task4_baseline ``config/label/*.yaml`` and
``config/separation/resunetk_capisdr.yaml``, ``spatial_sound_scene`` and the
keys beside it) as ``src/datamodules/dataset.py`` uses them with SpAudSyn:

* ``nevent_range`` [lo, hi]: the number of targets, uniform (tagger 0–3, separator 1–3);
* with probability ``dupse_rate`` (and at least two targets) ``n_dup`` of them,
  uniform in 1..min(n − 1, ``max_n_dupse``), repeat the class of a target drawn among
  the others; a repeated target sits at a measured position more than
  ``dupse_min_angle`` degrees from every target of its class, and its file comes from
  another folder at depth ``dupse_exclusion_folder_depth`` below the class folder
  than the files already used for that class (0: any other file);
* the other targets have distinct classes, any file of the class, any measured position;
* ``ninterference_range``: interferers (any label, with repetition, any position);
* SNRs uniform in ``snr_range`` (targets) and ``interference_snr_range`` (interferers),
  in dB relative to ``ref_db`` (the background sits at ``ref_db``);
* an event lasts its file, at most ``max_event_dur`` s (a longer file: a random excerpt);
  its onset is uniform over the mixture, with at most ``max_event_overlap`` events at once;
* one background noise file (a random whole-second excerpt) and one room per mixture.

The result is the metadata dictionary SpAudSyn writes (``config``, ``fg_events``,
``bg_events``, ``int_events``, ``room``), so :mod:`.scene_render` renders a drawn
mixture and an official ``metadata/valid/*.json`` alike. Randomness comes from a
numpy ``Generator``; the draws are the official ones in distribution, not in sequence.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .devset import DevSetError
from .devset_layout import SceneSources, duration_seconds
from .sofa_lazy import open_sofa

ROOM_MODULE = "src.modules.spatial_audio_synthesizer.room"  # as the official configs name SpAudSyn's room


@dataclass(frozen=True)
class SceneRecipe:
    """The official mixing parameters (defaults: the 2026 tagger configs). Seconds, Hz, dB, degrees."""

    duration: float = 10.0
    sr: int = 32000
    max_event_overlap: int = 3
    max_event_dur: float = 10.0
    ref_db: float = -55.0
    direct_range_ms: tuple[float, float] = (6.0, 50.0)
    dupse_rate: float = 0.5
    dupse_min_angle: float = 60.0
    max_n_dupse: int = 2
    dupse_exclusion_folder_depth: int = 1
    snr_range: tuple[float, float] = (5.0, 20.0)
    nevent_range: tuple[int, int] = (0, 3)
    ninterference_range: tuple[int, int] = (0, 2)
    interference_snr_range: tuple[float, float] = (0.0, 15.0)
    shuffle_label: bool = True

    def __post_init__(self) -> None:
        lo, hi = self.nevent_range
        if not 0 <= lo <= hi:
            raise ValueError(f"nevent_range must be [lo, hi] with 0 <= lo <= hi, not {list(self.nevent_range)}")
        if not 0 <= self.ninterference_range[0] <= self.ninterference_range[1]:
            raise ValueError("ninterference_range must be [lo, hi] with 0 <= lo <= hi")
        if not 0.0 <= self.dupse_rate <= 1.0:
            raise ValueError("dupse_rate must lie in [0, 1]")
        if self.duration <= 0 or self.sr <= 0 or not 0 < self.max_event_dur <= self.duration:
            raise ValueError("duration and sr must be positive and 0 < max_event_dur <= duration")
        if self.max_n_dupse < 1 or self.dupse_exclusion_folder_depth < 0 or self.max_event_overlap < 1:
            raise ValueError("max_n_dupse and max_event_overlap must be at least 1, "
                             "dupse_exclusion_folder_depth at least 0")
        if not (self.direct_range_ms[0] > 0 and self.direct_range_ms[1] >= 0):
            raise ValueError("direct_range_ms must be [before > 0, after >= 0] milliseconds")

    @classmethod
    def from_dict(cls, values: dict | None) -> "SceneRecipe":
        """A recipe from a config mapping; unknown keys raise ValueError naming them."""
        values = dict(values or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown recipe key(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**kwargs)

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def official_dir(top: str, split: str) -> str:
    """A folder as the official metadata names it (``data/dev_set/<top>/<split>``)."""
    return f"data/dev_set/{top}/{split}"


def _choice(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def event_onset(rng: np.random.Generator, duration: float, event_duration: float, max_overlap: int,
                events: list[dict]) -> float | None:
    """A start time (s) keeping at most ``max_overlap`` events at once; None when there is no room
    (SpAudSyn's ``find_event_time``)."""
    if len(events) < max_overlap:
        return float(rng.uniform(0.0, duration - event_duration))
    points = sorted([(e["event_time"], 1) for e in events] + [(e["event_time"] + e["event_duration"], -1)
                                                              for e in events], key=lambda p: (p[0], -p[1]))
    points.append((duration, max_overlap))
    start: float | None
    segments, overlap, start = [], 0, 0.0
    for time, delta in points:
        overlap += delta
        if overlap >= max_overlap:
            if start is not None and time - start >= event_duration:
                segments.append((start, time))
            start = None
        elif start is None:
            start = time
    if not segments:
        return None
    lo, hi = _choice(rng, segments)
    return float(lo + rng.uniform(0.0, hi - lo - event_duration))


def allowed_files(files: tuple[Path, ...], class_dir: Path, used: list[Path], depth: int) -> list[Path]:
    """Files of a class that may join ``used`` (SpAudSyn's ``source_file_filter``): never a used file, and with
    ``depth`` > 0 none under a folder, ``depth`` levels below the class folder, that holds a used file."""
    used_set = set(used)
    remaining = [f for f in files if f not in used_set]
    if depth == 0:
        return remaining
    forbidden = {f.relative_to(class_dir).parts[:depth] for f in used if len(f.relative_to(class_dir).parts) > depth}
    return [f for f in remaining if not (len(f.relative_to(class_dir).parts) > depth
                                         and f.relative_to(class_dir).parts[:depth] in forbidden)]


class SceneDrawer:
    """Draws mixtures of one split with a :class:`SceneRecipe` (see the module docstring)."""

    def __init__(self, sources: SceneSources, recipe: SceneRecipe):
        self.sources, self.recipe = sources, recipe
        split = sources.folders.split
        self.dirs = {"foreground": official_dir("sound_event", split), "background": official_dir("noise", split),
                     "interference": official_dir("interference", split), "room": official_dir("room_ir", split)}

    def _event(self, rng: np.random.Generator, events: list[dict], label: str, path: Path, base: Path,
               position: list, snr_range, role: str) -> dict | None:
        r = self.recipe
        length = duration_seconds(str(path))
        source_time = float(rng.uniform(0.0, length - r.max_event_dur)) if length > r.max_event_dur else 0
        event_duration = min(length, r.max_event_dur)
        onset = event_onset(rng, r.duration, event_duration, r.max_event_overlap, events)
        if onset is None:  # no room in time: the event is not added, as SpAudSyn does
            return None
        return {"label": label, "source_file": path.relative_to(base).as_posix(), "source_time": source_time,
                "event_time": onset, "event_duration": event_duration, "event_position": position,
                "snr": float(rng.uniform(*snr_range)), "role": role}

    def _position(self, room, m: int) -> list:
        return [room.positions[int(m)].tolist()]

    def draw(self, rng: np.random.Generator) -> dict:
        """One mixture's metadata (SpAudSyn layout); events sorted by onset."""
        r, src = self.recipe, self.sources
        room_path = _choice(rng, src.rooms)
        room = open_sofa(str(room_path))
        fg_dir = src.folders.foreground
        fg: list[dict] = []
        chosen: list[int] = []  # measurement of each target
        n = int(rng.integers(r.nevent_range[0], r.nevent_range[1] + 1))
        n_dup = 0
        if n >= 2 and rng.random() <= r.dupse_rate:
            n_dup = int(rng.integers(1, min(n - 1, r.max_n_dupse) + 1))
        for _ in range(n - n_dup):
            remaining = [c for c in src.labels if c not in {e["label"] for e in fg}]
            if not remaining:
                break
            label = _choice(rng, remaining)
            m = int(rng.integers(room.n_measurements))
            event = self._event(rng, fg, label, _choice(rng, src.targets[label]), fg_dir, self._position(room, m),
                                r.snr_range, "foreground")
            if event is not None:
                fg.append(event)
                chosen.append(m)
        originals = [e["label"] for e in fg]
        for _ in range(n_dup if originals else 0):
            label = _choice(rng, originals)
            same = [chosen[i] for i, e in enumerate(fg) if e["label"] == label]
            cos = room.directions @ room.directions[same].T
            allowed = np.flatnonzero(np.all(cos < math.cos(math.radians(r.dupse_min_angle)), axis=1))
            if allowed.size == 0:
                raise DevSetError(f"{room.path}: no measured position lies more than {r.dupse_min_angle:g}° from "
                                  f"every '{label}' target; the room cannot hold a repeated class")
            used = [fg_dir / e["source_file"] for e in fg if e["label"] == label]
            files = allowed_files(src.targets[label], fg_dir / label, used, r.dupse_exclusion_folder_depth)
            if not files:
                continue  # no file left for that class: the event is not added, as SpAudSyn does
            m = int(_choice(rng, allowed))
            event = self._event(rng, fg, label, _choice(rng, files), fg_dir, self._position(room, m),
                                r.snr_range, "foreground")
            if event is not None:
                fg.append(event)
                chosen.append(m)
        interferers: list[dict] = []
        if src.interferers and src.folders.interference is not None:  # interferers come from interference/
            labels = sorted(src.interferers)
            for _ in range(int(rng.integers(r.ninterference_range[0], r.ninterference_range[1] + 1))):
                label = _choice(rng, labels)
                m = int(rng.integers(room.n_measurements))
                event = self._event(rng, interferers, label, _choice(rng, src.interferers[label]),
                                    src.folders.interference, self._position(room, m), r.interference_snr_range,
                                    "interference")
                if event is not None:
                    interferers.append(event)
        background = self._background(rng, room.n_channels)
        return {
            "config": {"duration": r.duration, "sr": r.sr, "max_event_overlap": r.max_event_overlap,
                       "max_event_dur": r.max_event_dur, "ref_db": r.ref_db, "foreground_dir": self.dirs["foreground"],
                       "background_dir": self.dirs["background"] if src.noises else None,
                       "interference_dir": self.dirs["interference"] if src.interferers else None,
                       "room_config": {"module": ROOM_MODULE, "main": "SofaRoom",
                                       "args": {"path": self.dirs["room"],
                                                "direct_range_ms": list(r.direct_range_ms)}},
                       "verbose": False},
            "fg_events": sorted(fg, key=lambda e: e["event_time"]),
            "bg_events": background,
            "int_events": sorted(interferers, key=lambda e: e["event_time"]),
            "room": {"module": ROOM_MODULE, "main": "SofaRoom.from_metadata",
                     "args": {"metadata": {"sofa_path": f"{self.dirs['room']}/{room_path.name}", "sr": room.samplerate,
                                           "nchan": room.n_channels, "nrir": room.n_measurements,
                                           "rir_len": room.n_samples, "direct_range_ms": list(r.direct_range_ms)}}},
        }

    def _background(self, rng: np.random.Generator, n_channels: int) -> list[dict]:
        src, r = self.sources, self.recipe
        if not src.noises:
            return []
        path = _choice(rng, src.noises)
        info = sf.info(str(path))
        if info.channels != n_channels:  # SpAudSyn adds no background then (with a warning)
            return []
        length = info.frames / float(info.samplerate)
        start = math.floor(rng.uniform(0.0, length - r.duration)) if length > r.duration else None
        return [{"label": None, "source_file": path.relative_to(src.folders.noise).as_posix(), "source_time": start,
                 "event_time": 0, "event_duration": r.duration, "event_position": None, "snr": 0,
                 "role": "background"}]
