"""``s5eval score-all SUBS_DIR --ref REF --out DIR``."""
from __future__ import annotations

import sys

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # annotations only: the command's help does not import the scoring run
    from rich.table import Table

    from ..scoring.batch import SubmissionOutcome

from .common import check_paths_exist, exits_on_input_error, scoring_options


def _load_meta(path: str) -> dict:
    """The meta YAMLs of the submission packages at ``path`` by label; one warning line per problem."""
    from ..render.terminal import stderr
    from rich.markup import escape
    from ..validate.submission_package import load_meta_by_label

    problems: list = []
    found = load_meta_by_label(path, problems)
    for finding in problems:
        stderr.print(f"[yellow]warning[/] --meta: {escape(finding.one_line())}", soft_wrap=True)
    return found


def _outcome_table(outcomes: list[SubmissionOutcome], headline: str) -> Table:
    from rich.console import JustifyMethod
    from rich.markup import escape
    from rich.table import Table
    table = Table(title="score-all", title_justify="left")
    justify: JustifyMethod
    for name, justify in (("submission", "left"), ("status", "left"), (headline, "right"),
                          ("mixtures scored", "right"), ("from cache", "right"), ("errors", "right")):
        table.add_column(name, justify=justify)
    for o in outcomes:
        status = "[green]ok[/]" if o.status == "ok" else "[bold red]failed[/]"
        value = "—" if o.headline is None else f"{o.headline:.3f}"
        table.add_row(escape(o.label), status, value, str(o.computed), str(o.reused), str(o.n_errors))
    return table


@click.command("score-all")
@click.argument("subs_dir", type=click.Path(path_type=str))
@click.option("--ref", "reference", required=True, type=click.Path(path_type=str), help="Reference set folder.")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=str),
              help="Results go to OUT/<label>/ (and the cache to OUT/.s5eval-cache).")
@scoring_options
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address (tcp://host:8786): score mixtures on a cluster (needs s5eval[dask]; "
                   "workers must see the files at the same paths).")
@click.option("--cache", "cache_dir", type=click.Path(path_type=str), default=None,
              help="Record cache folder (default OUT/.s5eval-cache).")
@click.option("--meta", "meta_path", type=click.Path(exists=True, path_type=str), default=None,
              help="Submission package (folder or .zip: meta YAMLs, technical report, audio URL file) or a folder "
                   "of them: each system's name, abbreviation and technical report go to submission.json and the "
                   "leaderboard. Problems with the packages are warnings.")
@click.option("--quiet", is_flag=True, help="No progress display and no table.")
@exits_on_input_error
def score_all_command(subs_dir, reference, out_dir, metric, selection, penalty_fn, penalty_fp, subsets, label_set,
                      workers, scheduler, cache_dir, n_resamples, seed, meta_path, quiet):
    """Score every submission in SUBS_DIR (package folders, folders of WAVs and .zip files of either); failed
    ones are recorded, never fatal.

    Re-running recomputes only mixtures whose files changed (a cache keyed by the
    reference files' content and the estimates' stamps), so an interrupted run
    resumes where it stopped.
    """
    from ..io.package import package_label
    from ..render.terminal import print_findings, stderr, stdout
    from ..scoring.batch import score_all
    from ..scoring.config import ScoreConfig
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    check_paths_exist([(subs_dir, "E_SUBS_DIR", "the submissions folder"),
                       (reference, "E_REF_MISSING", "the reference set (--ref)")])
    config = ScoreConfig(metric, selection, penalty_fn, penalty_fp, subsets, label_set, workers, n_resamples, seed)
    show = not quiet
    meta_by_label = _load_meta(meta_path) if meta_path else None

    def report(outcome: SubmissionOutcome) -> None:
        if show:
            state = "[green]ok[/]" if outcome.status == "ok" else "[bold red]failed[/]"
            first = next((f for f in outcome.findings if f.is_error), None)
            why = f" — {escape(first.one_line())}" if outcome.status == "failed" and first else ""
            stderr.print(f"{state} {escape(outcome.label)}: {outcome.computed} scored, "
                         f"{outcome.reused} from cache{why}", soft_wrap=True)
            if outcome.status == "ok" and outcome.findings:  # scored past them: say so
                print_findings(outcome.findings, per_code=3)

    if show and stderr.is_terminal:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=stderr, transient=True) as bar:
            subs_task = bar.add_task("submissions", total=None)
            mix_task = bar.add_task("mixtures", total=None)

            def on_start(index: int, label: str, total: int) -> None:
                bar.update(subs_task, completed=index, total=total, description=f"submissions ({escape(label)})")
                bar.reset(mix_task)

            def on_done(outcome: SubmissionOutcome) -> None:
                bar.advance(subs_task)
                report(outcome)

            outcomes = score_all(subs_dir, reference, out_dir, config, scheduler, cache_dir, on_start, on_done,
                                 progress=lambda done, total: bar.update(mix_task, completed=done, total=total),
                                 meta_by_label=meta_by_label)
    else:
        def on_start(index: int, label: str, total: int) -> None:
            if show:
                stderr.print(f"[{index + 1}/{total}] {escape(label)}")

        outcomes = score_all(subs_dir, reference, out_dir, config, scheduler, cache_dir, on_start, report,
                             meta_by_label=meta_by_label)
    if meta_by_label:
        scored = {package_label(o.label) for o in outcomes if o.status == "ok"}
        unmatched = sorted(label for label in meta_by_label if label not in scored)
        if unmatched:
            stderr.print(f"[yellow]warning[/] --meta: meta YAMLs without a scored submission: "
                         f"{escape(', '.join(unmatched))}", soft_wrap=True)
    if show:
        from ..results.figures import METRIC_KEYS
        headline = METRIC_KEYS[metric]
        stdout.print(_outcome_table(outcomes, headline))
        stdout.print(f"results written to {out_dir}/ ({sum(o.status == 'ok' for o in outcomes)} ok, "
                     f"{sum(o.status != 'ok' for o in outcomes)} failed)")
    if not outcomes:
        stderr.print(f"no submission (folder or .zip) found in {subs_dir}")
        sys.exit(1)
