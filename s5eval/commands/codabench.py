"""``s5eval codabench INPUT OUTPUT``: the Codabench scoring program."""
from __future__ import annotations

import click

from ..codabench import run_codabench
from ..report import stdout
from ..score import ScoreConfig
from .common import exits_on_input_error, workers_option


@click.command("codabench")
@click.argument("input_dir", type=click.Path(path_type=str))
@click.argument("output_dir", type=click.Path(path_type=str))
@click.option("--subsets", default=None, help="Extra subsets: a soundscape,subset CSV file or a preset (dcase2026-eval, dcase2025-eval).")
@workers_option
@click.option("--bootstrap", "n_resamples", type=click.IntRange(min=0), default=1000, show_default=True)
@exits_on_input_error
def codabench_command(input_dir, output_dir, subsets, workers, n_resamples):
    """Score INPUT/res against INPUT/ref; write OUTPUT/scores.json and OUTPUT/detailed_results.html.

    On failure only detailed_results.html (with the findings) is written, and the exit code is non-zero.
    """
    run_codabench(input_dir, output_dir, ScoreConfig(subsets=subsets, workers=workers, n_resamples=n_resamples))
    stdout.print(f"scores written to {output_dir}/scores.json")
