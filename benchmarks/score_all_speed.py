"""How long `s5eval score-all` takes an organizer, against `s5eval score` run once per submission.

Builds (with `score_speed.py`'s generator) N ten-second 4-channel mixtures
and a submission for them, a second submission with slightly different
estimates, and views of both at the size of the DCASE evaluation set
(hard links: 2,567 mixtures by default). Then times, in one run:

* `score-all` over submission A with an empty cache (every file hashed,
  every mixture scored, records and reference figures stored);
* `score-all` again after submission B was added (A served from the cache,
  B scored with the stored reference figures, so no mixture file is read);
* `score-all` once more with nothing new (everything from the cache);
* the naive reference: `s5eval score` for A and for B, one after the other, without the
  reference cache of `score` (`--no-cache`: each reads every file, as `score` did before it had one),
  and once more with a warm reference cache (what a participant's repeated `score` costs).

The cost of the new submission in `score-all` is the run with B added less the run with nothing
new (both serve A from the cache); the target is at most 1.2x a plain `score` of B.

Usage: python benchmarks/score_all_speed.py [--n 300] [--eval-size 2567] [--workers 2] [--keep DIR]
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_speed import decode_all, generate, replicated_view  # noqa: E402


def noisier_copy(src: Path, dst: Path, seed: int = 5) -> None:
    """Submission B: every estimate of A with a little extra noise (new bytes, same names)."""
    rng = np.random.default_rng(seed)
    dst.mkdir(parents=True)
    for path in sorted(src.glob("*.wav")):
        samples, rate = sf.read(path, dtype="int16")
        noisy = np.clip(samples.astype(np.int32) + rng.integers(-50, 51, samples.shape), -32768, 32767)
        sf.write(dst / path.name, noisy.astype(np.int16), rate, subtype="PCM_16")


def replicate_like(view_sub: Path, source: Path, dst: Path) -> None:
    """Hard links named like the files of ``view_sub``, each to the file of ``source`` named like its original.

    The files of ``view_sub`` are hard links to files of ``source``'s sibling
    ``sub``; the original's name is found by inode.
    """
    dst.mkdir()
    original = {path.stat().st_ino: path.name for path in (source.parent / "sub").iterdir()}
    for link in sorted(view_sub.iterdir()):
        os.link(source / original[link.stat().st_ino], dst / link.name)


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):  # 1: some submission failed (none should here)
        raise SystemExit(proc.stderr)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--eval-size", type=int, default=2567)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="s5eval-bench-all-"))
    try:
        if not (root / "ref").exists():
            generate(root, args.n, 10.0)
        if not (root / "sub_b").exists():
            noisier_copy(root / "sub", root / "sub_b")
        view = replicated_view(root, args.eval_size)
        if not (view / "sub_b").exists():
            replicate_like(view / "sub", root / "sub_b", view / "sub_b")
        decode_all(root)  # warm the page cache
        work = Path(tempfile.mkdtemp(prefix="s5eval-score-all-", dir=root))
        subs, out = work / "subs", work / "out"
        subs.mkdir()
        (subs / "Team_A_task4_1").symlink_to(view / "sub")
        s5eval = [sys.executable, "-m", "s5eval.cli"]
        common = ["--ref", str(view / "ref"), "--workers", str(args.workers)]
        first = run(s5eval + ["score-all", str(subs), "--out", str(out)] + common)
        (subs / "Team_B_task4_1").symlink_to(view / "sub_b")
        added = run(s5eval + ["score-all", str(subs), "--out", str(out)] + common)
        again = run(s5eval + ["score-all", str(subs), "--out", str(out)] + common)
        cache = ["--cache-dir", str(work / "score-cache")]
        plain = [run(s5eval + ["score", str(view / sub), "--out", str(work / f"alone_{sub}"), "--quiet", "--no-cache"]
                     + common) for sub in ("sub", "sub_b")]
        naive = sum(plain)
        run(s5eval + ["score", str(view / "sub"), "--out", str(work / "warm_fill"), "--quiet"] + cache + common)
        warm_b = run(s5eval + ["score", str(view / "sub_b"), "--out", str(work / "warm_b"), "--quiet"] + cache + common)
        for label, alone in (("Team_A_task4_1", "alone_sub"), ("Team_B_task4_1", "alone_sub_b")):
            via_all = json.loads((out / label / "results.json").read_text())["summary"]
            assert via_all == json.loads((work / alone / "results.json").read_text())["summary"], label
        m = args.eval_size
        print(f"| what ({m} mixtures per submission, {args.workers} workers) | seconds |")
        print("|---|---:|")
        print(f"| `score-all`, submission A, empty cache (hash every file, score, store) | {first:.2f} |")
        print(f"| `score-all` after submission B was added (A cached; B without reading the mixtures) | {added:.2f} |")
        print(f"| `score-all` again, nothing new | {again:.2f} |")
        print(f"| naive: `s5eval score --no-cache` for A, then for B | {naive:.2f} |")
        print(f"| `s5eval score` of B with a warm reference cache | {warm_b:.2f} |")
        print()
        print("- A and B have the same summary figures from `score-all` as from `score`")
        print(f"- adding B cost {added - again:.1f} s ({added:.1f} s for the run less {again:.1f} s for one with "
              f"nothing new); `score --no-cache` of B alone takes {plain[1]:.1f} s: "
              f"{(added - again) / plain[1]:.2f}x (target at most 1.2x)")
        shutil.rmtree(work, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
