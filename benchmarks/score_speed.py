"""Throughput of `s5eval score` against decode-only time and a naive per-permutation scorer.

Generates N ten-second 4-channel 32 kHz PCM16 mixtures with 1-3 targets and
1-3 estimates each (some same-class duplicates), then measures, in one run:

* `s5eval score` (the console script, end to end: interpreter start, imports,
  discovery, header checks, scoring, 1000 bootstrap resamples, all outputs)
  with 1 and 2 workers: mixtures per second and peak RSS (largest process);
  each configuration is run several times, and the best and the median are
  reported;
* the same at the size of the DCASE evaluation set (2,567 mixtures), made of
  the N generated mixtures under new names (hard links, so the page cache
  holds them all): the rate a leaderboard run sees, and peak RSS against N;
* the scoring loop alone (in this process, after discovery): steady state;
* interpreter start-up, and start-up plus the imports of `s5eval score`;
* decode only: reading every WAV of the run with soundfile as float32;
* a naive scorer that mirrors the official evaluation loop: float32 decode of
  every file and, per class, SDR of every (reference combination, estimate
  permutation) computed on stacked copies of the waveforms.

Usage: python benchmarks/score_speed.py [--n 300] [--seconds 10] [--keep DIR] [--repeat 3] [--eval-size 2567]
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
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


def repeated_score(root: Path, workers: int, repeat: int) -> tuple[float, float, float, dict]:
    """Best and median wall time (s) over ``repeat`` runs, the largest peak RSS (MiB) and the summary."""
    runs = [timed_score(root, workers) for _ in range(repeat)]
    times = sorted(t for t, _, _ in runs)
    return times[0], statistics.median(times), max(r for _, r, _ in runs), runs[0][2]


def replicated_view(root: Path, n_total: int) -> Path:
    """``n_total`` mixtures under new names, each file a hard link to a generated mixture's file."""
    view = root / f"replicated_{n_total}"
    if view.exists():
        return view
    sources = sorted(p.stem for p in (root / "ref" / "soundscape").glob("*.wav"))
    files: dict[str, dict[str, list[Path]]] = {m: {"ref/oracle_target": [], "sub": []} for m in sources}
    for folder in ("ref/oracle_target", "sub"):
        for path in sorted((root / folder).glob("*.wav")):
            files[path.stem.rsplit("_", 2)[0]][folder].append(path)
    for folder in ("ref/soundscape", "ref/oracle_target", "sub"):
        (view / folder).mkdir(parents=True)
    for k in range(n_total):
        base = sources[k % len(sources)]
        name = f"soundscape_{k:05d}"
        os.link(root / "ref/soundscape" / f"{base}.wav", view / "ref/soundscape" / f"{name}.wav")
        for folder, paths in files[base].items():
            for path in paths:  # hard links: a symbolic link leaving the submission is refused
                os.link(path, view / folder / (name + path.name[len(base):]))
    return view


def scoring_loop_rate(root: Path, workers: int) -> float:
    """Mixtures per second of the scoring loop alone (in this process, after discovery), best of two."""
    from s5eval.scoring.backends import iter_scores
    from s5eval.scoring.config import ScoreConfig, ScoreOptions
    from s5eval.scoring.mixture import jobs_for
    from s5eval.scoring.run import prepare

    reference, submission = prepare(root / "sub", root / "ref", ScoreConfig())
    jobs = jobs_for(reference, submission)
    best = 0.0
    for _ in range(2):
        start = time.perf_counter()
        for _record in iter_scores(jobs, ScoreOptions(), workers):
            pass
        best = max(best, len(jobs) / (time.perf_counter() - start))
    return best


def startup_seconds() -> tuple[float, float]:
    """Best of three: a bare interpreter, and one that imports what `s5eval score` imports."""
    def best(code: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        return min(times)
    return best("pass"), best("import s5eval.cli, s5eval.commands.score, s5eval.results.files")


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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each `s5eval score` configuration")
    parser.add_argument("--eval-size", type=int, default=2567, help="mixtures in the replicated run (0: skip it)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="s5eval-bench-"))
    try:
        if not (root / "ref").exists():
            generate(root, args.n, args.seconds)
        decode_all(root)  # warm the page cache so every timing below reads from memory
        decode = decode_all(root)
        bare, imports = startup_seconds()
        t1, t1_median, rss1, summary1 = repeated_score(root, 1, args.repeat)
        t2, t2_median, rss2, summary2 = repeated_score(root, 2, args.repeat)
        loop1, loop2 = scoring_loop_rate(root, 1), scoring_loop_rate(root, 2)
        naive, naive_value = naive_score(root)
        assert summary1 == summary2
        assert abs(naive_value - summary1["capi_sdri"]) < 1e-3, (naive_value, summary1["capi_sdri"])
        n, m = args.n, args.eval_size
        rows = [
            ("decode every WAV only (soundfile float32, 1 process)", f"{decode:.2f}", f"{n / decode:.0f}", ""),
            ("`s5eval score --workers 1`, end to end", f"{t1:.2f} / {t1_median:.2f}",
             f"{n / t1:.0f} / {n / t1_median:.0f}", f"{rss1:.0f}"),
            ("`s5eval score --workers 2`, end to end", f"{t2:.2f} / {t2_median:.2f}",
             f"{n / t2:.0f} / {n / t2_median:.0f}", f"{rss2:.0f}"),
        ]
        if m:
            big = replicated_view(root, m)
            b1, b1_median, big_rss1, _ = repeated_score(big, 1, args.repeat)
            b2, b2_median, big_rss2, _ = repeated_score(big, 2, args.repeat)
            rows += [
                (f"`s5eval score --workers 1`, end to end, {m} mixtures", f"{b1:.2f} / {b1_median:.2f}",
                 f"{m / b1:.0f} / {m / b1_median:.0f}", f"{big_rss1:.0f}"),
                (f"`s5eval score --workers 2`, end to end, {m} mixtures", f"{b2:.2f} / {b2_median:.2f}",
                 f"{m / b2:.0f} / {m / b2_median:.0f}", f"{big_rss2:.0f}"),
            ]
        rows += [
            ("scoring loop only, 1 worker (in process, after discovery; best of 2)", "", f"{loop1:.0f}", ""),
            ("scoring loop only, 2 workers", "", f"{loop2:.0f}", ""),
            ("naive per-permutation loop (official algorithm, numpy, 1 process)", f"{naive:.2f}",
             f"{n / naive:.0f}", ""),
            ("start-up: bare interpreter / interpreter + imports of `s5eval score`", f"{bare:.2f} / {imports:.2f}",
             "", ""),
        ]
        print(f"| what ({n} mixtures of {args.seconds:g} s unless said, {os.cpu_count()} cores) | seconds "
              f"(best / median of {args.repeat}) | mixtures/s (best / median) | peak RSS (MiB) |")
        print("|---|---:|---:|---:|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()
        scaling = f"scoring loop {loop2 / loop1:.2f}x; end to end ({n}) {t1 / t2:.2f}x"
        if m:
            scaling += f"; end to end ({m}) {b1 / b2:.2f}x"
        print(f"- 2 workers vs 1: {scaling}")
        print(f"- score / decode-only time ({n}): {t1 / decode:.2f}x (1 worker), {t2 / decode:.2f}x (2 workers)")
        print(f"- speed-up over the naive loop ({n}): {naive / t1:.1f}x (1 worker), {naive / t2:.1f}x (2 workers)")
        print(f"- CAPI-SDRi {summary1['capi_sdri']:.6f} dB (naive loop: {naive_value:.6f} dB)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
