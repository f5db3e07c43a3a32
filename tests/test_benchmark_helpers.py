"""Helpers of the benchmarks whose figures benchmarks/README.md relies on.

The fused single pass of ``benchmarks/cold_run_floor.py`` must give the bits of s5eval's sums of squares (the
README compares the two for speed; the comparison holds only while they agree), and
``benchmarks/score_memory.py`` must read the allocator's figures of this Python.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from s5eval.metrics.sdr import energy, error_energy

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCHMARKS))  # the scripts import their sibling score_speed.py
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def floor_module():
    return _load("cold_run_floor")


@pytest.mark.parametrize("frames", [700, 1024, 65536 + 1500, 3 * 65536, 320000])
def test_fused_figures_match_energy_and_error_energy(floor_module, frames):
    rng = np.random.default_rng(frames)
    targets = [rng.integers(-12000, 12000, frames).astype(np.int16) for _ in range(3)]
    estimates = [rng.integers(-20000, 20000, frames).astype(np.int16) for _ in range(2)]
    mixture = rng.integers(-32768, 32767, (frames, 4)).astype(np.int16)[:, 0]  # a strided channel, as mapped
    pairs = [(0, 2), (1, 0), (1, 2)]

    energies, mixture_errors, pair_errors = floor_module.fused_figures(targets, estimates, mixture, pairs)

    assert energies == [energy(t) for t in targets]
    assert mixture_errors == [error_energy(t, np.ascontiguousarray(mixture)) for t in targets]
    assert pair_errors == [error_energy(targets[j], estimates[i]) for i, j in pairs]


def test_score_memory_reads_the_allocator_figures():
    figures = _load("score_memory")._allocator_figures()
    assert figures["arenas"] >= 1
    assert figures["live_bytes"] > 1_000_000  # the interpreter and numpy alone hold more
