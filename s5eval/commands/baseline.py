"""``s5eval baseline train|infer``: the bundled baseline system (needs the ``baseline`` extra, torch).

torch is imported only when a subcommand runs, so ``s5eval`` works without it.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from ..findings import EXIT_USAGE, S5InputError, error
from .common import exits_on_input_error


def torch_missing() -> str | None:
    """What to tell a user without torch (the ``baseline`` extra), or None when torch can be imported."""
    if importlib.util.find_spec("torch") is not None:
        return None
    from baseline import TORCH_MISSING_MESSAGE  # the baseline package imports no torch itself

    return TORCH_MISSING_MESSAGE


def baseline_checkpoint(ckpt: str | Path | None) -> Path:
    """The checkpoint file of ``--ckpt`` / ``--baseline-ckpt``: a path, a bundled name (``tiny``), or None for the
    shipped tiny checkpoint (package data; imports no torch)."""
    from baseline import bundled_checkpoint, resolve_checkpoint

    return bundled_checkpoint() if ckpt is None else resolve_checkpoint(ckpt)


def _require_torch() -> None:
    message = torch_missing()
    if message is not None:
        raise S5InputError([error("E_BASELINE_TORCH", "", message)], EXIT_USAGE)


@click.group("baseline")
def baseline_group() -> None:
    """Train the bundled S5 baseline or run it to write a submission package (needs torch)."""


@baseline_group.command("train")
@click.argument("config", type=str)
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for checkpoints and log.csv (default: runs/<config name>).")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Continue from WORKDIR/last.pt when it exists.")
@click.option("--max-minutes", type=click.FloatRange(min=0.0), default=None,
              help="Stop after this many minutes (overrides the config).")
@click.option("--run", "run_name", default=None,
              help="Which run of a config with several (dcase: tagger, tagger_2blks, separator; default the first).")
@click.option("--dev-set", default=None, type=click.Path(path_type=Path),
              help="The official development set folder (dev_set/), for configs that read it.")
@click.option("--init-from", default=None, type=click.Path(path_type=Path),
              help="Checkpoint whose weights start the run (dcase tagger_2blks: the tagger run's best.pt).")
@exits_on_input_error
def train_command(config: str, workdir: Path | None, resume: bool, max_minutes: float | None, run_name: str | None,
                  dev_set: Path | None, init_from: Path | None) -> None:
    """Train with the YAML CONFIG (a file, or a bundled name: tiny, dcase).

    tiny trains tagger and separator together on the CPU; dcase is the official recipe, three separate
    runs chosen with --run. A bundled name wins over a file or folder of that name in the current directory.
    """
    _require_torch()
    from baseline.config import ConfigError, load_config, resolve_config
    from baseline.train import StageNetError, apply_overrides, train

    from ..synth.devset import DevSetError

    config = resolve_config(config)
    try:
        cfg = apply_overrides(load_config(config, run_name), None if dev_set is None else str(dev_set),
                              None if init_from is None else str(init_from), max_minutes)
        result = train(cfg, workdir or Path("runs") / (f"{cfg.name}_{cfg.run}" if cfg.run else cfg.name),
                       resume=resume)
    except (ConfigError, StageNetError, DevSetError) as exc:
        raise S5InputError([error("E_BASELINE_CONFIG", str(config), str(exc))], EXIT_USAGE) from None
    val = result.last_validation or {}
    if cfg.stage == "joint":
        click.echo(f"trained {result.steps} steps, {result.epochs} epochs -> {result.workdir}; "
                   f"validation CAPI-SDRi {val.get('capi_sdri')} dB, accuracy_src {val.get('accuracy_src')} %")
    else:
        shown = ", ".join(f"{k} {v}" for k, v in val.items())
        click.echo(f"trained the {cfg.stage} ({cfg.run or cfg.name}) {result.steps} steps, {result.epochs} epochs "
                   f"-> {result.workdir}; validation {shown}")


@baseline_group.command("infer")
@click.option("--ckpt", default=None, type=str,  # not click.Path: 'tiny' wins over a folder named tiny
              help="Checkpoint of this baseline (.pt, from s5eval baseline train), or 'tiny' for the shipped one.")
@click.option("--tagger-ckpt", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Official DCASE 2026 tagger checkpoint (Lightning .ckpt, m2dat_1c or m2dat_4c).")
@click.option("--separator-ckpt", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Official DCASE 2026 separator checkpoint (Lightning .ckpt, ResUNet30).")
@click.option("--ref", "ref", required=True, type=click.Path(path_type=Path),
              help="Set of soundscapes (soundscape/ [+ oracle_target/]) or a DCASE dataset root.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Submission package folder to write (eval_out/, eval_results.json, ...).")
@click.option("--oracle-labels", is_flag=True,
              help="Official checkpoints: query the separator with the reference labels of REF (probabilities 1.0); "
                   "needs only --separator-ckpt.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True,
              help="Mixtures per forward pass (only mixtures of equal length share a batch).")
@click.option("--trust-checkpoint", is_flag=True,
              help="Official checkpoints: allow full unpickling of a checkpoint that holds Python objects "
                   "(can run arbitrary code; only for files from a trusted source).")
@exits_on_input_error
def infer_command(ckpt: str | Path | None, tagger_ckpt: Path | None, separator_ckpt: Path | None, ref: Path, out: Path,
                  oracle_labels: bool, device: str, batch_size: int, trust_checkpoint: bool) -> None:
    """Run a baseline on every soundscape of REF and write a DCASE submission package.

    Either this baseline (--ckpt) or the official DCASE 2026 checkpoints (--tagger-ckpt and
    --separator-ckpt; --separator-ckpt alone with --oracle-labels).
    """
    official = tagger_ckpt is not None or separator_ckpt is not None
    if ckpt is not None and official:
        raise click.UsageError("--ckpt (this baseline) and --tagger-ckpt/--separator-ckpt (the official "
                               "checkpoints) exclude each other")
    if ckpt is None and not official:
        raise click.UsageError("give --ckpt (this baseline) or --tagger-ckpt and --separator-ckpt (official)")
    if ckpt is not None and (oracle_labels or trust_checkpoint):
        raise click.UsageError("--oracle-labels and --trust-checkpoint apply to the official checkpoints only")
    if official and separator_ckpt is None:
        raise click.UsageError("the official system needs --separator-ckpt")
    if official and tagger_ckpt is None and not oracle_labels:
        raise click.UsageError("the official system needs --tagger-ckpt, or --oracle-labels to use the "
                               "reference labels")
    _require_torch()
    if ckpt is not None:
        ckpt = baseline_checkpoint(ckpt)
        if ckpt.is_dir():
            raise click.BadParameter(f"'{ckpt}' is a directory", param_hint="'--ckpt'")
    from s5eval.results.files import check_out_dir
    check_out_dir(out, [(ref, "the reference set")])
    try:
        if ckpt is not None:
            from baseline.infer import infer
            result = infer(ckpt, ref, out, device=device, batch_size=batch_size)
        else:
            from baseline.infer import infer_official
            if oracle_labels and tagger_ckpt is not None:
                click.echo("note: --oracle-labels uses the reference labels; --tagger-ckpt is not loaded", err=True)
            result = infer_official(separator_ckpt, ref, out, tagger_ckpt=tagger_ckpt, oracle_labels=oracle_labels,
                                    device=device, batch_size=batch_size, trust=trust_checkpoint)
    except RuntimeError as exc:  # e.g. --device cuda without a GPU
        raise S5InputError([error("E_BASELINE_DEVICE", "", str(exc))], EXIT_USAGE) from None
    rate = result.n_mixtures / result.seconds if result.seconds > 0 else float("inf")
    click.echo(f"wrote {result.n_estimates} estimates for {result.n_mixtures} mixtures to {result.out} "
               f"({rate:.2f} mixtures/s)")
    if result.figures is not None:
        f = result.figures
        click.echo(f"CAPI-SDRi {f['capi_sdri']} dB, accuracy_src {f['accuracy_src']} %, "
                   f"accuracy_mix {f['accuracy_mix']} %")
