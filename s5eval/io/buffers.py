"""Reusable sample buffers: one mixture's signals are decoded into memory that the previous mixture used.

A fresh 1.28 MB array for every ten-second signal costs as much as decoding
it: the allocator hands large blocks back to the system and every page then
faults in again. A :class:`SampleBuffers` keeps its arrays; a scorer calls
:meth:`~SampleBuffers.reset` before each mixture and :meth:`~SampleBuffers.take`
for each signal. What ``take`` returned is valid until the next ``reset``.

Each thread has its own (:func:`thread_buffers`), so threads never share one.
"""
from __future__ import annotations

import threading

import numpy as np


class SampleBuffers:
    """A pool of float32 arrays handed out in turn, plus one int16 scratch array for raw PCM bytes."""

    def __init__(self) -> None:
        self._pool: list[np.ndarray] = []
        self._used = 0
        self._raw = np.empty(0, dtype="<i2")

    def reset(self) -> None:
        """Make every array available again (what earlier ``take`` calls returned is overwritten later)."""
        self._used = 0

    def take(self, n_values: int) -> np.ndarray:
        """A float32 array of ``n_values`` elements, not used by anything taken since the last reset."""
        if self._used == len(self._pool):
            self._pool.append(np.empty(n_values, dtype=np.float32))
        elif self._pool[self._used].size < n_values:
            self._pool[self._used] = np.empty(n_values, dtype=np.float32)
        array = self._pool[self._used][:n_values]
        self._used += 1
        return array

    def raw(self, n_values: int) -> np.ndarray:
        """Scratch for ``n_values`` little-endian int16 samples (overwritten by the next call)."""
        if self._raw.size < n_values:
            self._raw = np.empty(n_values, dtype="<i2")
        return self._raw[:n_values]


_local = threading.local()


def thread_buffers() -> SampleBuffers:
    """This thread's buffers."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = SampleBuffers()
    return buffers
