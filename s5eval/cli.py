"""The ``s5eval`` command line (click). Each command lives in :mod:`s5eval.commands`."""
from __future__ import annotations

import click

from . import __version__
from .commands.score import score_command
from .commands.score_all import score_all_command
from .commands.leaderboard import leaderboard_command
from .commands.compare import compare_command
from .commands.explain import explain_command
from .commands.codabench import codabench_command
from .commands.demo import demo_command
from .commands.reference import reference_command
from .commands.synth import synth_command
from .commands.validate import validate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="s5eval")
def cli() -> None:
    """Evaluation toolkit for Spatial Semantic Segmentation of Sound Scenes (DCASE Task 4)."""


cli.add_command(score_command)
cli.add_command(score_all_command)
cli.add_command(leaderboard_command)
cli.add_command(compare_command)
cli.add_command(explain_command)
cli.add_command(codabench_command)
cli.add_command(synth_command)
cli.add_command(reference_command)
cli.add_command(demo_command)
cli.add_command(validate_command)


def main() -> None:
    cli(prog_name="s5eval")


if __name__ == "__main__":
    main()
