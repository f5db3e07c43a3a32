"""``s5eval score SUB --ref REF [--out DIR]``."""
from __future__ import annotations

import json
import os
import sys

from typing import TYPE_CHECKING

import click

from ..findings import S5InputError
from .common import check_paths_exist, exits_on_input_error, scoring_options

if TYPE_CHECKING:
    from ..scoring.run import ScoreRun


@click.command("score")
@click.argument("submission", type=click.Path(path_type=str))
@click.option("--ref", "reference", required=True, type=click.Path(path_type=str),
              help="Reference set folder (soundscape/ and oracle_target/) or a DCASE dataset root.")
@click.option("--out", "out_dir", type=click.Path(path_type=str), default=None,
              help="Write results.json, scores.json, per_mixture.csv and per_source.csv here.")
@scoring_options
@click.option("--force", is_flag=True, help="Score what is valid even when some files have errors; report what was skipped.")
@click.option("--quiet", is_flag=True, help="No table and no progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print results.json to stdout instead of the table.")
@click.option("--report", "report", type=int, default=None, metavar="N",
              help="Also write a report of the N worst and N best mixtures (1-100): audio, spectrograms, pairing; "
                   "needs the extra s5eval[report].")
@click.option("--report-dir", type=click.Path(path_type=str), default=None,
              help="Folder of the --report (default: OUT/report with --out, else s5eval_report).")
@click.option("--report-worst-only", is_flag=True, help="--report: the N worst mixtures only.")
@click.option("--cache-dir", type=click.Path(path_type=str), default=None,
              help="Keep the figures that depend on the reference set alone here, so that a repeated run reads no "
                   "mixture file (default: $S5EVAL_CACHE_DIR, else $XDG_CACHE_HOME/s5eval or ~/.cache/s5eval).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the reference cache.")
@exits_on_input_error
def score_command(submission, reference, out_dir, metric, selection, penalty_fn, penalty_fp, subsets, label_set,
                  workers, n_resamples, seed, force, quiet, as_json, report, report_dir, report_worst_only,
                  cache_dir, no_cache):
    """Score a submission SUBMISSION against a reference set.

    SUBMISSION is a submission package folder, a folder of estimate WAVs, or a .zip of either (read
    safely). A missing SUBMISSION or --ref is a usage error (exit 2).
    """
    from ..atomic import write_error, writing_outputs
    from ..io.archive import is_zip_path
    from ..results.files import check_out_dir, remove_stale_outputs, write_outputs
    from ..scoring.config import ScoreConfig
    from ..scoring.reference_cache import default_cache_dir
    from ..scoring.run import run_score

    check_paths_exist([(submission, "E_SUB_MISSING", "the submission"),
                       (reference, "E_REF_MISSING", "the reference set (--ref)")])
    config = ScoreConfig(metric, selection, penalty_fn, penalty_fp, subsets, label_set, workers, n_resamples,
                         seed, force)
    show_progress = not quiet and not as_json and _stderr_is_terminal()
    if out_dir:  # before any work: never into the inputs, never onto a file
        check_out_dir(out_dir, [(reference, "the reference set"),
                                (None if is_zip_path(submission) else submission, "the submission")])
    reference_cache = None if no_cache else (cache_dir or default_cache_dir())
    scored_path = submission
    if report is not None:  # checked before any work; a .zip stays extracted until the report is written
        from ..io.archive import submission_folder
        from ..mixture_report import check_report_count, check_report_dir, require_report_dependencies
        check_report_count(report)
        require_report_dependencies()
        report_dir = report_dir or (os.path.join(out_dir, "report") if out_dir else "s5eval_report")
        check_out_dir(report_dir, [(reference, "the reference set"), (submission, "the submission")],
                      option="--report-dir")
        check_report_dir(report_dir)
        scored_path = click.get_current_context().with_resource(submission_folder(submission, config.archive_limits))
    try:
        if show_progress:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            from ..render.terminal import stderr

            with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=stderr, transient=True) as bar:
                task = bar.add_task("score", total=None)
                run = run_score(scored_path, reference, config, source=submission, reference_cache=reference_cache,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
        else:
            run = run_score(scored_path, reference, config, source=submission, reference_cache=reference_cache)
    except S5InputError as exc:
        if out_dir:
            try:
                remove_stale_outputs(out_dir)
            except OSError as problem:  # the scoring findings still come first
                exc.findings.extend(write_error(problem, out_dir).findings)
        raise
    if out_dir:
        with writing_outputs(out_dir):
            write_outputs(out_dir, run.results, run.records, run.subsets)
    if run.findings or run.package_findings:
        _print_findings(run)
    if as_json:
        sys.stdout.write(json.dumps(run.results, indent=2) + "\n")
    elif not quiet:
        _print_table(run, out_dir)
    if report is not None:
        _write_report(run, report, report_dir, report_worst_only, quiet)


# The terminal renderer (rich) is imported only by what prints: a quiet run with nothing to report never loads it.

def _print_findings(run: ScoreRun) -> None:
    """The run's findings and what ``--force`` left out (stderr), then the package's findings."""
    from ..render.terminal import print_findings, print_package_findings, stderr

    if run.findings:
        print_findings(run.findings)
        if run.skipped_files:
            stderr.print(f"--force: {len(run.skipped_files)} estimate files with errors were left out: "
                         + ", ".join(run.skipped_files[:10]) + (" …" if len(run.skipped_files) > 10 else ""))
        skipped = [r.soundscape for r in run.records if not r.scored]
        if skipped:
            stderr.print(f"--force: {len(skipped)} mixtures were skipped because of the errors above")
    print_package_findings(run.package_findings)


def _print_table(run: ScoreRun, out_dir: str | None) -> None:
    from ..render.terminal import results_table, stdout

    stdout.print(results_table(run.results, run.headline_key))
    if out_dir:
        stdout.print(f"results written to {out_dir}/")


def _write_report(run: ScoreRun, report: int, report_dir: str, worst_only: bool, quiet: bool) -> None:
    from rich.markup import escape

    from ..mixture_report import write_score_report
    from ..render.terminal import stderr

    written = write_score_report(report_dir, run, report, best=not worst_only)
    if not quiet:
        stderr.print(escape(f"report of {written.n_mixtures} mixtures written to {written.index} "
                            f"({written.n_bytes / 1e6:.1f} MB, {written.seconds:.1f} s)"))


def _stderr_is_terminal() -> bool:
    """Whether the progress bar can be shown (rich's own test: imported only when it is asked)."""
    from ..render.terminal import stderr

    return stderr.is_terminal
