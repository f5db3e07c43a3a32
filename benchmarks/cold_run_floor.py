"""The floor under a first `s5eval score` run (empty reference cache), measured against the 30x target.

A first run must read every file: each mixture (all four channels: the samples
are interleaved, so channel 0 alone touches every page), every target and every
estimate. This script measures, on the data of `score_speed.py` (N generated
ten-second mixtures and the view of them at the eval-set size, 2,567 by
default; files in the page cache):

1. **The bare read** of exactly the files a first run reads (`numpy.fromfile` of
   their `data` chunks, nothing computed): in one process, and in two processes
   at once (each reads every other mixture's files), as two scoring workers would.
2. **The rest of a run**: `s5eval score --workers 2` end to end with an empty
   reference cache, and, timed within the same run, its scoring phase (from the
   pool's start to the last record); the difference is what a run costs besides
   scoring (interpreter, imports, discovery, results, outputs).
3. **Per mixture, in one process** (the N generated mixtures): the mixture's
   channel 0 read three ways (`numpy.fromfile` of all channels; mapped and
   copied out, as `s5eval` reads it; mapped with `MAP_POPULATE`), and the
   reference figures (Σ s_j² and Σ (s_j − y)² of every target, plus Σ (s_j − ŝ_i)²
   of every same-class pair) computed from the files as `s5eval` computes them and
   in a single fused pass over the samples (each signal widened once per chunk,
   every sum formed in the same chunk; a prototype written here, not in s5eval).
   Both give the same bits (checked).

The floor is the two-process bare read plus the rest of a run: what a first run
would take if scoring cost nothing beyond reading. The 30x budget is the
official evaluation's time divided by 30 (`--official-seconds`: by default the
best time `score_speed.py --official-mode evaluator` recorded at 2,567
mixtures in benchmarks/README.md).

Usage: python benchmarks/cold_run_floor.py [--n 300] [--eval-size 2567] [--rounds 3] [--keep DIR]
                                           [--official-seconds 69.35]
"""
from __future__ import annotations

import argparse
import json
import mmap
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import score_speed  # noqa: E402  (the data generator and the read helpers of the scoring benchmark)

OFFICIAL_SECONDS = 69.35  # official evaluation, 2,567 mixtures, best of 3 (benchmarks/README.md, latest figures)


# ---------------------------------------------------------------- 1. the bare read

def cold_files_by_mixture(root: Path) -> list[list[Path]]:
    """The files a first run reads, grouped by mixture: the mixture, its targets, its estimates."""
    groups: dict[str, list[Path]] = {p.stem: [p] for p in sorted((root / "ref" / "soundscape").glob("*.wav"))}
    for folder in ("ref/oracle_target", "sub"):
        for path in sorted((root / folder).glob("*.wav")):
            groups[path.stem.rsplit("_", 2)[0]].append(path)
    return list(groups.values())


def _read_share(groups: list[list[Path]], share: int, n_shares: int) -> None:
    score_speed.read_fromfile([p for group in groups[share::n_shares] for p in group])


def bare_read(groups: list[list[Path]], processes: int) -> float:
    """Seconds to read every file's samples, split over ``processes`` processes started at once (fork)."""
    if processes == 1:
        return score_speed.read_fromfile([p for group in groups for p in group])
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    workers = [context.Process(target=_read_share, args=(groups, k, processes)) for k in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


# ---------------------------------------------------------------- 2. the rest of a run

# `s5eval score` as its console script runs it, with the scoring phase timed from within: from the start of the
# scoring (the pool created) to the last record (the next step of the run, the subsets, follows at once)
_TIMED_CLI = r"""
import json, sys, time
import s5eval.scoring.run as run
marks = {}
def timed_scorer(jobs, options, workers):
    marks["start"] = time.perf_counter()
    return run.iter_scores(jobs, options, workers)
def subsets(*args, **kwargs):
    marks.setdefault("end", time.perf_counter())
    return memberships(*args, **kwargs)
memberships, run.memberships = run.memberships, subsets
original = run.run_score
run.run_score = lambda *args, **kwargs: original(*args, scorer=timed_scorer, **kwargs)
from s5eval.cli import main
sys.argv = ["s5eval"] + sys.argv[1:]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps({"phase_s": marks["end"] - marks["start"]}))
"""


def score_end_to_end(root: Path, work: Path, env: dict[str, str]) -> tuple[float, float]:
    """`s5eval score --workers 2` with an empty reference cache: seconds from interpreter start to exit, and of
    its scoring phase (measured in the same run)."""
    cache, out = work / "cache", work / "out"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _TIMED_CLI, "score", str(root / "sub"), "--ref", str(root / "ref"),
                           "--workers", "2", "--quiet", "--out", str(out), "--cache-dir", str(cache)],
                          env=env, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])["phase_s"]


# ---------------------------------------------------------------- 3. per mixture

def _data_view(path: Path, populate: bool) -> np.ndarray:
    offset, size = score_speed._data_chunk(path)
    with open(path, "rb") as f:
        flags = mmap.MAP_SHARED | (mmap.MAP_POPULATE if populate else 0)
        mapping = mmap.mmap(f.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
    return np.frombuffer(mapping, dtype="<i2", count=size // 2, offset=offset)


def channel0_mapped(paths: list[Path], populate: bool) -> float:
    one = np.empty(0, dtype=np.int16)
    start = time.perf_counter()
    for path in paths:
        samples = _data_view(path, populate).reshape(-1, 4)
        if one.size != samples.shape[0]:
            one = np.empty(samples.shape[0], dtype=np.int16)
        np.copyto(one, samples[:, 0])
    return time.perf_counter() - start


_scratch: dict[object, np.ndarray] = {}


def _buffer(slot: object, n: int) -> np.ndarray:
    array = _scratch.get(slot)
    if array is None or array.size < n:
        array = _scratch[slot] = np.empty(n, dtype=np.float32)
    return array[:n]


def _widened(slot: object, source: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = _buffer(slot, stop - start)
    np.copyto(out, source[start:stop])
    return out


def _chunk_values(targets: list[np.ndarray], estimates: list[np.ndarray], mixture: np.ndarray,
                  pairs: list[tuple[int, int]], start: int, stop: int):
    """(figure, float32 values whose squares it sums) over samples start:stop, each signal widened once."""
    y = _widened("y", mixture, start, stop)
    s = [_widened(("s", j), t, start, stop) for j, t in enumerate(targets)]
    e = {i: _widened(("e", i), estimates[i], start, stop) for i in sorted({i for i, _ in pairs})}
    for j, sj in enumerate(s):
        yield ("energy", j), sj
        yield ("mixture", j), np.subtract(sj, y, out=_buffer(("d", "mixture", j), stop - start))
    for k, (i, j) in enumerate(pairs):
        yield ("pair", k), np.subtract(s[j], e[i], out=_buffer(("d", "pair", k), stop - start))


def fused_figures(targets: list[np.ndarray], estimates: list[np.ndarray], mixture: np.ndarray,
                  pairs: list[tuple[int, int]]) -> tuple[list[float], list[float], list[float]]:
    """Σ s², Σ (s − y)² of every target and Σ (s_j − ŝ_i)² of every pair (i, j), int16 signals, in one pass:
    float32 block sums of 1024 samples added up in float64 by s5eval's own helpers (``_block_sums_into``,
    ``_total``), as its ``energy``/``error_energy`` form them: only the fusion of the passes differs."""
    from s5eval.metrics.sdr import _BLOCK, _CHUNK, _PCM16_ENERGY_SCALE, _block_sums_into, _total

    n = mixture.size
    n_full = n - n % _BLOCK
    n_blocks = n_full // _BLOCK
    kinds = [("energy", j) for j in range(len(targets))] + [("mixture", j) for j in range(len(targets))] \
        + [("pair", k) for k in range(len(pairs))]
    sums = {kind: _buffer(("sums",) + kind, n_blocks).reshape(n_blocks, 1, 1) for kind in kinds}
    for start in range(0, n_full, _CHUNK):
        stop = min(start + _CHUNK, n_full)
        for kind, values in _chunk_values(targets, estimates, mixture, pairs, start, stop):
            _block_sums_into(sums[kind][start // _BLOCK:stop // _BLOCK], values)
    tails = dict(_chunk_values(targets, estimates, mixture, pairs, n_full, n))
    figures = {kind: _total(sums[kind], tails[kind]) * _PCM16_ENERGY_SCALE for kind in kinds}
    return ([figures[("energy", j)] for j in range(len(targets))],
            [figures[("mixture", j)] for j in range(len(targets))],
            [figures[("pair", k)] for k in range(len(pairs))])


def _label(path: Path) -> str:
    return path.stem.rsplit("_", 1)[1]


def mixture_jobs(root: Path) -> list[tuple[Path, list[Path], list[Path], list[tuple[int, int]]]]:
    """Per mixture: its file, its targets', its estimates' and the (estimate, target) pairs of one class."""
    jobs = []
    for group in cold_files_by_mixture(root):
        mixture, rest = group[0], group[1:]
        targets = [p for p in rest if p.parent.name == "oracle_target"]
        estimates = [p for p in rest if p.parent.name == "sub"]
        pairs = [(i, j) for i, est in enumerate(estimates) for j, tgt in enumerate(targets)
                 if _label(est) == _label(tgt)]
        jobs.append((mixture, targets, estimates, pairs))
    return jobs


def figures_now(jobs, reads: dict) -> float:
    from s5eval.metrics.sdr import energy, error_energy

    start = time.perf_counter()
    for mixture, targets, estimates, pairs in jobs:
        y = _data_view(mixture, False).reshape(-1, 4)[:, 0].copy()
        s = [_data_view(p, False) for p in targets]
        e = [_data_view(p, False) for p in estimates]
        reads[mixture] = ([energy(t) for t in s], [error_energy(t, y) for t in s],
                          [error_energy(s[j], e[i]) for i, j in pairs])
    return time.perf_counter() - start


def figures_fused(jobs, reads: dict) -> float:
    start = time.perf_counter()
    for mixture, targets, estimates, pairs in jobs:
        y = _data_view(mixture, False).reshape(-1, 4)[:, 0]  # widened from the mapping, chunk by chunk
        s = [_data_view(p, False) for p in targets]
        e = [_data_view(p, False) for p in estimates]
        reads[mixture] = fused_figures(s, e, y, pairs)
    return time.perf_counter() - start


# ---------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="generated mixtures (per-mixture figures)")
    parser.add_argument("--eval-size", type=int, default=2567, help="mixtures of the large size")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best is kept)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    parser.add_argument("--official-seconds", type=float, default=OFFICIAL_SECONDS,
                        help="the official evaluation's time at the large size (s)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="s5eval_floor_"))
    root = args.keep or work / "data"
    if not (root / "ref").exists():
        print(f"generating {args.n} mixtures in {root} ...", file=sys.stderr)
        score_speed.generate(root, args.n, 10.0)
    big = score_speed.replicated_view(root, args.eval_size)
    score_speed.decode_all(root)  # into the page cache
    env = dict(os.environ, S5EVAL_CACHE_DIR=str(work / "user_cache"))
    groups = cold_files_by_mixture(big)
    jobs = mixture_jobs(root)
    mixtures = [job[0] for job in jobs]
    small_files = [p for mixture, targets, estimates, _ in jobs for p in (mixture, *targets, *estimates)]

    best: dict[str, float] = {}
    rests: list[float] = []  # per round: the end-to-end run less its scoring phase
    now: dict = {}
    fused: dict = {}
    try:
        for r in range(args.rounds):
            score_s, phase_s = score_end_to_end(big, work, env)
            timings = {
                "score": score_s,
                "phase": phase_s,
                "read1": bare_read(groups, 1),
                "read2": bare_read(groups, 2),
                "files_fromfile": score_speed.read_fromfile(small_files),
                "mix_fromfile": score_speed.read_fromfile(mixtures),
                "mix_mapped": channel0_mapped(mixtures, populate=False),
                "mix_populate": channel0_mapped(mixtures, populate=True),
                "figures_now": figures_now(jobs, now),
                "figures_fused": figures_fused(jobs, fused),
            }
            for key, seconds in timings.items():
                best[key] = min(best.get(key, seconds), seconds)
            rests.append(timings["score"] - timings["phase"])
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()),
                  file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if now != fused:
        sys.exit("the fused pass does not give the same figures as s5eval: the comparison is void")

    n_big, n = len(groups), len(jobs)
    rest = min(rests)
    floor = best["read2"] + rest
    budget = args.official_seconds / 30
    per = {k: best[k] / n * 1e3 for k in ("files_fromfile", "mix_fromfile", "mix_mapped", "mix_populate",
                                          "figures_now", "figures_fused")}
    print(f"\nAt {n_big} mixtures (best of {args.rounds} rounds):\n")
    print("| what | seconds |\n|---|---:|")
    print(f"| bare read of a first run's files, 1 process | {best['read1']:.2f} |")
    print(f"| bare read of a first run's files, 2 processes at once | {best['read2']:.2f} |")
    print(f"| `s5eval score --workers 2`, empty reference cache, end to end | {best['score']:.2f} |")
    print(f"| its scoring phase (pool start to last record) | {best['phase']:.2f} |")
    print(f"| the rest of the run (end to end less scoring, same run; best) | {rest:.2f} |")
    print(f"| **floor**: 2-process bare read + the rest | **{floor:.2f}** |")
    print(f"| 30x budget: official {args.official_seconds:.2f} s / 30 | {budget:.2f} |")
    print(f"\nPer mixture, one process, {n} mixtures (ms):\n")
    print("| what | ms per mixture |\n|---|---:|")
    print(f"| the mixture's files (mixture, targets, estimates), `numpy.fromfile` | {per['files_fromfile']:.3f} |")
    print(f"| mixture, all channels, `numpy.fromfile` | {per['mix_fromfile']:.3f} |")
    print(f"| mixture channel 0, mapped and copied out (as s5eval) | {per['mix_mapped']:.3f} |")
    print(f"| mixture channel 0, mapped with MAP_POPULATE | {per['mix_populate']:.3f} |")
    print(f"| files mapped + reference and pair figures, as s5eval computes them | {per['figures_now']:.3f} |")
    print(f"| files mapped + the same figures in one fused pass (same bits) | {per['figures_fused']:.3f} |")
    arithmetic = per["figures_now"] - per["files_fromfile"]
    verdict = "within" if floor <= budget else "above"
    print(f"\nThe floor ({floor:.2f} s) is {verdict} the 30x budget ({budget:.2f} s). s5eval's first run takes "
          f"{best['score']:.2f} s: {args.official_seconds / best['score']:.1f}x the official evaluation, "
          f"{best['score'] / floor:.2f}x the floor. Per mixture, the sums of squares cost {arithmetic:.2f} ms "
          f"beyond reading the files ({per['figures_now']:.2f} ms against {per['files_fromfile']:.2f} ms), and "
          f"one fused pass does not lower that ({per['figures_fused']:.2f} ms).")


if __name__ == "__main__":
    main()
