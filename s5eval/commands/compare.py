"""``s5eval compare A B [--ref REF]``."""
from __future__ import annotations

import json
import sys

import click
from rich.markup import escape
from rich.table import Table

from ..leaderboard.compare import compare_sides, load_side
from ..report import stdout
from ..score import ScoreConfig
from .common import exits_on_input_error, workers_option

_NAMES = {"capi_sdri": "CAPI-SDRi (dB)", "accuracy_mix": "mixture acc. (%)", "accuracy_src": "source acc. (%)"}


def _num(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@click.command("compare")
@click.argument("a", type=click.Path(path_type=str))
@click.argument("b", type=click.Path(path_type=str))
@click.option("--ref", "reference", type=click.Path(path_type=str), default=None,
              help="Reference set, needed when A or B is a submission rather than a score output.")
@click.option("--selection", type=click.Choice(["official", "paper"]), default="official", show_default=True)
@click.option("--subsets", default=None, help="Extra subsets: a soundscape,subset CSV file or a preset (dcase2026-eval, dcase2025-eval).")
@workers_option
@click.option("--bootstrap", "n_resamples", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Paired bootstrap resamples.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@exits_on_input_error
def compare_command(a, b, reference, selection, subsets, workers, n_resamples, seed, as_json):
    """Paired difference A − B per subset (CAPI-SDRi, accuracies) with a 95 % interval and a p-value.

    A and B are submissions (scored against --ref) or score outputs (results.json or its folder).
    """
    config = ScoreConfig(selection=selection, subsets=subsets, workers=workers, n_resamples=0)
    side_a, side_b = load_side(a, reference, config), load_side(b, reference, config)
    rows = compare_sides(side_a, side_b, n_resamples, seed)
    if as_json:
        sys.stdout.write(json.dumps({"a": side_a.label, "b": side_b.label, "resamples": n_resamples, "seed": seed,
                                     "rows": rows}, indent=2) + "\n")
        return
    table = Table(title=f"A = {escape(side_a.label)}   B = {escape(side_b.label)}   (paired bootstrap, "
                        f"{n_resamples} resamples)", title_justify="left")
    for name in ("subset", "figure", "mixtures", "A", "B", "A − B", "95 % CI", "p"):
        table.add_column(name, justify="left" if name in ("subset", "figure") else "right")
    for row in rows:
        digits = 3 if row["metric"] == "capi_sdri" else 2
        ci = "—" if row["ci_low"] is None else f"[{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]"
        p = row["p_value"]
        p_text = "—" if p is None else (f"[bold]{p:.4f}[/]" if p < 0.05 else f"{p:.4f}")
        table.add_row(escape(row["subset"]), _NAMES[row["metric"]], str(row["n_mixtures"]), _num(row["a"], digits),
                      _num(row["b"], digits), _num(row["diff"], digits), ci, p_text)
    stdout.print(table)
