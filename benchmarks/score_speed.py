"""Throughput of `s5eval score` against decode-only time and a naive per-permutation scorer.

Generates N ten-second 4-channel 32 kHz PCM16 mixtures with 1-3 targets and
1-3 estimates each (some same-class duplicates), then measures, in one run:

* `s5eval score` (the console script, end to end, 1000 bootstrap resamples)
  with 1 and 2 workers: mixtures per second and peak RSS;
* decode only: reading every WAV of the run with soundfile as float32;
* a naive scorer that mirrors the official evaluation loop: float32 decode of
  every file and, per class, SDR of every (reference combination, estimate
  permutation) computed on stacked copies of the waveforms.

Usage: python benchmarks/score_speed.py [--n 300] [--seconds 10] [--keep DIR]
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 32000
CLASSES = ["Speech", "Dishes", "Typing", "Doorbell", "Blender", "Cough"]
EPS = np.finfo(np.float32).eps


def generate(root: Path, n: int, seconds: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    length = int(seconds * RATE)
    (root / "ref" / "soundscape").mkdir(parents=True)
    (root / "ref" / "oracle_target").mkdir(parents=True)
    (root / "sub").mkdir()
    for m in range(n):
        mix = f"soundscape_{m:04d}"
        n_ref = int(rng.integers(1, 4))
        labels = list(rng.choice(CLASSES[:3] if m % 3 == 0 else CLASSES, size=n_ref))
        targets = [(0.1 * rng.standard_normal(length)).astype(np.float32) for _ in labels]
        channel0 = np.sum(targets, axis=0) + 0.02 * rng.standard_normal(length)
        foa = np.stack([channel0, 0.7 * channel0, -0.5 * channel0, 0.3 * channel0], axis=1)
        sf.write(root / "ref" / "soundscape" / f"{mix}.wav", np.clip(foa, -1, 1), RATE, subtype="PCM_16")
        for i, (label, target) in enumerate(zip(labels, targets)):
            sf.write(root / "ref" / "oracle_target" / f"{mix}_{i}_{label}.wav", target, RATE, subtype="PCM_16")
        n_est = int(rng.integers(1, 4))
        for i in range(n_est):
            label = labels[i] if i < len(labels) and rng.random() < 0.8 else str(rng.choice(CLASSES))
            base = targets[i] if i < len(targets) else np.zeros(length, np.float32)
            est = base + 0.03 * rng.standard_normal(length)
            sf.write(root / "sub" / f"{mix}_{i}_{label}.wav", np.clip(est, -1, 1), RATE, subtype="PCM_16")


def timed_score(root: Path, workers: int) -> tuple[float, float, dict]:
    """Wall time, peak RSS (MiB, largest process as reported by GNU time) and the summary."""
    out = root / f"out_w{workers}"
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "s5eval.cli", "score", str(root / "sub"),
           "--ref", str(root / "ref"), "--out", str(out), "--workers", str(workers), "--quiet"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return elapsed, peak_kb / 1024, json.loads((out / "results.json").read_text())["summary"]


def link_subset(root: Path, n: int) -> Path:
    """A view of the first ``n`` mixtures (symlinks), to show that peak RSS does not grow with the set."""
    small = root / f"first_{n}"
    if small.exists():
        return small
    mixes = sorted(p.stem for p in (root / "ref" / "soundscape").glob("*.wav"))[:n]
    for folder in ("ref/soundscape", "ref/oracle_target", "sub"):
        (small / folder).mkdir(parents=True)
        for path in sorted((root / folder).glob("*.wav")):
            if any(path.stem == m or path.stem.startswith(m + "_") for m in mixes):
                (small / folder / path.name).symlink_to(path)
    return small


def decode_all(root: Path) -> float:
    start = time.perf_counter()
    for path in sorted((root / "ref").rglob("*.wav")) + sorted((root / "sub").glob("*.wav")):
        sf.read(path, dtype="float32")
    return time.perf_counter() - start


def _sdr(est: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """SDR over the last axis, float32 like the official code."""
    return 10 * np.log10(((ref ** 2).sum(-1) + EPS) / (((ref - est) ** 2).sum(-1) + EPS))


def naive_score(root: Path) -> tuple[float, float]:
    """The official algorithm, literally: enumerate every combination/permutation on stacked copies."""
    start = time.perf_counter()
    values = []
    for mix_path in sorted((root / "ref" / "soundscape").glob("*.wav")):
        mix = mix_path.stem
        mixture = sf.read(mix_path, dtype="float32")[0][:, 0]
        refs = [(p.stem[len(mix) + 1:].split("_", 1)[1], sf.read(p, dtype="float32")[0])
                for p in sorted((root / "ref" / "oracle_target").glob(f"{mix}_*.wav"))]
        ests = [(p.stem[len(mix) + 1:].split("_", 1)[1], sf.read(p, dtype="float32")[0])
                for p in sorted((root / "sub").glob(f"{mix}_*.wav"))]
        entries = []
        for label in {lb for lb, _ in refs} | {lb for lb, _ in ests}:
            r = np.stack([w for lb, w in refs if lb == label]) if any(lb == label for lb, _ in refs) else None
            e = np.stack([w for lb, w in ests if lb == label]) if any(lb == label for lb, _ in ests) else None
            if r is None or e is None:
                entries += [0.0] * (len(r) if r is not None else len(e))
                continue
            tp = min(len(r), len(e))
            perms = [(list(rc), list(ep)) for rc in itertools.combinations(range(len(r)), tp)
                     for ep in itertools.permutations(range(len(e)), tp)]
            ref_stack = np.stack([r[rc] for rc, _ in perms])
            est_stack = np.stack([e[ep] for _, ep in perms])
            metric = _sdr(est_stack, ref_stack)
            metric_mix = _sdr(np.broadcast_to(mixture, ref_stack.shape), ref_stack)
            best = int(np.argmax(metric.mean(axis=1)))
            entries += list(metric[best] - metric_mix[best]) + [0.0] * abs(len(r) - len(e))
        values.append(float(np.mean(entries)))
    return time.perf_counter() - start, float(np.mean(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="s5eval-bench-"))
    try:
        if not (root / "ref").exists():
            generate(root, args.n, args.seconds)
        decode_all(root)  # warm the page cache so every timing below reads from memory
        decode = decode_all(root)
        t1, rss1, summary1 = timed_score(root, 1)
        t2, rss2, summary2 = timed_score(root, 2)
        naive, naive_value = naive_score(root)
        small = link_subset(root, max(1, args.n // 3))
        t1_small, rss_small, _ = timed_score(small, 1)
        t2_small, _, _ = timed_score(small, 2)
        n_extra = args.n - max(1, args.n // 3)
        marginal1, marginal2 = n_extra / (t1 - t1_small), n_extra / (t2 - t2_small)
        assert summary1 == summary2
        assert abs(naive_value - summary1["capi_sdri"]) < 1e-3, (naive_value, summary1["capi_sdri"])
        n = args.n
        print(f"| what ({n} mixtures of {args.seconds:g} s, {os.cpu_count()} cores) | seconds | mixtures/s | peak RSS (MiB) |")
        print("|---|---:|---:|---:|")
        print(f"| decode every WAV only (soundfile, 1 process) | {decode:.2f} | {n / decode:.0f} | |")
        print(f"| `s5eval score --workers 1` (end to end) | {t1:.2f} | {n / t1:.0f} | {rss1:.0f} |")
        print(f"| `s5eval score --workers 2` (end to end) | {t2:.2f} | {n / t2:.0f} | {rss2:.0f} (main process) |")
        print(f"| naive per-permutation loop (official algorithm) | {naive:.2f} | {n / naive:.0f} | |")
        print(f"| `s5eval score --workers 1` on the first {max(1, n // 3)} mixtures | {t1_small:.2f} | | {rss_small:.0f} |")
        print(f"| `s5eval score --workers 2` on the first {max(1, n // 3)} mixtures | {t2_small:.2f} | | |")
        print(f"| steady state, 1 worker (marginal: extra mixtures / extra time) | | {marginal1:.0f} | |")
        print(f"| steady state, 2 workers (marginal) | | {marginal2:.0f} | |")
        print()
        print(f"- steady state: 2 workers vs 1: {marginal2 / marginal1:.2f}x; fixed start-up cost (imports, "
              f"discovery, bootstrap, outputs): about {t1 - (args.n / marginal1):.2f} s")
        print(f"- end to end: 2 workers vs 1: {t1 / t2:.2f}x; score (2 workers) / decode-only: {t2 / decode:.2f}x; "
              f"score (1 worker) / decode-only: {t1 / decode:.2f}x")
        print(f"- speed-up over the naive loop: {naive / t1:.1f}x (1 worker), {naive / t2:.1f}x (2 workers)")
        print(f"- CAPI-SDRi {summary1['capi_sdri']:.6f} dB (naive loop: {naive_value:.6f} dB)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
