"""Training loop of the baseline: both stages in one run, on CUDA (bf16 autocast) or CPU, one or many processes.

    python -m baseline.train baseline/configs/tiny.yaml --workdir runs/tiny
    torchrun --nproc_per_node 4 -m baseline.train baseline/configs/dcase.yaml --workdir runs/dcase

The separator is trained with oracle queries and the SDR loss of the config
(eq. 3 by default), the tagger with PIT cross-entropy, in the same step with
one Adam optimiser (a parameter group each). Under torchrun (``WORLD_SIZE`` > 1)
the step runs in DistributedDataParallel (NCCL on CUDA, gloo on CPU) and every
process sees its share of the mixtures. ``WORKDIR`` receives ``last.pt``
(resumed from automatically), ``best.pt`` (highest validation CAPI-SDRi) and
``log.csv``.
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
from .losses import pit_cross_entropy, separation_loss
from .models.system import S5System, build_system, count_parameters

CHECKPOINT_FORMAT = "s5eval-baseline/1"
LOG_COLUMNS = ["epoch", "step", "elapsed_s", "train_loss", "sdr_loss_db", "tagger_ce", "val_capi_sdri",
               "val_accuracy_src", "val_accuracy_mix", "val_oracle_capi_sdri"]


class TrainStep(nn.Module):
    """One forward pass of training: (SDR loss in dB, PIT cross-entropy in nats)."""

    def __init__(self, system: S5System, variant: str):
        super().__init__()
        self.system = system
        self.variant = variant

    def forward(self, mixture: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor):
        logits = self.system.tagger(mixture)
        estimates = self.system.separator(mixture, labels)
        sdr_loss = separation_loss(estimates, targets, labels, self.system.silence_index, self.variant)
        ce = pit_cross_entropy(logits, labels)
        return sdr_loss, ce


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
    slim["model"] = {k: v.detach().cpu().clone().contiguous() for k, v in state["model"].items()}
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
    system: S5System | None = None


def train(config: Config, workdir: str | Path, resume: bool = True,
          generator: Callable[[Sequence[int]], ExampleLike] | None = None) -> TrainResult:
    """Train the system of ``config``, writing checkpoints and ``log.csv`` under ``workdir``.

    ``generator`` replaces the synthesizer (a seed -> example callable), for tests.
    """
    runtime = setup_runtime(config.train.device)
    spec = config.train
    workdir = Path(workdir)
    if runtime.is_main:
        workdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(spec.seed + runtime.rank)
    if spec.threads:
        torch.set_num_threads(spec.threads)
    classes = config.classes
    system = build_system(classes, config.model, config.k_max, config.n_channels, config.sample_rate)
    system.to(runtime.device)
    step_module: nn.Module = TrainStep(system, config.loss.separation)
    if runtime.distributed:
        ids = [runtime.device.index] if runtime.device.type == "cuda" else None
        unused = config.model.get("tagger", {}).get("backbone") == "m2d"  # the ViT's class token is not used
        step_module = nn.parallel.DistributedDataParallel(step_module, device_ids=ids, find_unused_parameters=unused)
    optimizer = torch.optim.AdamW([
        {"params": system.tagger.parameters(), "lr": spec.lr_tagger},
        {"params": system.separator.parameters(), "lr": spec.lr_separator},
    ], weight_decay=spec.weight_decay)
    base_lrs = [spec.lr_tagger, spec.lr_separator]

    epoch, step, best = 0, 0, -math.inf
    last_path, best_path, log_path = workdir / "last.pt", workdir / "best.pt", workdir / "log.csv"
    if resume and last_path.is_file():
        state = load_checkpoint(last_path, runtime.device)
        system.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        epoch, step, best = state["epoch"], state["step"], state.get("best", -math.inf)
        _log(runtime, f"resumed from {last_path} at epoch {epoch}, step {step}")

    train_set, val_set = build_datasets(config.data, classes, config.k_max, generator)
    sampler = DistributedSampler(train_set, runtime.world_size, runtime.rank, shuffle=True,
                                 seed=spec.seed) if runtime.distributed else None
    loader = DataLoader(train_set, batch_size=spec.batch_size, sampler=sampler, shuffle=sampler is None,
                        num_workers=config.data.num_workers, drop_last=True,
                        persistent_workers=False, pin_memory=runtime.device.type == "cuda")
    val_loader = DataLoader(val_set, batch_size=spec.val_batch_size, num_workers=config.data.num_workers)
    nparams = count_parameters(system)
    _log(runtime, f"training '{config.name}' on {runtime.device} x{runtime.world_size}: {nparams:,} parameters "
                  f"(tagger {count_parameters(system.tagger):,}, separator {count_parameters(system.separator):,})")
    if runtime.is_main and not log_path.is_file():
        with log_path.open("w", newline="") as fh:
            csv.writer(fh).writerow(LOG_COLUMNS)

    started = time.monotonic()
    last_val: dict[str, Any] | None = None
    stop = False
    system.train()
    while epoch < spec.epochs and not stop:
        if hasattr(train_set, "set_epoch"):
            train_set.set_epoch(epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        sums = torch.zeros(3, device=runtime.device)  # loss, sdr loss, ce
        n_batches = 0
        for batch in loader:
            for group, base in zip(optimizer.param_groups, base_lrs):
                group["lr"] = base * _lr_factor(step, spec.warmup_steps)
            mixture = batch["mixture"].to(runtime.device, non_blocking=True)
            labels = batch["labels"].to(runtime.device, non_blocking=True)
            targets = batch["targets"].to(runtime.device, non_blocking=True)
            with autocast(runtime.device, spec.amp):
                sdr_loss, ce = step_module(mixture, labels, targets)
            loss = sdr_loss + config.loss.tagger_weight * ce
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if spec.grad_clip:  # each stage on its own, so the SDR gradients do not shrink the tagger's
                nn.utils.clip_grad_norm_(system.tagger.parameters(), spec.grad_clip)
                nn.utils.clip_grad_norm_(system.separator.parameters(), spec.grad_clip)
            optimizer.step()
            step += 1
            n_batches += 1
            sums += torch.stack([loss.detach(), sdr_loss.detach(), ce.detach()])
            if step % spec.log_every == 0:
                avg = (sums / n_batches).tolist()
                _log(runtime, f"epoch {epoch + 1} step {step}: loss {avg[0]:.3f} (SDR loss {avg[1]:.2f} dB, "
                              f"tagger CE {avg[2]:.3f}) {time.monotonic() - started:.0f} s")
            stop = _should_stop(runtime, spec, step, started)
            if stop:
                break
        if runtime.distributed:
            dist.all_reduce(sums)
            sums /= runtime.world_size
        epoch += 1
        avg = (sums / max(n_batches, 1)).tolist()
        if runtime.is_main:
            last_val = evaluate(system, val_loader, runtime.device, spec.amp)
            _log(runtime, f"epoch {epoch} validation: CAPI-SDRi {_fmt(last_val['capi_sdri'])} dB, "
                          f"accuracy_src {_fmt(last_val['accuracy_src'])} %, accuracy_mix "
                          f"{_fmt(last_val['accuracy_mix'])} %, oracle-label CAPI-SDRi "
                          f"{_fmt(last_val['oracle_capi_sdri'])} dB")
            with log_path.open("a", newline="") as fh:
                csv.writer(fh).writerow([epoch, step, round(time.monotonic() - started, 1), *(round(a, 4) for a in avg),
                                         last_val["capi_sdri"], last_val["accuracy_src"], last_val["accuracy_mix"],
                                         last_val["oracle_capi_sdri"]])
            score = last_val["capi_sdri"] if last_val["capi_sdri"] is not None else -math.inf
            state = checkpoint_state(config, system, optimizer, epoch, step, max(best, score), last_val)
            save_checkpoint(last_path, state)
            if score > best:
                best = score
                save_checkpoint(best_path, state)
        if runtime.distributed:
            dist.barrier()
    if runtime.distributed:
        dist.destroy_process_group()
    return TrainResult(workdir, step, epoch, last_val, nparams, system)


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


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Train the S5 baseline (tagger + ResUNetK).")
    parser.add_argument("config", help="YAML configuration: a file, or a bundled name "
                                       "(tiny, dcase; see baseline/configs)")
    parser.add_argument("--workdir", required=True, help="folder for checkpoints and log.csv")
    parser.add_argument("--no-resume", action="store_true", help="start afresh even if WORKDIR/last.pt exists")
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="stop after this many minutes (overrides the config)")
    args = parser.parse_args(argv)
    if args.max_minutes is not None and not args.max_minutes >= 0:
        parser.error("--max-minutes must be 0 or more")
    config = load_config(resolve_config(args.config))
    if args.max_minutes is not None:
        config.train.max_minutes = args.max_minutes
    train(config, args.workdir, resume=not args.no_resume)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
