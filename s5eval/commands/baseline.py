"""``s5eval baseline train|infer``: the bundled baseline system (needs the ``baseline`` extra, torch).

torch is imported only when a subcommand runs, so ``s5eval`` works without it.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from ..findings import EXIT_USAGE, S5InputError, error
from .common import exits_on_input_error

TORCH_MISSING = ('the baseline needs PyTorch, which is not installed; install the extra with: '
                 'pip install "s5eval[baseline]"')


def _require_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        raise S5InputError([error("E_BASELINE_TORCH", "", TORCH_MISSING)], EXIT_USAGE)


@click.group("baseline")
def baseline_group() -> None:
    """Train the bundled S5 baseline or run it to write a submission package (needs torch)."""


@baseline_group.command("train")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for checkpoints and log.csv (default: runs/<config name>).")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Continue from WORKDIR/last.pt when it exists.")
@click.option("--max-minutes", type=click.FloatRange(min=0.0), default=None,
              help="Stop after this many minutes (overrides the config).")
@exits_on_input_error
def train_command(config: Path, workdir: Path | None, resume: bool, max_minutes: float | None) -> None:
    """Train the tagger and the separator with the YAML CONFIG (a file, or a bundled name: tiny, dcase)."""
    _require_torch()
    from baseline.config import ConfigError, load_config
    from baseline.train import train

    bundled = Path(__import__("baseline").__file__).parent / "configs" / f"{config}.yaml"
    if not config.exists() and config.suffix == "" and bundled.is_file():
        config = bundled  # a bundled config by name: tiny, dcase
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise S5InputError([error("E_BASELINE_CONFIG", str(config), str(exc))], EXIT_USAGE) from None
    if max_minutes is not None:
        cfg.train.max_minutes = max_minutes
    result = train(cfg, workdir or Path("runs") / cfg.name, resume=resume)
    val = result.last_validation or {}
    click.echo(f"trained {result.steps} steps, {result.epochs} epochs -> {result.workdir}; "
               f"validation CAPI-SDRi {val.get('capi_sdri')} dB, accuracy_src {val.get('accuracy_src')} %")


@baseline_group.command("infer")
@click.option("--ckpt", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Checkpoint (.pt).")
@click.option("--ref", "ref", required=True, type=click.Path(path_type=Path),
              help="Set of soundscapes (soundscape/ [+ oracle_target/]) or a DCASE dataset root.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Submission package folder to write (eval_out/, eval_results.json, ...).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@exits_on_input_error
def infer_command(ckpt: Path, ref: Path, out: Path, device: str) -> None:
    """Run a trained baseline on every soundscape of REF and write a DCASE submission package."""
    _require_torch()
    from baseline.infer import infer

    from s5eval.outputs import check_out_dir
    check_out_dir(out, [(ref, "the reference set")])
    try:
        result = infer(ckpt, ref, out, device=device)
    except RuntimeError as exc:  # e.g. --device cuda without a GPU
        raise S5InputError([error("E_BASELINE_DEVICE", "", str(exc))], EXIT_USAGE) from None
    rate = result.n_mixtures / result.seconds if result.seconds > 0 else float("inf")
    click.echo(f"wrote {result.n_estimates} estimates for {result.n_mixtures} mixtures to {result.out} "
               f"({rate:.2f} mixtures/s)")
    if result.figures is not None:
        f = result.figures
        click.echo(f"CAPI-SDRi {f['capi_sdri']} dB, accuracy_src {f['accuracy_src']} %, "
                   f"accuracy_mix {f['accuracy_mix']} %")
