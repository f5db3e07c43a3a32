"""How fast `s5eval` starts: `--help` of the group and of every command, and `score`'s own start-up.

Each figure is the best of N runs of a fresh interpreter (wall seconds), measured
in the same run as two references:

* a bare interpreter (`python -c pass`): the floor;
* the naive way to list the commands (import every command module, as click does
  for `--help` when nothing is lazy): what `s5eval --help` cost before.

`score`'s start-up is the interpreter, the imports `s5eval score` makes before it
starts scoring (the command, the scoring run, the reference cache, the output
files; the terminal renderer, rich, is imported only to print the results) and the
parsing of a command line, without any file read.

Interpreters run as an installed package runs: with bytecode caching
(``PYTHONDONTWRITEBYTECODE`` is removed from their environment, and the first run
of each measurement writes the ``.pyc`` files; best of N keeps the later runs).
Without the cache every import compiles its source: about 0.05 s more here.

Usage: python benchmarks/startup_speed.py [--runs 7]
Prints a Markdown table; targets: every `--help` under 0.3 s, `score` start-up under 0.15 s.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HELP = """
import sys
sys.argv = ["s5eval", *{args!r}, "--help"]
from s5eval.cli import main
try:
    main()
except SystemExit:
    pass
"""

SCORE_STARTUP = """
import s5eval.cli, s5eval.commands.score, s5eval.atomic, s5eval.io.archive, s5eval.results.files
import s5eval.scoring.config, s5eval.scoring.reference_cache, s5eval.scoring.run
from s5eval.commands.score import score_command
score_command.make_context("score", ["SUB", "--ref", "REF", "--out", "OUT", "--workers", "2"])
"""

NAIVE_LIST = """
import importlib
from s5eval.cli import COMMANDS
for target, _ in COMMANDS.values():
    module, attribute = target.split(":")
    getattr(importlib.import_module(module), attribute).get_short_help_str(80)
"""

COMMANDS = [[], ["validate"], ["score"], ["score-all"], ["leaderboard"], ["compare"], ["explain"], ["synth"],
            ["reference"], ["codabench"], ["codabench", "score"], ["codabench", "bundle"], ["demo"], ["baseline"],
            ["baseline", "train"], ["baseline", "infer"]]


def best_of(code: str, runs: int) -> float:
    """Best wall time in seconds of ``python -c code`` over ``runs`` runs (output discarded)."""
    times = []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bare = best_of("pass", args.runs)
    naive = best_of(NAIVE_LIST, args.runs)
    print("| what | best of %d (s) | target (s) |" % args.runs)
    print("|---|---:|---:|")
    print(f"| bare interpreter | {bare:.3f} | |")
    print(f"| naive command list (import every command) | {naive:.3f} | |")
    worst = 0.0
    for command in COMMANDS:
        seconds = best_of(HELP.format(args=command), args.runs)
        worst = max(worst, seconds)
        print(f"| `s5eval {' '.join(command + ['--help'])}` | {seconds:.3f} | 0.3 |")
    score = best_of(SCORE_STARTUP, args.runs)
    print(f"| `s5eval score` start-up (imports and argument parsing) | {score:.3f} | 0.15 |")
    print(f"\nslowest --help {worst:.3f} s; `s5eval --help` vs the naive list: "
          f"{naive / best_of(HELP.format(args=[]), args.runs):.1f}x faster")


if __name__ == "__main__":
    main()
