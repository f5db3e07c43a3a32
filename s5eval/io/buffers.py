"""Reusable sample buffers: one mixture's signals are decoded into memory that the previous mixture used.

A fresh 1.28 MB array for every ten-second float32 signal costs as much as decoding
it: the allocator hands large blocks back to the system and every page then
faults in again. A :class:`SampleBuffers` keeps its arrays; a scorer calls
:meth:`~SampleBuffers.reset` before each mixture and :meth:`~SampleBuffers.take`
for each signal. What ``take`` returned is valid until the next ``reset``.

Each thread has its own (:func:`thread_buffers`), so threads never share one.
:func:`default_workers` is how many threads or processes the commands start when not told.
"""
from __future__ import annotations

import os
import threading

import numpy as np


class SampleBuffers:
    """Pools of arrays (one per dtype) handed out in turn, plus one int16 scratch array for raw PCM bytes."""

    def __init__(self) -> None:
        self._pools: dict[np.dtype, list[np.ndarray]] = {}
        self._used: dict[np.dtype, int] = {}
        self._raw = np.empty(0, dtype=np.int16)

    def reset(self) -> None:
        """Make every array available again (what earlier ``take`` calls returned is overwritten later)."""
        self._used = dict.fromkeys(self._used, 0)

    def take(self, n_values: int, dtype: np.dtype | type = np.float32) -> np.ndarray:
        """An array of ``n_values`` elements, not used by anything taken since the last reset."""
        dtype = np.dtype(dtype)
        pool = self._pools.setdefault(dtype, [])
        used = self._used.get(dtype, 0)
        if used == len(pool):
            pool.append(np.empty(n_values, dtype=dtype))
        elif pool[used].size < n_values:
            pool[used] = np.empty(n_values, dtype=dtype)
        self._used[dtype] = used + 1
        return pool[used][:n_values]

    def raw(self, n_values: int) -> np.ndarray:
        """Scratch for ``n_values`` int16 samples (overwritten by the next call)."""
        if self._raw.size < n_values:
            self._raw = np.empty(n_values, dtype=np.int16)
        return self._raw[:n_values]


_local = threading.local()


def thread_buffers() -> SampleBuffers:
    """This thread's buffers."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = SampleBuffers()
    return buffers


def default_workers() -> int:
    """The number of workers when none is asked for: the CPUs this process may run on (its affinity mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)
