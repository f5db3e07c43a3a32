"""``s5eval leaderboard RESULTS... --out DIR``."""
from __future__ import annotations

import click
from rich.markup import escape

from ..atomic import atomic_batch, writing_outputs
from ..leaderboard import build_leaderboard, load_inputs, write_leaderboard
from ..outputs import check_out_dir
from ..leaderboard.render_terminal import terminal_table
from ..leaderboard.table import RANKABLE
from ..report import stderr, stdout
from .common import exits_on_input_error


@click.command("leaderboard")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=str),
              help="Write leaderboard.csv, .md, .html and .json here.")
@click.option("--metric", type=click.Choice(RANKABLE), default="capi_sdri", show_default=True,
              help="Figure to rank by (higher is better).")
@click.option("--subset", default=None, help="Subset to rank on (default: 'ranking' when present, else 'all').")
@click.option("--bootstrap", "n_resamples", type=click.IntRange(min=0), default=10_000, show_default=True,
              help="Paired bootstrap resamples (0: no intervals, tests or groups).")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Significance level of the Holm-corrected adjacent tests.")
@click.option("--quiet", is_flag=True, help="No terminal table.")
@exits_on_input_error
def leaderboard_command(results, out_dir, metric, subset, n_resamples, seed, alpha, quiet):
    """Rank systems from RESULTS (results.json files, score --out folders or score-all output folders)."""
    check_out_dir(out_dir, [(path, "a results input") for path in results])
    inputs = load_inputs(results)
    for path, why in inputs.skipped:
        stderr.print(f"[yellow]skipped[/] {escape(path)}: {escape(why)}", soft_wrap=True)
    board = build_leaderboard(inputs.systems, metric, subset, n_resamples, seed, alpha, inputs.skipped)
    with writing_outputs(out_dir), atomic_batch():  # the four files replace the old ones together
        write_leaderboard(out_dir, board)
    if not quiet:
        stdout.print(terminal_table(board))
        stdout.print(f"leaderboard written to {out_dir}/ (csv, md, html, json)")
