"""First-order Ambisonics (FOA) room impulse responses.

Rooms are shoeboxes simulated with pyroomacoustics' image-source method. The
"microphone" is a coincident first-order array: one omnidirectional capsule
and three figure-of-eight capsules along y, z and x. Its four channels are
FOA in ACN order with SN3D normalisation (W, Y, Z, X), so channel 0 is the
omnidirectional reference and the source direction shows up in the ratios of
the other channels to it (Y/W = sin(az)·cos(el), Z/W = sin(el),
X/W = cos(az)·cos(el) for the direct path).

Directions are drawn from a grid (``AZIMUTHS_DEG`` × ``ELEVATIONS_DEG``) and
distances from ``DISTANCES_M``, so room responses repeat between mixtures and
are cached in memory (per process) — a set of 100 mixtures simulates each
(room, direction, distance) once.

When pyroomacoustics is missing, :func:`foa_rir` raises
:class:`MissingSynthDependency` telling which extra to install.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

AZIMUTHS_DEG: tuple[float, ...] = tuple(float(a) for a in range(-180, 180, 10))
ELEVATIONS_DEG: tuple[float, ...] = (-30.0, -15.0, 0.0, 15.0, 30.0, 45.0)
DISTANCES_M: tuple[float, ...] = (1.0, 1.5, 2.0)
MAX_IMAGE_ORDER = 12
MAX_RIR_SECONDS = 0.5


class MissingSynthDependency(RuntimeError):
    """An optional package the synthesizer needs is not installed."""


@dataclass(frozen=True)
class Room:
    """A shoebox room: size in m, reverberation time RT60 in s, microphone position in m."""

    index: int
    dims: tuple[float, float, float]
    rt60: float
    mic: tuple[float, float, float]

    def as_dict(self) -> dict:
        return {"index": self.index, "dims_m": list(self.dims), "rt60_s": self.rt60, "mic_m": list(self.mic),
                "model": "pyroomacoustics-ism-foa"}


# Varied size and absorption: from a small dry office to a large reverberant hall.
ROOMS: tuple[Room, ...] = (
    Room(0, (4.2, 3.6, 2.6), 0.25, (2.0, 1.9, 1.4)),
    Room(1, (6.0, 5.0, 3.0), 0.40, (3.1, 2.4, 1.5)),
    Room(2, (8.0, 6.5, 3.2), 0.55, (4.2, 3.1, 1.6)),
    Room(3, (5.0, 4.2, 2.8), 0.32, (2.4, 2.2, 1.4)),
    Room(4, (10.0, 7.5, 3.6), 0.70, (5.3, 3.6, 1.7)),
    Room(5, (3.6, 3.2, 2.5), 0.20, (1.8, 1.6, 1.3)),
    Room(6, (7.0, 4.5, 2.9), 0.45, (3.4, 2.3, 1.5)),
    Room(7, (12.0, 9.0, 4.0), 0.85, (6.1, 4.4, 1.6)),
)


def direction_vector(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector (x, y, z) of a direction: azimuth counter-clockwise from x, elevation up from the horizon."""
    az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    return np.array([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)])


def angular_distance_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle angle in degrees between two (azimuth, elevation) directions in degrees."""
    cos = float(np.clip(direction_vector(*a) @ direction_vector(*b), -1.0, 1.0))
    return float(np.rad2deg(np.arccos(cos)))


def source_position(room: Room, azimuth_deg: float, elevation_deg: float, distance_m: float) -> np.ndarray:
    """Source position at the given direction and distance from the microphone, kept 0.25 m inside the walls."""
    mic = np.asarray(room.mic)
    unit = direction_vector(azimuth_deg, elevation_deg)
    limit = distance_m
    for axis in range(3):
        if unit[axis] > 1e-9:
            limit = min(limit, (room.dims[axis] - 0.25 - mic[axis]) / unit[axis])
        elif unit[axis] < -1e-9:
            limit = min(limit, (0.25 - mic[axis]) / unit[axis])
    return mic + max(limit, 0.3) * unit


def foa_rir(room_index: int, azimuth_deg: float, elevation_deg: float, distance_m: float,
            samplerate: int) -> np.ndarray:
    """FOA room impulse response (4, L) float32 (W, Y, Z, X) for a source in a direction; cached."""
    return _foa_rir_cached(int(room_index), float(azimuth_deg), float(elevation_deg), float(distance_m),
                           int(samplerate))


@functools.lru_cache(maxsize=4096)
def _foa_rir_cached(room_index: int, azimuth_deg: float, elevation_deg: float, distance_m: float,
                    samplerate: int) -> np.ndarray:
    try:
        import pyroomacoustics as pra
        from pyroomacoustics.directivities import DirectionVector, FigureEight, Omnidirectional
    except ImportError:
        raise MissingSynthDependency(
            "the synthesizer needs pyroomacoustics: pip install \"s5eval[synth]\" (or pip install pyroomacoustics)"
        ) from None
    room = ROOMS[room_index]
    absorption, max_order = pra.inverse_sabine(room.rt60, list(room.dims))
    sim = pra.ShoeBox(list(room.dims), fs=samplerate, materials=pra.Material(absorption),
                      max_order=min(max_order, MAX_IMAGE_ORDER), air_absorption=False)
    capsules = [
        Omnidirectional(),
        FigureEight(DirectionVector(azimuth=90, colatitude=90, degrees=True)),  # Y
        FigureEight(DirectionVector(azimuth=0, colatitude=0, degrees=True)),    # Z
        FigureEight(DirectionVector(azimuth=0, colatitude=90, degrees=True)),   # X
    ]
    mic = np.asarray(room.mic, dtype=float)
    sim.add_microphone_array(pra.MicrophoneArray(np.tile(mic[:, None], (1, 4)), samplerate, directivity=capsules))
    sim.add_source(source_position(room, azimuth_deg, elevation_deg, distance_m))
    sim.compute_rir()
    length = min(min(len(sim.rir[ch][0]) for ch in range(4)), int(MAX_RIR_SECONDS * samplerate))
    rir = np.stack([np.asarray(sim.rir[ch][0][:length], dtype=np.float64) for ch in range(4)])
    taper = min(length // 4, int(0.05 * samplerate))
    rir[:, length - taper:] *= np.linspace(1.0, 0.0, taper)  # no cut-off click at the end of the response
    rir /= np.max(np.abs(rir[0]))  # direct-path peak of the omni channel at 1
    rir = rir.astype(np.float32)
    rir.flags.writeable = False
    return rir


def direct_path(rir_reference: np.ndarray, samplerate: int, before_ms: float = 6.0, after_ms: float = 50.0) -> np.ndarray:
    """The reference channel's direct path: zero outside [peak − 6 ms, peak + 50 ms], time alignment kept."""
    peak = int(np.argmax(np.abs(rir_reference)))
    start = max(0, peak - int(round(before_ms * 1e-3 * samplerate)))
    stop = min(rir_reference.size, peak + int(round(after_ms * 1e-3 * samplerate)) + 1)
    out = np.zeros_like(rir_reference)
    out[start:stop] = rir_reference[start:stop]
    return out
