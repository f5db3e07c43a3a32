"""Training loop of the baseline: a joint run or the official recipe's separate runs, on CUDA or CPU, one or many
processes.

    python -m baseline.train tiny --workdir runs/tiny
    torchrun --nproc_per_node 4 -m baseline.train dcase --run tagger --dev-set data/dev_set --workdir runs/tagger

What a step trains is the config's ``stage`` (:mod:`baseline.runs`): ``joint`` (tagger and
separator together, one AdamW with a parameter group each), ``tagger`` or ``separator``.
Under torchrun (``WORLD_SIZE`` > 1) the step runs in DistributedDataParallel (NCCL on
CUDA, gloo on CPU), every process sees its share of the mixtures, and with
``train.sync_batchnorm`` the batch statistics are those of the global batch
(:mod:`baseline.syncbn`). ``WORKDIR`` receives ``last.pt`` (resumed from automatically),
``best.pt`` (by ``train.monitor``) and ``log.csv``.
"""
from __future__ import annotations

import csv
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from s5eval import CAPISDRi

from .config import Config, load_config, resolve_config
from .data import ExampleLike, build_datasets
from .models.system import S5System, build_system, count_parameters
from .runs import TrainStep, build_run
from .stages import StageNetError
from .syncbn import convert_sync_batchnorm

CHECKPOINT_FORMAT = "s5eval-baseline/1"
LOG_COLUMNS = ["epoch", "step", "elapsed_s", "train_loss", "sdr_loss_db", "tagger_ce", "val_capi_sdri",
               "val_accuracy_src", "val_accuracy_mix", "val_oracle_capi_sdri"]  # of a joint run
__all__ = ["CHECKPOINT_FORMAT", "LOG_COLUMNS", "StageNetError", "TrainResult", "TrainStep", "checkpoint_state", "load_checkpoint",
           "save_checkpoint", "slim_checkpoint", "system_from_checkpoint", "train"]


@dataclass
class Runtime:
    """Where this process runs: device, rank and world size."""

    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def select_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` picks CUDA (this process's GPU) when present, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("train.device is 'cuda' but no CUDA device is available")
        return torch.device("cuda", local_rank)
    return torch.device(name)


def setup_runtime(device_name: str) -> Runtime:
    """Join the process group when started by torchrun (``WORLD_SIZE`` > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = select_device(device_name, local_rank)
    if world > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Runtime(device, rank, world, local_rank)


def autocast(device: torch.device, enabled: bool):
    """bf16 autocast on CUDA when enabled; a no-op context elsewhere (CPU trains in float32)."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled and device.type == "cuda")


def capi_of(metric: CAPISDRi, system: S5System, labels: torch.Tensor, wavs: torch.Tensor,
            ref_labels: torch.Tensor, targets: torch.Tensor, mixtures: torch.Tensor) -> None:
    metric.update_batch(system.label_names(labels), wavs.float().cpu().numpy(), system.label_names(ref_labels),
                        targets.cpu().numpy(), mixtures[:, 0].cpu().numpy())


@torch.no_grad()
def evaluate(system: S5System, loader: DataLoader, device: torch.device, amp: bool = False) -> dict[str, Any]:
    """Validation figures with s5eval's own metric: CAPI-SDRi (dB) of the full system and with oracle labels,
    and the label accuracies (%)."""
    was_training = system.training
    system.eval()
    full, oracle = CAPISDRi(sync_on_compute=False), CAPISDRi(sync_on_compute=False)  # the main rank alone validates
    for batch in loader:
        mixture = batch["mixture"].to(device)
        labels = batch["labels"].to(device)
        with autocast(device, amp):
            out = system(mixture)
            oracle_wavs = system.separator(mixture, labels)
        capi_of(full, system, out.labels, out.waveforms, labels, batch["targets"], batch["mixture"])
        capi_of(oracle, system, labels, oracle_wavs, labels, batch["targets"], batch["mixture"])
    system.train(was_training)
    figures = full.compute()
    figures["oracle_capi_sdri"] = oracle.compute()["capi_sdri"]
    return figures


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically: a temporary file in the same folder, then rename."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`train`; raises ValueError when it is not one.

    Loaded with ``weights_only=True``: tensors and plain containers only, never arbitrary pickled objects.
    """
    import pickle

    try:
        state = torch.load(Path(path), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{path} holds Python objects besides tensors and plain values, so it is not loaded "
                         f"(weights_only): {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
                         "Checkpoints of this baseline hold tensors and plain values only") from None
    if isinstance(state, dict) and "state_dict" in state and "format" not in state:
        raise ValueError(f"{path} looks like a PyTorch Lightning checkpoint (as the official DCASE baselines "
                         "ship); its module layout differs from this baseline's, so --ckpt cannot load it. The "
                         "official DCASE 2026 checkpoints run with --tagger-ckpt and --separator-ckpt")
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a checkpoint of this baseline (format {CHECKPOINT_FORMAT})")
    return state


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists, tuples into lists, so that
    ``torch.load(weights_only=True)`` reads it back (tensors are kept)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def slim_checkpoint(state: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint for inference: weights, config, classes and progress; no optimiser state."""
    keep = ("format", "config", "classes", "epoch", "step", "best", "nparams", "validation")
    slim = {k: plain(state.get(k)) for k in keep}
    key = "state_dict" if "state_dict" in state and "model" not in state else "model"
    if key == "state_dict":
        slim["stage"] = state.get("stage")
    slim[key] = {k: v.detach().cpu().clone().contiguous() for k, v in state[key].items()}
    slim["optimizer"] = None
    return slim


def checkpoint_state(config: Config, system: S5System, optimizer: torch.optim.Optimizer | None = None,
                     epoch: int = 0, step: int = 0, best: float = -math.inf,
                     validation: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a checkpoint holds: format tag, config, classes, weights, optimiser state and progress."""
    return {"format": CHECKPOINT_FORMAT, "config": plain(config.to_dict()), "classes": list(system.classes),
            "model": system.state_dict(), "optimizer": optimizer.state_dict() if optimizer else None,
            "epoch": int(epoch), "step": int(step), "best": float(best), "nparams": int(count_parameters(system)),
            "validation": plain(validation)}


def system_from_checkpoint(state: dict[str, Any]) -> tuple[S5System, Config]:
    """Rebuild the system of a checkpoint and load its weights."""
    from .config import config_from_dict

    if state.get("stage", "joint") != "joint" or "model" not in state:
        raise ValueError(f"this is a checkpoint of a '{state.get('stage')}' run (one stage of the official recipe), "
                         "not a whole system; official-architecture runs load with --tagger-ckpt and "
                         "--separator-ckpt")
    config = config_from_dict(state["config"])
    system = build_system(state["classes"], config.model, config.k_max, config.n_channels, config.sample_rate)
    system.load_state_dict(state["model"])
    return system, config


def _lr_factor(step: int, warmup: int) -> float:
    return min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0


def _log(runtime: Runtime, message: str) -> None:
    if runtime.is_main:
        print(message, file=sys.stderr, flush=True)


@dataclass
class TrainResult:
    """What a training run leaves: its folder, steps done and the last validation figures."""

    workdir: Path
    steps: int
    epochs: int
    last_validation: dict[str, Any] | None
    nparams: int
    system: nn.Module | None = None  # the S5System of a joint run, the wrapped network of a stage run


def _run_state(config: Config, run, optimizer: torch.optim.Optimizer | None, epoch: int, step: int, best: float,
               validation: dict[str, Any] | None) -> dict[str, Any]:
    """A checkpoint of any run: a joint run's is :func:`checkpoint_state`'s layout; a stage run's holds its network
    under ``state_dict`` (prefix ``model.``) and ``stage``."""
    if run.stage == "joint":
        return checkpoint_state(config, run.module, optimizer, epoch, step, best, validation)
    return {"format": CHECKPOINT_FORMAT, "stage": run.stage, "config": plain(config.to_dict()),
            "classes": list(config.classes), **run.weights(),
            "optimizer": optimizer.state_dict() if optimizer else None, "epoch": int(epoch), "step": int(step),
            "best": float(best), "nparams": int(count_parameters(run.module)), "validation": plain(validation)}


def _score(spec, figures: dict[str, Any]) -> float:
    """Higher is better: CAPI-SDRi (dB), or minus the validation loss."""
    value = figures.get("capi_sdri") if spec.monitor == "capi_sdri" else figures.get("val_loss")
    if value is None:
        return -math.inf
    return float(value) if spec.monitor == "capi_sdri" else -float(value)


def _init_weights(run, path: str, runtime: Runtime) -> None:
    """Start from the weights (only) of another run's checkpoint (the tagger's second run)."""
    state = load_checkpoint(path, "cpu")
    run.load_weights(state)
    _log(runtime, f"weights from {path} (epoch {state.get('epoch')}, step {state.get('step')})")


def train(config: Config, workdir: str | Path, resume: bool = True,
          generator: Callable[[Sequence[int]], ExampleLike] | None = None) -> TrainResult:
    """Train the run of ``config`` (its ``stage``), writing checkpoints and ``log.csv`` under ``workdir``.

    ``generator`` replaces the synthesizer (a seed -> example callable), for tests. A missing dev set or starting
    checkpoint is a :class:`~baseline.config.ConfigError` before anything starts.
    """
    check_inputs(config)
    runtime = setup_runtime(config.train.device)
    spec = config.train
    workdir = Path(workdir)
    if runtime.is_main:
        workdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(spec.seed + runtime.rank)
    if spec.threads:
        torch.set_num_threads(spec.threads)
    last_path, best_path, log_path = workdir / "last.pt", workdir / "best.pt", workdir / "log.csv"
    resuming = resume and last_path.is_file()
    tagger_spec = config.model.get("tagger", {})
    if (config.stage == "tagger" and tagger_spec.get("arch", "track") != "track" and not resuming
            and tagger_spec.get("finetuning_layers", "head") != "head" and not spec.init_from):
        from .config import ConfigError

        raise ConfigError("this tagger run fine-tunes backbone blocks and continues the head-only run: give that "
                          "run's checkpoint with --init-from (e.g. runs/tagger/best.pt)")
    run = build_run(config, pretrained=not (resuming or spec.init_from))
    if spec.init_from and not resuming:
        _init_weights(run, spec.init_from, runtime)
    module = run.module
    if runtime.distributed and spec.sync_batchnorm:
        convert_sync_batchnorm(run.step, runtime.device)  # in place: the BatchNorms inside the networks
    module.to(runtime.device)
    step_module: nn.Module = run.step
    if runtime.distributed:
        ids = [runtime.device.index] if runtime.device.type == "cuda" else None
        # stage runs: the official strategy ddp_find_unused_parameters_true (frozen layers, unused FiLM slots)
        unused = run.stage != "joint" or config.model.get("tagger", {}).get("backbone") == "m2d"
        step_module = nn.parallel.DistributedDataParallel(step_module, device_ids=ids, find_unused_parameters=unused)
    groups = run.param_groups()
    optimizer = torch.optim.AdamW(groups, weight_decay=spec.weight_decay, betas=tuple(spec.betas), eps=spec.eps,
                                  amsgrad=spec.amsgrad)
    base_lrs = [g["lr"] for g in groups]

    epoch, step, best = 0, 0, -math.inf
    if resuming:
        state = load_checkpoint(last_path, runtime.device)
        run.load_weights(state)
        optimizer.load_state_dict(state["optimizer"])
        epoch, step, best = state["epoch"], state["step"], state.get("best", -math.inf)
        _log(runtime, f"resumed from {last_path} at epoch {epoch}, step {step}")

    train_set, val_set = build_datasets(config.data, config.classes, config.k_max, generator)
    sampler = DistributedSampler(train_set, runtime.world_size, runtime.rank, shuffle=True,
                                 seed=spec.seed) if runtime.distributed else None
    loader = DataLoader(train_set, batch_size=spec.batch_size, sampler=sampler, shuffle=sampler is None,
                        num_workers=config.data.num_workers, drop_last=True,
                        persistent_workers=False, pin_memory=runtime.device.type == "cuda")
    val_loader = DataLoader(val_set, batch_size=spec.val_batch_size, num_workers=config.data.num_workers)
    nparams = count_parameters(module)
    _log(runtime, f"training '{config.name}'{f' run {config.run}' if config.run else ''} ({run.stage}) on "
                  f"{runtime.device} x{runtime.world_size}: {nparams:,} parameters, "
                  f"{sum(p.numel() for g in groups for p in g['params']):,} trainable")
    columns = ["epoch", "step", "elapsed_s", *run.train_columns, *run.val_columns]
    if runtime.is_main and not log_path.is_file():
        with log_path.open("w", newline="") as fh:
            csv.writer(fh).writerow(columns)

    started = time.monotonic()
    last_val: dict[str, Any] | None = None
    stop = False
    module.train()
    while epoch < spec.epochs and not stop:
        if hasattr(train_set, "set_epoch"):
            train_set.set_epoch(epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        sums = torch.zeros(len(run.train_columns), device=runtime.device)
        n_batches = 0
        for batch in loader:
            for group, base in zip(optimizer.param_groups, base_lrs):
                group["lr"] = base * _lr_factor(step, spec.warmup_steps)
            mixture = batch["mixture"].to(runtime.device, non_blocking=True)
            labels = batch["labels"].to(runtime.device, non_blocking=True)
            targets = batch["targets"].to(runtime.device, non_blocking=True)
            with autocast(runtime.device, spec.amp):
                outputs = step_module(mixture, labels, targets)
            loss, logged = run.loss(outputs)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if spec.grad_clip:
                run.clip(spec.grad_clip)
            optimizer.step()
            step += 1
            n_batches += 1
            sums += torch.stack([v.detach().float() for v in logged])
            if step % spec.log_every == 0:
                avg = (sums / n_batches).tolist()
                _log(runtime, f"epoch {epoch + 1} step {step}: "
                              + ", ".join(f"{c} {v:.3f}" for c, v in zip(run.train_columns, avg))
                              + f" {time.monotonic() - started:.0f} s")
            stop = _should_stop(runtime, spec, step, started)
            if stop:
                break
        if runtime.distributed:
            dist.all_reduce(sums)
            sums /= runtime.world_size
        epoch += 1
        avg = (sums / max(n_batches, 1)).tolist()
        if runtime.is_main:
            module.eval()
            last_val = run.evaluate(val_loader, runtime.device, lambda: autocast(runtime.device, spec.amp))
            module.train()
            figures = run.row(last_val)
            _log(runtime, f"epoch {epoch} validation: "
                          + ", ".join(f"{c} {_fmt(v)}" for c, v in zip(run.val_columns, figures)))
            with log_path.open("a", newline="") as fh:
                csv.writer(fh).writerow([epoch, step, round(time.monotonic() - started, 1),
                                         *(round(a, 4) for a in avg), *figures])
            score = _score(spec, last_val)
            state = _run_state(config, run, optimizer, epoch, step, max(best, score), last_val)
            save_checkpoint(last_path, state)
            if score > best:
                best = score
                save_checkpoint(best_path, state)
        if runtime.distributed:
            dist.barrier()
    if runtime.distributed:
        dist.destroy_process_group()
    return TrainResult(workdir, step, epoch, last_val, nparams, module)


def _should_stop(runtime: Runtime, spec, step: int, started: float) -> bool:
    """Stop on max_steps or max_minutes; every process takes the same decision."""
    stop = spec.max_steps is not None and step >= spec.max_steps
    if spec.max_minutes is not None:
        stop = stop or (time.monotonic() - started) / 60.0 >= spec.max_minutes
    if runtime.distributed:
        flag = torch.tensor([1.0 if stop else 0.0], device=runtime.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        stop = bool(flag.item() > 0)
    return stop


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def apply_overrides(config: Config, dev_set: str | None = None, init_from: str | None = None,
                    max_minutes: float | None = None) -> Config:
    """Command-line values over the config's: the dev set folder, the checkpoint to start from, a time limit."""
    if dev_set is not None:
        config.data.dev_set = dev_set
    if init_from is not None:
        config.train.init_from = init_from
    if max_minutes is not None:
        config.train.max_minutes = max_minutes
    return config


def check_inputs(config: Config) -> None:
    """Refuse early, with one sentence, what would fail later: a missing dev set or starting checkpoint."""
    from .config import ConfigError

    if config.data.dev_set is not None and not Path(config.data.dev_set).is_dir():
        raise ConfigError(f"data.dev_set {config.data.dev_set} is not a folder: give the official development "
                          "set (dev_set/) with --dev-set")
    if config.train.init_from is not None and not Path(config.train.init_from).is_file():
        raise ConfigError(f"train.init_from {config.train.init_from} does not exist: give the checkpoint of the "
                          "previous run (e.g. runs/tagger/best.pt) with --init-from")


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from .config import ConfigError

    parser = argparse.ArgumentParser(description="Train the S5 baseline (a joint run, or one run of the official "
                                                 "recipe: tagger, tagger_2blks, separator).")
    parser.add_argument("config", help="YAML configuration: a file, or a bundled name "
                                       "(tiny, dcase; see baseline/configs)")
    parser.add_argument("--workdir", required=True, help="folder for checkpoints and log.csv")
    parser.add_argument("--run", default=None, help="which run of a config with several (dcase: tagger, "
                                                    "tagger_2blks, separator; default the first)")
    parser.add_argument("--dev-set", default=None, help="the official development set folder (dev_set/)")
    parser.add_argument("--init-from", default=None, help="checkpoint whose weights start the run")
    parser.add_argument("--no-resume", action="store_true", help="start afresh even if WORKDIR/last.pt exists")
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="stop after this many minutes (overrides the config)")
    args = parser.parse_args(argv)
    if args.max_minutes is not None and not args.max_minutes >= 0:
        parser.error("--max-minutes must be 0 or more")
    try:
        config = apply_overrides(load_config(resolve_config(args.config), args.run), args.dev_set, args.init_from,
                                 args.max_minutes)
        train(config, args.workdir, resume=not args.no_resume)
    except (ConfigError, StageNetError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
