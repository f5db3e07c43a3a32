"""A measured room read one measurement at a time (the official dev set's ``room_ir/<split>/*.sofa``).

The dev set's SOFA files are large (about a hundred FOA responses of several
seconds each), so a training mixture reads only the responses it uses, the way
the official SpAudSyn ``SofaRoom`` opens the file per source. Files are netCDF-4
(HDF5); they are read with ``netCDF4`` (a dependency of ``sofar``, imported
lazily: ``pip install "s5eval[synth]"``).

Positions are given as the file stores them, turned into cartesian metres in the
file's frame (``SourcePosition`` of type ``cartesian``, or ``spherical`` with
azimuth and elevation in degrees, or radians when its units say so): those are the
``event_position`` values of the official metadata, matched back to a measurement
within 1e-6 m. Directions (for the minimum angle between same-class sources) are
taken relative to ``ListenerPosition``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .rooms import MissingSynthDependency
from .sofa_rooms import SofaRoomError, sofa_cartesian


def _netcdf4():
    try:
        import netCDF4
    except ImportError:
        raise MissingSynthDependency('reading room_ir/*.sofa needs netCDF4: pip install "s5eval[synth]"') from None
    return netCDF4


@dataclass(frozen=True)
class SofaFile:
    """What a SOFA room holds, without its responses: ``positions`` (M, 3) cartesian metres (file frame),
    ``directions`` (M, 3) unit vectors from the listener, the rate (Hz), receivers, measurements and samples."""

    path: str
    positions: np.ndarray
    directions: np.ndarray
    samplerate: int
    n_channels: int
    n_measurements: int
    n_samples: int

    def index_of(self, position, atol: float = 1e-6) -> int:
        """The measurement at ``position`` ([[x, y, z]] or [x, y, z], metres), as the official synthesizer matches it."""
        target = np.asarray(position, dtype=np.float64).reshape(-1, 3)[0]
        hits = np.flatnonzero(np.all(np.isclose(self.positions, target, atol=atol), axis=1))
        if hits.size == 0:
            raise SofaRoomError(f"{self.path}: no measured position at {target.tolist()}")
        return int(hits[0])

    def response(self, m: int) -> np.ndarray:
        """(receivers, samples) float64 response of measurement ``m`` at the file's rate."""
        nc = _netcdf4()
        with nc.Dataset(self.path, "r") as ds:
            ds.set_auto_mask(False)
            ir = np.asarray(ds.variables["Data.IR"][int(m)], dtype=np.float64)
        return ir


@functools.lru_cache(maxsize=256)
def open_sofa(path: str) -> SofaFile:
    """Read the geometry and sizes of a SOFA room (cached); :class:`SofaRoomError` when it cannot be used."""
    nc = _netcdf4()
    try:
        ds = nc.Dataset(path, "r")
    except OSError as exc:
        raise SofaRoomError(f"{path}: not a readable SOFA file ({exc})") from None
    with ds:
        ds.set_auto_mask(False)
        try:
            ir = ds.variables["Data.IR"]
            shape = tuple(int(n) for n in ir.shape)
            sr = float(np.asarray(ds.variables["Data.SamplingRate"][:]).ravel()[0])
            src = ds.variables["SourcePosition"]
            source = sofa_cartesian(src[:], getattr(src, "Type", "cartesian"), getattr(src, "Units", ""))
            lst = ds.variables.get("ListenerPosition")
            listener = (np.zeros((1, 3)) if lst is None else
                        sofa_cartesian(lst[:], getattr(lst, "Type", "cartesian"), getattr(lst, "Units", "")))
        except (KeyError, IndexError, ValueError) as exc:
            raise SofaRoomError(f"{path}: lacks Data.IR, Data.SamplingRate or SourcePosition ({exc})") from None
    if len(shape) != 3 or 0 in shape:
        raise SofaRoomError(f"{path}: Data.IR must be measurements x receivers x samples with none empty "
                            f"(as SpAudSyn's SofaRoom reads it), not {shape}")
    m, receivers, samples = shape
    if not (sr > 0 and sr == int(sr)):
        raise SofaRoomError(f"{path}: Data.SamplingRate {sr} is not a positive whole number of Hz")
    positions = np.broadcast_to(source, (m, 3)).copy()
    relative = positions - np.broadcast_to(listener, (m, 3))
    norm = np.linalg.norm(relative, axis=1, keepdims=True)
    if np.any(norm <= 0):
        raise SofaRoomError(f"{path}: a source position coincides with the listener (no direction)")
    return SofaFile(str(path), positions, relative / norm, int(sr), receivers, m, samples)


def sofa_files(folder: str | Path) -> list[Path]:
    """The ``*.sofa`` files directly in ``folder``, sorted by name (as SpAudSyn lists a room folder)."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".sofa") if folder.is_dir() else []
