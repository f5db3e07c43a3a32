"""The ``s5eval`` command line (click). Each command lives in :mod:`s5eval.commands`.

Commands are imported only when they are run, so ``s5eval score`` does not pay
for the imports of the leaderboard, the synthesizer or the baseline.
"""
from __future__ import annotations

import importlib

import click

from . import __version__

# command name -> "module:attribute" of its click command
COMMANDS: dict[str, str] = {
    "validate": "s5eval.commands.validate:validate_command",
    "score": "s5eval.commands.score:score_command",
    "score-all": "s5eval.commands.score_all:score_all_command",
    "leaderboard": "s5eval.commands.leaderboard:leaderboard_command",
    "compare": "s5eval.commands.compare:compare_command",
    "explain": "s5eval.commands.explain:explain_command",
    "synth": "s5eval.commands.synth:synth_command",
    "reference": "s5eval.commands.reference:reference_command",
    "codabench": "s5eval.commands.codabench:codabench_command",
    "demo": "s5eval.commands.demo:demo_command",
    "baseline": "s5eval.commands.baseline:baseline_group",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + [name for name in super().list_commands(ctx) if name not in COMMANDS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="s5eval")
def cli() -> None:
    """Evaluation toolkit for Spatial Semantic Segmentation of Sound Scenes (DCASE Task 4)."""


def main() -> None:
    cli(prog_name="s5eval")


if __name__ == "__main__":
    main()
