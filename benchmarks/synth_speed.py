"""Synthesizer speed: 100 ten-second mixtures (the target: under 60 s on 2 cores).

Compares `write_reference_set` with 2 and 1 worker processes against a naive
reference in the same run: one process that simulates every room response
afresh (no cache). Prints a Markdown table.

    python benchmarks/synth_speed.py [--n 100] [--seconds 10] [--naive-n 10]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from s5eval.synth import rooms
from s5eval.synth.api import SynthConfig
from s5eval.synth.writer import write_reference_set


def timed(n: int, seconds: float, workers: int, out: Path) -> float:
    started = time.perf_counter()
    write_reference_set(out, n, SynthConfig(seconds=seconds), seed=0, workers=workers, overwrite=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--naive-n", type=int, default=10, help="mixtures for the naive (uncached) reference")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (2, 1):
            elapsed = timed(args.n, args.seconds, workers, Path(tmp) / f"w{workers}")
            rows.append((f"s5eval synth, {workers} worker(s), cached rooms", args.n, elapsed))
        uncached = rooms._foa_rir_cached.__wrapped__
        original = rooms.foa_rir
        rooms.foa_rir = lambda *a: uncached(int(a[0]), float(a[1]), float(a[2]), float(a[3]), int(a[4]))
        try:
            elapsed = timed(args.naive_n, args.seconds, 1, Path(tmp) / "naive")
        finally:
            rooms.foa_rir = original
        rows.append(("naive: 1 process, every room response simulated afresh", args.naive_n, elapsed))
    print(f"| run | mixtures ({args.seconds:g} s) | time (s) | per mixture (s) | for {args.n} mixtures (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, n, elapsed in rows:
        print(f"| {name} | {n} | {elapsed:.1f} | {elapsed / n:.3f} | {elapsed / n * args.n:.1f} |")


if __name__ == "__main__":
    main()
