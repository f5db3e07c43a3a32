"""``s5eval leaderboard RESULTS... --out DIR``."""
from __future__ import annotations

from typing import Sequence

import click
from ..results.figures import METRIC_ALIASES, METRIC_NAMES, metric_name

from ..findings import S5InputError, error
from .common import exits_on_input_error

EXPECTED_INPUTS = ("expected results.json files, `s5eval score --out` folders (results.json + scores.json) "
                   "or a `s5eval score-all --out` folder (one result folder per submission)")


class MetricChoice(click.Choice):
    """``--metric``: the spellings of ``score`` (``capi-sdri``), plus the older results keys (``capi_sdri``),
    accepted but not listed in ``--help``. The value is the command-line spelling."""

    def __init__(self, names: Sequence[str] = tuple(METRIC_NAMES)):
        super().__init__(list(names))

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value not in self.choices and value in METRIC_ALIASES:
            value = metric_name(METRIC_ALIASES[value])
        return super().convert(value, param, ctx)


def _load(results: Sequence[str]):
    """:func:`load_inputs`, saying what was expected when the inputs hold nothing at all."""
    from ..leaderboard import load_inputs
    try:
        return load_inputs(results)
    except S5InputError as exc:
        if exc.findings and all(f.code == "E_NO_RESULTS" and not f.file for f in exc.findings):
            raise S5InputError([error("E_NO_RESULTS", path, f"the folder holds no results: {EXPECTED_INPUTS}")
                                for path in results], exc.exit_code) from None
        raise


@click.command("leaderboard")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=str),
              help="Write leaderboard.csv, .md, .html and .json here.")
@click.option("--metric", type=MetricChoice(), default="capi-sdri", show_default=True,
              help="Figure to rank by, higher is better: capi-sdri, ca-sdri, casa-sdr, capi-si-sdri or ca-si-sdri "
                   "as in `score` (the last three need results scored with that --metric), or a label accuracy.")
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
    from ..atomic import atomic_batch, writing_outputs
    from ..leaderboard import build_leaderboard, write_leaderboard
    from ..leaderboard.render_terminal import terminal_table
    from ..results.figures import metric_key
    from ..render.terminal import stderr, stdout
    from ..results.files import check_out_dir
    from rich.markup import escape
    check_out_dir(out_dir, [(path, "a results input") for path in results])
    inputs = _load(results)
    for path, why in inputs.skipped:
        stderr.print(f"[yellow]skipped[/] {escape(path)}: {escape(why)}", soft_wrap=True)
    board = build_leaderboard(inputs.systems, metric_key(metric), subset, n_resamples, seed, alpha, inputs.skipped)
    with writing_outputs(out_dir), atomic_batch():  # the four files replace the old ones together
        write_leaderboard(out_dir, board)
    if not quiet:
        stdout.print(terminal_table(board))
        stdout.print(f"leaderboard written to {out_dir}/ (csv, md, html, json)")
