"""How fast ``s5eval validate`` checks a full-size DCASE package, against a naive reference.

    python benchmarks/validate_speed.py [--mixtures 2567] [--per-mixture 2] [--seconds 10] [--workers 2]

Generates into a temporary folder (removed afterwards) a reference set of
``--mixtures`` 4-channel 32 kHz mixtures (sparse files: only their headers are
ever read) and a complete package ``Bench_Mark_task4_1`` with ``--per-mixture``
mono PCM16 noise estimates per mixture, ``eval_results.json`` and the meta
YAML. Then times, in the same run:

* ``validate`` with every check (samples read for NaN/Inf, all-zero, clipping);
* ``validate --no-decode`` (headers only);
* the naive reference: decode every estimate with ``soundfile.read`` (float32),
  one file after another, and read every mixture header.

Prints a Markdown table. The files were just written, so they are in the page
cache: the figures are for warm reads (the usual case right after unzipping).
"""
from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from s5eval.io.package import (EstimateEntry, dev_results_document, eval_results_document, write_dev_results,
                               write_eval_results, write_meta)
from s5eval.validate import ValidateOptions, validate_submission

RATE = 32_000
LABELS = ("Speech", "Doorbell", "FootSteps", "Typing", "Blender", "Dishes", "Cough", "AlarmClock")
PACKAGE = "Bench_Mark_task4_1"


def wav_header(frames: int, channels: int, rate: int = RATE) -> bytes:
    """A 44-byte PCM16 RIFF/WAVE header for ``frames`` samples per channel."""
    data = frames * channels * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
            + b"data" + struct.pack("<I", data))


def generate(root: Path, n_mix: int, per_mix: int, seconds: float, seed: int = 0) -> tuple[Path, Path, int]:
    """Write the reference set and the package; return ``(ref, package, n_estimates)``."""
    frames = int(seconds * RATE)
    rng = np.random.default_rng(seed)
    noise = (rng.standard_normal(frames) * 3000).clip(-32000, 32000).astype("<i2").tobytes()
    mix_header = wav_header(frames, 4)
    est_header = wav_header(frames, 1)
    ref, pkg = root / "ref", root / PACKAGE
    (ref / "soundscape").mkdir(parents=True)
    (ref / "oracle_target").mkdir()
    (pkg / "eval_out").mkdir(parents=True)
    probabilities = []
    for m in range(n_mix):
        mix = f"eval_{m:04d}"
        path = ref / "soundscape" / f"{mix}.wav"
        with open(path, "wb") as handle:
            handle.write(mix_header)
        os.truncate(path, len(mix_header) + frames * 4 * 2)  # sparse: the data is never read
        estimates = []
        for i in range(per_mix):
            label = LABELS[(m + i) % len(LABELS)]
            name = f"{mix}_{i}_{label}.wav"
            with open(pkg / "eval_out" / name, "wb") as handle:
                handle.write(est_header)
                handle.write(noise)
            estimates.append(EstimateEntry(name, label, 0.9))
        probabilities.append((mix, estimates))
    write_eval_results(pkg, eval_results_document(probabilities, nparams=1000))
    write_dev_results(pkg, dev_results_document([], nparams=1000))  # the official file, here without details
    meta = {"submission": {"label": PACKAGE, "name": "Benchmark", "abbreviation": "Bench",
                           "authors": [{"lastname": "Mark", "firstname": "Ben", "email": "ben@example.org",
                                        "corresponding": True,
                                        "affiliation": {"abbreviation": "EX", "institute": "Example",
                                                        "location": "Nowhere"}}]},
            "system": {"description": {"input_channels": 4}, "complexity": {"total_parameters": 1000}},
            "results": {"development_dataset": {"capi_sdri": 1.0}}}
    write_meta(pkg, PACKAGE, meta)
    return ref, pkg, n_mix * per_mix


def naive(ref: Path, pkg: Path) -> float:
    """Decode every estimate with soundfile (float32), one by one, and read every mixture header."""
    started = time.perf_counter()
    for mix in sorted((ref / "soundscape").iterdir()):
        sf.info(str(mix))
    for wav in sorted((pkg / "eval_out").iterdir()):
        samples, rate = sf.read(str(wav), dtype="float32")
        bool(np.isfinite(samples).all()) and samples.any()
    return time.perf_counter() - started


def timed(pkg: Path, ref: Path, **options) -> tuple[float, int, int]:
    report = validate_submission(pkg, ref, ValidateOptions(**options))
    return report.elapsed_s, len(report.findings), report.exit_code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mixtures", type=int, default=2567)
    parser.add_argument("--per-mixture", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", default=None, help="where to generate (default: a temporary folder)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="s5eval-bench-", dir=args.dir))
    try:
        t0 = time.perf_counter()
        ref, pkg, n_est = generate(root, args.mixtures, args.per_mixture, args.seconds)
        gen_s = time.perf_counter() - t0
        size_gb = sum(p.stat().st_size for p in (pkg / "eval_out").iterdir()) / 1e9
        rows = []
        full_s, n_find, code = timed(pkg, ref, workers=args.workers)
        assert code == 0 and n_find == 0, (code, n_find)
        rows.append((f"s5eval validate --ref (all checks, {args.workers} threads)", full_s))
        rows.append((f"s5eval validate --ref --no-decode ({args.workers} threads)",
                     timed(pkg, ref, workers=args.workers, decode=False)[0]))
        rows.append(("s5eval validate --ref (all checks, 1 thread)", timed(pkg, ref, workers=1)[0]))
        naive_s = naive(ref, pkg)
        rows.append(("naive: soundfile.read of every estimate (float32, 1 thread)", naive_s))
        load = os.getloadavg()
        print(f"{args.mixtures} mixtures, {n_est} estimates of {args.seconds:g} s mono PCM16 at {RATE} Hz "
              f"({size_gb:.2f} GB), generated in {gen_s:.1f} s; {os.cpu_count()} cores, "
              f"load average {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}; files in the page cache\n")
        print("| run | seconds | files/s | vs naive |")
        print("|---|---:|---:|---:|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.2f} | {n_est / seconds:.0f} | {naive_s / seconds:.2f}x |")
        verdict = "meets" if full_s < 30 else "misses"
        print(f"\nfull validation {full_s:.1f} s: {verdict} the 30 s target")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
