"""The ``s5eval`` command line (click). Each command lives in :mod:`s5eval.commands`.

Commands are imported only when they are run, so ``s5eval score`` does not pay
for the imports of the leaderboard, the synthesizer or the baseline.
"""
from __future__ import annotations

import gc
import importlib

import click

from . import __version__

# command name -> ("module:attribute" of its click command, the first sentence of its help). The help
# line is here so that ``s5eval --help`` lists the commands without importing any of them;
# tests/test_cli_startup.py checks that each equals the command's own.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("s5eval.commands.validate:validate_command",
                 "Check a submission SUBMISSION (package folder, folder of WAVs or .zip) and report every problem "
                 "at once."),
    "score": ("s5eval.commands.score:score_command", "Score a submission SUBMISSION against a reference set."),
    "score-all": ("s5eval.commands.score_all:score_all_command",
                  "Score every submission in SUBS_DIR (package folders, folders of WAVs and .zip files of either); "
                  "failed ones are recorded, never fatal."),
    "leaderboard": ("s5eval.commands.leaderboard:leaderboard_command",
                    "Rank systems from RESULTS (results.json files, score --out folders or score-all output folders)."),
    "compare": ("s5eval.commands.compare:compare_command",
                "Paired difference A − B per subset (CAPI-SDRi, accuracies) with a 95 % interval and a p-value."),
    "explain": ("s5eval.commands.explain:explain_command",
                "Explain the score of soundscape MIXTURE: labels, pairing, per-pair SDR/SDRi, penalties, both "
                "selections."),
    "synth": ("s5eval.commands.synth:synth_command",
              "Synthesize N S5 mixtures with oracle targets into OUT (soundscape/, oracle_target/, metadata/, "
              "subsets.csv)."),
    "reference": ("s5eval.commands.reference:reference_command",
                  "Write the calibration submission KIND (oracle, mixture, silence, oracle-labels-noisy, "
                  "random-labels)."),
    "codabench": ("s5eval.commands.codabench:codabench_command",
                  "Codabench: the scoring program and the competition bundle."),
    "demo": ("s5eval.commands.demo:demo_command",
             "Synthesize a small set, write reference submissions, validate, score and rank them."),
    "baseline": ("s5eval.commands.baseline:baseline_group",
                 "Train the bundled S5 baseline or run it to write a submission package (needs torch)."),
}


class LazyGroup(click.Group):
    """A click group that imports a command's module on first use; its own help imports none."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + [name for name in super().list_commands(ctx) if name not in COMMANDS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name][0].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, as click writes it, from the help lines of :data:`COMMANDS`."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                # a stand-in command with the same help: click shortens it as it shortens the real one's
                rows.append((name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="s5eval")
def cli() -> None:
    """Evaluation toolkit for Spatial Semantic Segmentation of Sound Scenes (DCASE Task 4)."""


def main() -> None:
    try:
        cli(prog_name="s5eval")
    finally:
        # what the command built is left to the operating system: the interpreter's last collection would
        # otherwise walk every object of a large run (about 0.03 s at the evaluation set's size) only to exit
        gc.freeze()


if __name__ == "__main__":
    main()
