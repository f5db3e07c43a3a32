"""``s5eval demo [--out DIR]``: the whole workflow on a small synthesized set, in about a minute.

1. synthesize a small reference set (``s5eval synth``);
2. write the calibration submissions (``s5eval reference``), and the
   baseline's when torch is installed (the shipped tiny checkpoint unless ``--baseline-ckpt`` is given);
3. validate every submission (``s5eval validate``);
4. score every submission (``s5eval score``);
5. rank them (``s5eval leaderboard``).
"""
from __future__ import annotations

import time
from pathlib import Path

import click

from ..findings import EXIT_USAGE, S5InputError, error
from .common import exits_on_input_error

DEMO_SUBMISSIONS: tuple[tuple[str, dict], ...] = (
    ("oracle", {}),
    ("oracle-labels-noisy", {"snr_db": 10.0}),
    ("mixture", {}),
    ("random-labels", {}),
    ("silence", {}),
)


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=str, file_okay=False), default="s5eval_demo",
              show_default=True, help="Folder for the set, the submissions, the results and the leaderboard.")
@click.option("--n", "n_mixtures", type=click.IntRange(min=2), default=24, show_default=True,
              help="Mixtures to synthesize.")
@click.option("--seconds", type=click.FloatRange(min=1.0, max=10.0), default=4.0, show_default=True,
              help="Length of each mixture in seconds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Synthesis seed.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--baseline-ckpt", type=click.Path(path_type=str, dir_okay=False), default=None,
              envvar="S5EVAL_BASELINE_CKPT",
              help="A trained baseline checkpoint for the baseline participant (env S5EVAL_BASELINE_CKPT; "
                   "default: the shipped tiny checkpoint, when torch is installed).")
@exits_on_input_error
def demo_command(out_dir, n_mixtures, seconds, seed, workers, baseline_ckpt):
    """Synthesize a small set, write reference submissions, validate, score and rank them."""
    from ..render.terminal import stdout
    from ..calibration import package_label
    from ..calibration.writer import write_reference_submission
    from ..io.buffers import default_workers
    from ..results.files import write_outputs
    from ..scoring.config import ScoreConfig
    from ..scoring.run import run_score
    from ..synth.api import SynthConfig
    from ..synth.rooms import MissingSynthDependency
    from ..synth.writer import write_reference_set

    started = time.perf_counter()
    root = Path(out_dir)
    ref, subs_dir, results_dir = root / "reference_set", root / "submissions", root / "results"
    workers = workers or default_workers()

    stdout.print(f"[bold]1/5[/] synthesizing {n_mixtures} mixtures of {seconds:g} s into {ref}/")
    try:
        write_reference_set(ref, n_mixtures, SynthConfig(seconds=seconds), seed=seed, workers=workers, overwrite=True)
    except MissingSynthDependency as exc:
        raise S5InputError([error("E_SYNTH_DEPENDENCY", "", str(exc))], EXIT_USAGE) from None
    except OSError as exc:
        raise S5InputError([error("E_DEMO_WRITE", str(root), f"cannot write the demo folder: {exc}")], EXIT_USAGE) from None

    stdout.print(f"[bold]2/5[/] writing reference submissions into {subs_dir}/")
    packages: list[Path] = []
    for kind, options in DEMO_SUBMISSIONS:
        package = subs_dir / package_label(kind)
        write_reference_submission(kind, ref, package, **options)
        packages.append(package)
    baseline_package = _baseline_hook(baseline_ckpt, ref, subs_dir)
    if baseline_package is not None:
        packages.append(baseline_package)

    stdout.print("[bold]3/5[/] validating the submissions")
    _validate_all(packages, ref)

    stdout.print("[bold]4/5[/] scoring the submissions")
    result_dirs = []
    for package in packages:
        run = run_score(package, ref, ScoreConfig(workers=1, n_resamples=200))
        write_outputs(results_dir / package.name, run.results, run.records, run.subsets)
        result_dirs.append(results_dir / package.name)

    stdout.print("[bold]5/5[/] leaderboard")
    _leaderboard(result_dirs, root / "leaderboard")
    stdout.print(f"demo finished in {time.perf_counter() - started:.1f} s; everything is in {root}/")


def _baseline_hook(checkpoint: str | None, ref: Path, subs_dir: Path) -> Path | None:
    """Run ``s5eval baseline infer`` (``checkpoint``, else the shipped tiny one) when torch is installed; else say
    why it is skipped."""
    from ..render.terminal import stdout
    from rich.markup import escape

    from ..cli import cli
    from ..io.package import ESTIMATE_DIR
    from .baseline import baseline_checkpoint, torch_missing

    if not baseline_available():
        stdout.print(f"  baseline skipped: {escape(torch_missing() or 'torch is not installed')}")
        return None
    path = baseline_checkpoint(checkpoint or None)
    if not path.is_file():
        what = "the checkpoint" if checkpoint else "the shipped tiny checkpoint"
        stdout.print(f"  baseline skipped: {what} {escape(str(path))} does not exist (pass --baseline-ckpt PATH)")
        return None
    stdout.print(f"  baseline: s5eval baseline infer --ckpt {escape(checkpoint or 'tiny')}")
    checkpoint = str(path)
    package = subs_dir / "Baseline_S5eval_task4_1"
    try:
        cli.main(["baseline", "infer", "--ckpt", checkpoint, "--ref", str(ref), "--out", str(package)],
                 prog_name="s5eval", standalone_mode=False)
    except SystemExit as exc:
        if exc.code not in (0, None):
            stdout.print(f"  baseline skipped: `s5eval baseline infer` exited with code {exc.code}")
            return None
    except Exception as exc:  # the baseline is optional; its failure must not stop the demo
        stdout.print(f"  baseline skipped: `s5eval baseline infer` failed ({type(exc).__name__}: {exc})")
        return None
    return package if (package / ESTIMATE_DIR).is_dir() else None


def _validate_all(packages: list[Path], ref: Path) -> None:
    from ..render.terminal import stdout
    from ..validate import validate_submission

    for package in packages:
        report = validate_submission(package, ref)
        verdict = "[green]valid[/]" if report.valid else f"[red]invalid (exit {report.exit_code})[/]"
        stdout.print(f"  {package.name}: {verdict}, {len(report.errors)} errors, {len(report.warnings)} warnings")
        for finding in report.findings[:3]:
            stdout.print(f"    {finding.one_line()}", soft_wrap=True)


def baseline_available() -> bool:
    """True when torch (the ``baseline`` extra) can be imported."""
    from .baseline import torch_missing

    return torch_missing() is None


def _leaderboard(result_dirs: list[Path], out: Path) -> None:
    from ..render.terminal import stderr
    from ..cli import cli

    try:
        cli.main(["leaderboard", *map(str, result_dirs), "--out", str(out), "--bootstrap", "1000"],
                 prog_name="s5eval", standalone_mode=False)
    except SystemExit as exc:
        if exc.code not in (0, None):
            stderr.print(f"  `s5eval leaderboard` exited with code {exc.code}")
