"""``s5eval compare A B [--ref REF]``."""
from __future__ import annotations

import json
import sys

import click
from ..results.figures import COMPARABLE
from ..results.figures import metric_name
from .leaderboard import MetricChoice

from ..results.figures import figure
from .common import check_paths_exist, exits_on_input_error, workers_option

def _num(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@click.command("compare")
@click.argument("a", type=click.Path(path_type=str))
@click.argument("b", type=click.Path(path_type=str))
@click.option("--ref", "reference", type=click.Path(path_type=str), default=None,
              help="Reference set, needed when A or B is a submission rather than a score output.")
@click.option("--metric", type=MetricChoice([metric_name(k) for k in COMPARABLE]), default="capi-sdri",
              show_default=True, help="The dB figure compared (as in `score`); the label accuracies always are.")
@click.option("--selection", type=click.Choice(["official", "paper"]), default="official", show_default=True,
              help="CAPI-SDRi pairing when a side is scored here: mean SDR (official code) or summed SDRi "
                   "(paper eq. 10).")
@click.option("--subsets", default=None, help="Extra subsets: a soundscape,subset CSV file or a preset (dcase2026-eval, dcase2025-eval).")
@workers_option
@click.option("--bootstrap", "n_resamples", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Paired bootstrap resamples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON (null where undefined).")
@exits_on_input_error
def compare_command(a, b, reference, metric, selection, subsets, workers, n_resamples, seed, as_json):
    """Paired difference A − B per subset (CAPI-SDRi, accuracies) with a 95 % interval and a p-value.

    A and B are submissions (folder or .zip, scored against --ref) or score outputs (results.json or its
    folder). "—" marks a figure that is undefined on a subset (e.g. CAPI-SDRi when every mixture of it is
    excluded): no difference, interval or p-value.
    """
    from ..leaderboard.compare import compare_sides, load_side
    from ..results.figures import metric_key
    from ..render.terminal import stdout
    from ..scoring.config import ScoreConfig
    from rich.markup import escape
    from rich.table import Table
    check_paths_exist([(a, "E_SUB_MISSING", "A"), (b, "E_SUB_MISSING", "B"),
                       (reference, "E_REF_MISSING", "the reference set (--ref)")])
    config = ScoreConfig(metric=metric, selection=selection, subsets=subsets, workers=workers, n_resamples=0)
    side_a, side_b = load_side(a, reference, config), load_side(b, reference, config)
    rows = compare_sides(side_a, side_b, n_resamples, seed, metric_key(metric))
    if as_json:
        sys.stdout.write(json.dumps({"a": side_a.label, "b": side_b.label, "metric": metric,
                                     "resamples": n_resamples, "seed": seed, "rows": rows}, indent=2) + "\n")
        return
    table = Table(title=f"A = {escape(side_a.label)}   B = {escape(side_b.label)}   (paired bootstrap, "
                        f"{n_resamples} resamples)", title_justify="left")
    for name in ("subset", "figure", "mixtures", "A", "B", "A − B", "95 % CI", "p"):
        table.add_column(name, justify="left" if name in ("subset", "figure") else "right")
    for row in rows:
        shown = figure(row["metric"])
        digits = shown.decimals
        ci = "—" if row["ci_low"] is None else f"[{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]"
        p = row["p_value"]
        p_text = "—" if p is None else (f"[bold]{p:.4f}[/]" if p < 0.05 else f"{p:.4f}")
        table.add_row(escape(row["subset"]), shown.label, str(row["n_mixtures"]), _num(row["a"], digits),
                      _num(row["b"], digits), _num(row["diff"], digits), ci, p_text)
    if any(row["p_value"] is None for row in rows):
        table.caption = ("— undefined: the figure has no value on that subset for A or B (e.g. CAPI-SDRi when "
                         "every mixture is excluded), so there is nothing to test")
        table.caption_justify = "left"
    stdout.print(table)
