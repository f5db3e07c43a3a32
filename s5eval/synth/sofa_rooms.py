"""Measured rooms from a DCASE dev set's ``room_ir/*.sofa`` files.

Each SOFA file is one room: first-order Ambisonics impulse responses measured
at a set of source positions. Files are read with ``sofar`` (imported lazily:
``pip install "s5eval[synth]"``). Accepted conventions are those whose
``Data_IR`` holds measurements × receivers × samples (``SingleRoomSRIR``,
``GeneralFIR``, …) or that add an emitter axis (``SingleRoomMIMOSRIR``,
``GeneralFIR-E``: the first emitter is used). A room must have at least one
measurement and exactly 4 receivers, read as FOA with channel 0 the
omnidirectional reference.

``SourcePosition`` may be spherical (azimuth and elevation in degrees, or
radians when its units say so, distance in metres) or cartesian (metres); it
is turned into azimuth / elevation / distance relative to
``ListenerPosition``. ``ListenerView`` is not applied: positions are taken in
the file's own frame. Responses are resampled to the mixture rate when the
file's rate differs.

A source of the recipe is placed at the measured position nearest (in
great-circle angle) to the direction the recipe drew; same-class targets must
be at least the recipe's minimum separation apart *as measured*, otherwise
another measured position of the room is drawn among those that keep it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from .rooms import MissingSynthDependency, direction_vector


class SofaRoomError(ValueError):
    """A room_ir/ SOFA file cannot be used (unreadable, no measurements, not 4 receivers, …)."""


@dataclass(frozen=True)
class Placement:
    """Where a source goes in a measured room: the measured position actually used."""

    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    measurement: int
    file: str


@dataclass(eq=False)
class SofaRoom:
    """One measured room: ``ir`` (M, 4, N) at ``samplerate``; ``positions`` (M, 3) azimuth°, elevation°, distance m."""

    index: int
    file: str
    convention: str
    samplerate: int
    ir: np.ndarray
    positions: np.ndarray
    _resampled: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.vectors = np.stack([direction_vector(az, el) for az, el, _ in self.positions])

    def as_dict(self) -> dict:
        return {"index": self.index, "model": "sofa", "file": self.file, "convention": self.convention,
                "n_positions": int(self.positions.shape[0]), "samplerate_file": self.samplerate}

    def nearest(self, azimuth_deg: float, elevation_deg: float) -> int:
        """The measurement whose direction is nearest (great-circle angle) to a direction."""
        return int(np.argmax(self.vectors @ direction_vector(azimuth_deg, elevation_deg)))

    def lookup(self, azimuth_deg: float, elevation_deg: float, distance_m: float) -> int:
        """The measurement nearest to a position (exact for a position that :meth:`place` returned)."""
        target = direction_vector(azimuth_deg, elevation_deg) * distance_m
        return int(np.argmin(np.linalg.norm(self.vectors * self.positions[:, 2:3] - target, axis=1)))

    def placement(self, m: int) -> Placement:
        az, el, dist = (float(v) for v in self.positions[m])
        return Placement(az, el, dist, int(m), self.file)

    def response(self, m: int, samplerate: int) -> np.ndarray:
        """(4, L) float32 response of measurement ``m`` at ``samplerate`` Hz."""
        key = (int(m), int(samplerate))
        if key not in self._resampled:
            ir = self.ir[m].astype(np.float64)
            if samplerate != self.samplerate:
                g = gcd(int(samplerate), int(self.samplerate))
                ir = resample_poly(ir, samplerate // g, self.samplerate // g, axis=1)
            out = ir.astype(np.float32)
            out.flags.writeable = False
            self._resampled[key] = out
        return self._resampled[key]

    def place(self, rng: np.random.Generator, labels: list[str], directions: list[tuple[float, float]],
              min_separation_deg: float) -> list[Placement]:
        """Measured positions for targets (``labels``, in order) then interferers (the remaining directions).

        Each direction goes to its nearest measured position; a target whose
        measured position is closer than ``min_separation_deg`` to an earlier
        target of its class gets another measured position drawn among those
        that keep every same-class target far enough; none left raises
        :class:`SofaRoomError`.
        """
        min_cos = np.cos(np.deg2rad(min_separation_deg)) - 1e-9
        chosen: list[int] = []
        for k, (az, el) in enumerate(directions):
            m = self.nearest(az, el)
            if k < len(labels):
                same = [chosen[j] for j in range(k) if labels[j] == labels[k]]
                if same:
                    allowed = np.all(self.vectors @ self.vectors[same].T <= min_cos, axis=1)
                    if not allowed[m]:
                        candidates = np.flatnonzero(allowed)
                        if candidates.size == 0:
                            raise SofaRoomError(
                                f"{self.file}: its {len(self.positions)} measured positions cannot hold "
                                f"{len(same) + 1} '{labels[k]}' targets {min_separation_deg:g}° apart")
                        m = int(candidates[int(rng.integers(candidates.size))])
            chosen.append(m)
        return [self.placement(m) for m in chosen]


def _sofar():
    try:
        import sofar
    except ImportError:
        raise MissingSynthDependency(
            'reading the dev set\'s room_ir/*.sofa needs sofar: pip install "s5eval[synth]" (or pip install sofar)'
        ) from None
    return sofar


def sofa_cartesian(values: np.ndarray, kind: str, units: str) -> np.ndarray:
    """(K, 3) positions in metres (x, y, z) from SOFA coordinates of type ``kind`` with ``units``."""
    values = np.asarray(values, dtype=np.float64).reshape(-1, 3)
    kind = kind.strip().lower()
    if kind == "cartesian":
        return values
    if kind == "spherical":
        angles = values[:, :2]
        if "rad" in units.lower():
            angles = np.rad2deg(angles)
        return np.stack([direction_vector(az, el) * r for (az, el), r in zip(angles, values[:, 2])])
    raise SofaRoomError(f"unsupported position type {kind!r} (expected cartesian or spherical)")


def _attr(sofa, name: str, default: str = "") -> str:
    value = getattr(sofa, name, default)
    return str(value) if value is not None else default


def load_room(path: str | Path, index: int, name: str) -> SofaRoom:
    """Read one SOFA room; :class:`SofaRoomError` with the reason when it cannot be used."""
    sofar = _sofar()
    try:
        sofa = sofar.read_sofa(str(path), verify=False, verbose=False)
    except Exception as exc:  # netCDF / HDF5 errors of every kind for a damaged file
        raise SofaRoomError(f"{name}: not a readable SOFA file ({type(exc).__name__}: {exc})".strip()) from None
    convention = _attr(sofa, "GLOBAL_SOFAConventions", "?")
    try:
        ir = np.asarray(sofa.Data_IR, dtype=np.float64)
        sr = float(np.asarray(sofa.Data_SamplingRate, dtype=np.float64).ravel()[0])
    except (AttributeError, TypeError, ValueError, IndexError):
        raise SofaRoomError(f"{name}: no Data_IR / Data_SamplingRate (convention {convention})") from None
    if ir.ndim == 4:  # an emitter axis: MREN (GeneralFIR-E) or MRNE (SingleRoomMIMOSRIR); first emitter
        ir = ir[:, :, 0, :] if "FIRE" in convention.replace("-", "").upper() else ir[..., 0]
    if ir.ndim != 3 or ir.shape[0] == 0 or ir.shape[2] == 0:
        raise SofaRoomError(f"{name}: no measurements (Data_IR has shape {tuple(np.shape(sofa.Data_IR))})")
    if ir.shape[1] != 4:
        raise SofaRoomError(f"{name}: {ir.shape[1]} receivers; a room needs 4 (first-order Ambisonics, "
                            "channel 0 omnidirectional)")
    if not np.all(np.isfinite(ir)) or not np.any(ir[:, 0]):
        raise SofaRoomError(f"{name}: Data_IR holds NaN/Inf or a silent omnidirectional channel")
    if not (sr > 0 and sr == int(sr)):
        raise SofaRoomError(f"{name}: Data_SamplingRate {sr} is not a positive whole number of Hz")
    m = ir.shape[0]
    try:
        source = sofa_cartesian(sofa.SourcePosition, _attr(sofa, "SourcePosition_Type", "cartesian"),
                            _attr(sofa, "SourcePosition_Units"))
        listener = sofa_cartesian(getattr(sofa, "ListenerPosition", np.zeros((1, 3))),
                              _attr(sofa, "ListenerPosition_Type", "cartesian"),
                              _attr(sofa, "ListenerPosition_Units"))
        relative = np.broadcast_to(source, (m, 3)) - np.broadcast_to(listener, (m, 3))
    except (AttributeError, ValueError) as exc:
        raise SofaRoomError(f"{name}: unusable SourcePosition / ListenerPosition ({exc})") from None
    distance = np.linalg.norm(relative, axis=1)
    if np.any(distance <= 0) or not np.all(np.isfinite(distance)):
        raise SofaRoomError(f"{name}: a source position coincides with the listener (no direction)")
    azimuth = np.rad2deg(np.arctan2(relative[:, 1], relative[:, 0]))
    elevation = np.rad2deg(np.arcsin(np.clip(relative[:, 2] / distance, -1.0, 1.0)))
    positions = np.round(np.stack([azimuth, elevation, distance], axis=1), 6)
    return SofaRoom(index=index, file=name, convention=convention, samplerate=int(sr),
                    ir=ir.astype(np.float32), positions=positions)


def load_rooms(folder: str) -> tuple[SofaRoom, ...]:
    """Every ``*.sofa`` in ``folder`` (sorted by name), named ``room_ir/<file>``."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() == ".sofa" and p.is_file())
    if not files:
        raise SofaRoomError(f"{folder} holds no .sofa files")
    return tuple(load_room(p, k, f"room_ir/{p.name}") for k, p in enumerate(files))
