"""Render a mixture from its official metadata (SpAudSyn's ``synthesize``), against a local dev set.

Levels, as the official synthesizer sets them (all energies are means of squares
over every channel and sample of the signal named, in dB):

* background: the noise excerpt (looped when shorter than the mixture) scaled to ``ref_db``;
* an event: its excerpt (mono) peak-normalised, convolved ("full") with the room's
  response at its position — the response resampled to the mixture rate and divided by
  the square root of its per-channel energy averaged over channels — then scaled so that
  this wet signal sits at ``ref_db + snr``; added at ``int(event_time * sr)``, cut at the
  mixture's end;
* the dry target of a foreground event (``dry_channel`` 0): the same excerpt convolved
  with the direct path of channel 0's response — the samples from ``direct_range_ms[0]``
  before to ``direct_range_ms[1]`` after its absolute peak, bounds included — with the
  event's scale, placed likewise.

Paths inside the metadata (``data/dev_set/sound_event/valid``, ...) are resolved
against the local dev set: what follows the first ``sound_event``, ``noise``,
``interference`` or ``room_ir`` component is looked up under ``root``. Audio is read
with soundfile and resampled with a polyphase filter (the official code uses librosa).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from pathlib import Path, PurePosixPath

import numpy as np
import soundfile as sf
from scipy.signal import fftconvolve, resample_poly

from .devset import DevSetError
from .devset_layout import TOP_FOLDERS
from .sofa_lazy import SofaFile, open_sofa


@dataclass
class RenderedScene:
    """``mixture`` (channels, T) float32; ``labels`` and ``dry`` (n_targets, T) float32 in event order (onset)."""

    mixture: np.ndarray
    labels: list[str]
    dry: np.ndarray


def resolve(path: str | None, root: Path) -> Path | None:
    """A metadata path on the local dev set (see the module docstring); None stays None."""
    if path is None:
        return None
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    for i, part in enumerate(parts):
        if part in TOP_FOLDERS:
            return Path(root, *parts[i:])
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate
    raise DevSetError(f"metadata path {path!r} names none of {', '.join(TOP_FOLDERS)}; it cannot be found in {root}")


def _resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return x
    g = gcd(int(rate), int(target))
    return resample_poly(x, target // g, rate // g, axis=-1)


def read_excerpt(path: Path, sr: int, offset: float, duration: float | None, mono: bool) -> np.ndarray:
    """(channels, n) float64 samples from ``offset`` s for ``duration`` s (None: to the end), at ``sr`` Hz."""
    try:
        info = sf.info(str(path))
    except (OSError, RuntimeError) as exc:
        raise DevSetError(f"cannot read {path}: {exc}") from None
    start = int(round(offset * info.samplerate))
    stop = None if duration is None else start + int(round(duration * info.samplerate))
    data, rate = sf.read(str(path), start=start, stop=stop, dtype="float64", always_2d=True)
    data = data.T
    if mono:
        data = data.mean(axis=0, keepdims=True)
    return _resample(data, rate, sr)


def _level_db(x: np.ndarray) -> float:
    return 10.0 * np.log10(np.mean(np.square(x)))


def room_response(room: SofaFile, position, sr: int) -> np.ndarray:
    """(channels, L) response at ``position``, at ``sr``, normalised to unit mean per-channel energy."""
    ir = _resample(room.response(room.index_of(position)), room.samplerate, sr)
    return ir / np.sqrt(np.mean(np.sum(ir ** 2, axis=-1)))


def direct_path(ir: np.ndarray, sr: int, direct_range_ms) -> np.ndarray:
    """The samples of ``ir`` (L,) from ``direct_range_ms[0]`` ms before to ``[1]`` ms after its peak; zeros elsewhere."""
    peak = int(np.argmax(np.abs(ir)))
    lo = max(peak - int(direct_range_ms[0] * sr / 1000), 0)
    hi = min(peak + int(direct_range_ms[1] * sr / 1000), ir.shape[-1] - 1)
    out = np.zeros_like(ir)
    out[lo:hi + 1] = ir[lo:hi + 1]
    return out


def _place(target: np.ndarray, signal: np.ndarray, onset: int) -> None:
    end = min(onset + signal.shape[-1], target.shape[-1])
    if end > onset:
        target[..., onset:end] += signal[..., : end - onset]


def render_scene(metadata: dict, root: str | Path, dry_channel: int = 0) -> RenderedScene:
    """The mixture, labels and dry targets of one metadata dictionary, from the dev set at ``root``."""
    root = Path(root)
    try:
        cfg, room_args = metadata["config"], metadata["room"]["args"]["metadata"]
        sr, n = int(cfg["sr"]), int(cfg["duration"] * cfg["sr"])
        ref_db = float(cfg["ref_db"])
        fg_events, int_events = list(metadata["fg_events"]), list(metadata["int_events"])
        bg_events = list(metadata["bg_events"])
    except (KeyError, TypeError) as exc:
        raise DevSetError(f"metadata lacks {exc} (not the SpAudSyn metadata layout)") from None
    room = open_sofa(str(resolve(room_args["sofa_path"], root)))
    direct_range = room_args.get("direct_range_ms", [6, 50])
    mixture = np.zeros((room.n_channels, n))
    for event in bg_events:
        path = resolve(cfg["background_dir"], root) / event["source_file"]
        if event["source_time"] is not None:
            noise = read_excerpt(path, sr, float(event["source_time"]), float(event["event_duration"]), mono=False)
        else:
            noise = read_excerpt(path, sr, 0.0, None, mono=False)
            noise = np.tile(noise, (1, -(-n // noise.shape[-1])))[:, :n]
        if np.any(noise):
            noise = noise * 10 ** ((ref_db + float(event["snr"]) - _level_db(noise)) / 20)
        _place(mixture, noise[: room.n_channels], 0)
    fg_events = sorted(fg_events, key=lambda e: e["event_time"])
    dry = np.zeros((len(fg_events), n))
    for k, event in enumerate(fg_events + sorted(int_events, key=lambda e: e["event_time"])):
        is_target = k < len(fg_events)
        base = cfg["foreground_dir"] if is_target else cfg["interference_dir"]
        x = read_excerpt(resolve(base, root) / event["source_file"], sr, float(event["source_time"]),
                         float(event["event_duration"]), mono=True)[0]
        peak = np.max(np.abs(x)) if x.size else 0.0
        if peak > 0:
            x = x / peak
        ir = room_response(room, event["event_position"], sr)
        wet = fftconvolve(x[None, :], ir, mode="full", axes=1)
        scale = 10 ** ((ref_db + float(event["snr"]) - _level_db(wet)) / 20) if peak > 0 else 1.0
        onset = int(float(event["event_time"]) * sr)
        _place(mixture, wet * scale, onset)
        if is_target:
            _place(dry[k], scale * fftconvolve(x, direct_path(ir[dry_channel], sr, direct_range), mode="full"), onset)
    return RenderedScene(mixture.astype(np.float32), [e["label"] for e in fg_events], dry.astype(np.float32))
