"""Where sources, noise and rooms come from: the embedded procedural pool (default).

A pool answers four questions for the recipe: a target event of a class, an
interferer event, 4-channel background noise, and the FOA response of a room
for a direction. :class:`ProceduralPool` needs no data: procedural sources
(:mod:`.sources`) and simulated shoebox rooms (:mod:`.rooms`). :mod:`.devset` builds on
it; :mod:`.pool_choice` picks one of the two for a config.
"""
from __future__ import annotations

import numpy as np

from . import rooms
from .sources import CLASS_GENERATORS, INTERFERER_GENERATORS, diffuse_noise, render_event


class ProceduralPool:
    """Procedural sources and pyroomacoustics shoebox rooms."""

    noise_model = "procedural diffuse (white to pink, independent channels, X/Y/Z at -4.8 dB re W)"
    room_model = "simulated"

    def draw_room(self, rng: np.random.Generator) -> rooms.Room:
        return rooms.ROOMS[int(rng.integers(len(rooms.ROOMS)))]

    def place(self, room, rng: np.random.Generator, labels: list[str], directions: list[tuple[float, float]],
              min_separation_deg: float) -> list | None:
        """Measured positions for the recipe's directions, or None when rooms are simulated at any direction."""
        return None

    def target(self, label: str, rng: np.random.Generator, sr: int, n: int) -> tuple[np.ndarray, str]:
        """A unit-RMS event of ``n`` samples of class ``label`` and its source id."""
        seed = int(rng.integers(2**31))
        return render_event(CLASS_GENERATORS[label], np.random.default_rng(seed), sr, n), f"procedural/{label}/{seed}"

    def interferer(self, rng: np.random.Generator, sr: int, n: int) -> tuple[str, np.ndarray, str]:
        """A unit-RMS interferer event: (its kind, samples, source id)."""
        names = sorted(INTERFERER_GENERATORS)
        name = names[int(rng.integers(len(names)))]
        seed = int(rng.integers(2**31))
        event = render_event(INTERFERER_GENERATORS[name], np.random.default_rng(seed), sr, n)
        return name, event, f"procedural-interferer/{name}/{seed}"

    def noise(self, rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
        """Diffuse background noise (4, n): W at unit RMS, Y/Z/X independent at 1/√3 (SN3D diffuse field)."""
        return diffuse_noise(rng, sr, n)

    def rir(self, room: rooms.Room, azimuth_deg: float, elevation_deg: float, distance_m: float, sr: int) -> np.ndarray:
        return rooms.foa_rir(room.index, azimuth_deg, elevation_deg, distance_m, sr)


PROCEDURAL_POOL = ProceduralPool()
"""The one procedural pool (it holds no state); :func:`.pool_choice.pool_for` hands it out."""
