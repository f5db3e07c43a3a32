"""``s5eval codabench INPUT OUTPUT`` (the Codabench scoring program) and ``s5eval codabench bundle``.

``codabench`` is a click group whose first argument, when it is not the name
of a subcommand (``score``, ``bundle``) nor a help option, is taken as INPUT
of ``score``: ``s5eval codabench INPUT OUTPUT [OPTIONS]`` is
``s5eval codabench score INPUT OUTPUT [OPTIONS]``, as Codabench calls it.
(An INPUT folder literally named ``bundle`` or ``score`` needs a ``./``.)
"""
from __future__ import annotations

import click

from .common import exits_on_input_error, scoring_options

_HELP = ("-h", "--help")


class CodabenchGroup(click.Group):
    """A group that runs ``score`` when the first argument is not a subcommand."""

    default_command = "score"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in _HELP:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group("codabench", cls=CodabenchGroup, context_settings={"help_option_names": list(_HELP)})
def codabench_command() -> None:
    """Codabench: the scoring program and the competition bundle.

    \b
    s5eval codabench INPUT OUTPUT [OPTIONS]        score (what Codabench runs; same as 'codabench score')
    s5eval codabench bundle --ref REF --out DIR    write a competition bundle for the reference set REF

    See 's5eval codabench score --help', 's5eval codabench bundle --help' and docs/codabench.md.
    """


@codabench_command.command("score")
@click.argument("input_dir", metavar="INPUT", type=click.Path(path_type=str))
@click.argument("output_dir", metavar="OUTPUT", type=click.Path(path_type=str))
@scoring_options
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@exits_on_input_error
def score_subcommand(input_dir, output_dir, metric, selection, penalty_fn, penalty_fp, subsets, label_set, workers,
                     n_resamples, seed, quiet):
    """Score INPUT/res against INPUT/ref; write OUTPUT/scores.json and OUTPUT/detailed_results.html.

    INPUT/ref is the reference set, INPUT/res the upload (a package folder, a folder of WAVs, a folder holding
    one of those, or a .zip). scores.json has a fixed key set for the options given (docs/codabench.md);
    undefined figures are -999. On failure only detailed_results.html (the findings, the error that stopped
    the scoring first) is written, and the exit code is non-zero: 1 invalid submission, 2 usage or output
    problem, 3 reference-set problem. Progress goes to stderr: lines when it is not a terminal (Codabench
    logs, CI), a bar when it is.
    """
    from ..render.terminal import stderr, stdout
    from ..scoring.config import ScoreConfig
    from ..codabench import ProgressLines, run_codabench

    config = ScoreConfig(metric, selection, penalty_fn, penalty_fp, subsets, label_set, workers, n_resamples, seed)
    if quiet:
        run_codabench(input_dir, output_dir, config)
    elif stderr.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=stderr, transient=True) as bar:
            task = bar.add_task("score", total=None)
            run_codabench(input_dir, output_dir, config,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        run_codabench(input_dir, output_dir, config, progress=ProgressLines())
    stdout.print(f"scores written to {output_dir}/scores.json")


@codabench_command.command("bundle")
@click.option("--ref", "reference", required=True, type=click.Path(path_type=str),
              help="Reference set (with oracle_target/) that the competition scores against; it goes into "
                   "reference_data/.")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=str),
              help="New or empty folder for the bundle (competition.yaml at its top).")
@scoring_options
@click.option("--title", default=None, help="Competition title.")
@click.option("--docker-image", default=None,
              help="Docker image of the scoring program; it must have s5eval installed "
                   "[default: s5eval/s5eval:VERSION, which you build and push: docs/codabench.md].")
@click.option("--start", default=None, help="Phase start, 'YYYY-MM-DD HH:MM:SS' UTC [default: today 00:00:00].")
@click.option("--end", default=None, help="Phase end, 'YYYY-MM-DD HH:MM:SS' UTC [default: none, open-ended].")
@click.option("--time-limit", "time_limit", type=click.IntRange(min=60), default=3600, show_default=True,
              help="Execution time limit of a scoring run, seconds.")
@click.option("--zip", "zip_path", type=click.Path(path_type=str), default=None,
              help="Also write the bundle zipped here (outside --out), ready to upload.")
@exits_on_input_error
def bundle_subcommand(reference, out_dir, metric, selection, penalty_fn, penalty_fp, subsets, label_set, workers,
                      n_resamples, seed, title, docker_image, start, end, time_limit, zip_path):
    """Write a Codabench competition bundle for the reference set REF into DIR.

    competition.yaml (version 2) with one leaderboard whose columns are exactly the scores.json keys of these
    options, scoring_program/metadata.yaml running 's5eval codabench /app/input /app/output' with them,
    reference_data/ (REF's mixtures, targets and subsets.csv, hard-linked where possible), pages and a logo.
    The scoring options are those of 's5eval score'; --workers is passed on (default: all cores of the worker).
    """
    from ..render.terminal import stdout
    from ..scoring.config import ScoreConfig
    from ..codabench import BundleOptions, write_bundle

    config = ScoreConfig(metric, selection, penalty_fn, penalty_fp, subsets, label_set, workers, n_resamples, seed)
    options = BundleOptions(start=start, end=end, execution_time_limit=time_limit, zip_path=zip_path)
    if title:
        options.title = title
    if docker_image:
        options.docker_image = docker_image
    out = write_bundle(reference, out_dir, config, options)
    stdout.print(f"Codabench bundle written to {out}/" + (f" and {zip_path}" if zip_path else ""))
    stdout.print(f"docker image: {options.docker_image} (it must have s5eval installed; see docs/codabench.md)")
