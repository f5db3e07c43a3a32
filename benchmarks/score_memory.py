"""What the memory of an `s5eval score` run grows with: live Python memory per mixture, by part.

Runs `run_score` (2 workers, empty reference cache) and writes the outputs, in
a fresh interpreter per size, on the data of `score_speed.py` (N generated
mixtures and the view of them at the eval-set size), and reports for each size:

* the main process's peak RSS (``VmHWM``), the largest of a run's processes;
* its small-object allocator at the end: the arenas held (1 MiB each, never
  handed back while one object in them lives) and the bytes in live objects;
* in a second run under ``tracemalloc`` (which costs memory of its own, so the
  figures above come from a run without it): the live memory at the end of the
  run that was allocated during it, by the part
  of the program that allocated it: the file model (the reference set's and
  the submission's files, parsed names and headers: `s5eval/io`, `s5eval/validate`),
  the records (what the workers send back, unpickled in the main process, and
  the rows made of it: `multiprocessing`, `collections`, `s5eval/scoring`,
  `s5eval/results`) and the rest.

Then the growth per mixture from the small size to the large one: what stays
when the audio is not kept (each worker reuses its buffers). Peak RSS is
"flat" for `score_speed.py` when the large size's is at most 1.10x the small
one's.

Usage: python benchmarks/score_memory.py [--n 300] [--eval-size 2567] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import score_speed  # noqa: E402  (the data generator of the scoring benchmark)

PARTS = {  # part -> where its allocations are made (path fragments; the first match wins)
    "file model": ("s5eval/io/", "s5eval/validate/"),
    "records": ("multiprocessing/", "collections/", "s5eval/scoring/", "s5eval/results/"),
}


def _allocator_figures() -> dict[str, int]:
    """Arenas held and bytes in live blocks of CPython's small-object allocator (``sys._debugmallocstats``)."""
    read_end, write_end = os.pipe()
    saved = os.dup(2)
    os.dup2(write_end, 2)
    try:
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(write_end)
    text = os.read(read_end, 1 << 20).decode()
    os.close(read_end)
    figures = {}
    for line in text.splitlines():
        if "arenas allocated current" in line:
            figures["arenas"] = int(line.split("=")[-1].replace(",", ""))
        elif line.startswith("# bytes in allocated blocks"):
            figures["live_bytes"] = int(line.split("=")[-1].replace(",", ""))
    return figures


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(root: Path, cache: Path, out: Path, traced: bool) -> None:
    """In this interpreter: score ``root`` and print the figures as JSON (the worker side of the script).

    ``traced``: the parts (``tracemalloc``, which costs memory of its own); else the peak RSS and the allocator.
    """
    import tracemalloc

    from s5eval.results.files import write_outputs
    from s5eval.scoring.config import ScoreConfig
    from s5eval.scoring.run import run_score

    if traced:
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
    run = run_score(root / "sub", root / "ref", ScoreConfig(workers=2), reference_cache=cache)
    write_outputs(out, run.results, run.records, run.subsets)
    if not traced:
        print(json.dumps({"mixtures": len(run.records), "peak_rss_mib": _peak_rss_mib(), **_allocator_figures()}))
        return
    after = tracemalloc.take_snapshot()
    parts = dict.fromkeys([*PARTS, "rest"], 0)
    for stat in after.compare_to(before, "filename"):
        filename = stat.traceback[0].filename.replace(os.sep, "/")
        part = next((name for name, places in PARTS.items() if any(p in filename for p in places)), "rest")
        parts[part] += stat.size_diff
    tracemalloc.stop()
    print(json.dumps({"parts": parts}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--eval-size", type=int, default=2567)
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.cache, args.out, args.traced)
        return

    work = Path(tempfile.mkdtemp(prefix="s5eval_memory_"))
    try:
        root = args.keep or work / "data"
        if not (root / "ref").exists():
            print(f"generating {args.n} mixtures in {root} ...", file=sys.stderr)
            score_speed.generate(root, args.n, 10.0)
        sizes = {args.n: root, args.eval_size: score_speed.replicated_view(root, args.eval_size)}
        env = dict(os.environ, S5EVAL_CACHE_DIR=str(work / "user_cache"))
        figures: dict[int, dict] = {n: {} for n in sizes}
        for traced in (False, True):
            for n, folder in sizes.items():
                shutil.rmtree(work / "cache", ignore_errors=True)
                shutil.rmtree(work / "out", ignore_errors=True)
                done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", str(folder),
                                       "--cache", str(work / "cache"), "--out", str(work / "out")]
                                      + (["--traced"] if traced else []),
                                      env=env, check=True, capture_output=True, text=True)
                figures[n].update(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    small, large = figures[args.n], figures[args.eval_size]
    added = large["mixtures"] - small["mixtures"]
    print("| what | " + " | ".join(f"{f['mixtures']} mixtures" for f in (small, large)) + " | growth per mixture |")
    print("|---|---:|---:|---:|")

    def row(what: str, a: float, b: float, unit_per_mixture: str) -> None:
        print(f"| {what} | {a:.1f} | {b:.1f} | {unit_per_mixture} |")

    row("peak RSS of the main process (MiB)", small["peak_rss_mib"], large["peak_rss_mib"],
        f"{(large['peak_rss_mib'] - small['peak_rss_mib']) * 1024 / added:.2f} KiB")
    row("small-object arenas held (MiB)", small["arenas"], large["arenas"],
        f"{(large['arenas'] - small['arenas']) * 1024 / added:.2f} KiB")
    row("bytes in live small objects (MiB)", small["live_bytes"] / 2**20, large["live_bytes"] / 2**20,
        f"{(large['live_bytes'] - small['live_bytes']) / 1024 / added:.2f} KiB")
    for part in small["parts"]:
        row(f"live at the end, {part} (MiB)", small["parts"][part] / 2**20, large["parts"][part] / 2**20,
            f"{(large['parts'][part] - small['parts'][part]) / 1024 / added:.2f} KiB")
    ratio = large["peak_rss_mib"] / small["peak_rss_mib"]
    print(f"\npeak RSS {ratio:.2f}x from {small['mixtures']} to {large['mixtures']} mixtures; flat (<= 1.10x) would "
          f"allow {(0.10 * small['peak_rss_mib']) * 1024 / added:.2f} KiB per mixture")


if __name__ == "__main__":
    main()
