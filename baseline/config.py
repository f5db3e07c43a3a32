"""Training configuration: a YAML file with the sections ``model``, ``loss``, ``data`` and ``train``.

Unknown keys are refused with a message naming them, so a typo never passes silently.
``stage`` says what a run trains: ``joint`` (tagger and separator in one step, the CPU
configs), ``tagger`` or ``separator`` (the official recipe's separate runs). A config may
hold several runs: ``runs: {name: overrides}``, each merged over the rest of the file
(mappings key by key); :func:`config_from_dict` picks one (``run=``, default the first).
See ``baseline/configs/tiny.yaml`` (CPU, minutes) and ``dcase.yaml`` (the official recipe, GPU).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from s5eval.labels import resolve_label_set

from .data import DataSpec
from .losses import AVERAGES, SDR_VARIANTS
from .stages import STAGES


class ConfigError(ValueError):
    """A configuration file that cannot be used, with the reason."""


@dataclass
class LossSpec:
    """``separation``: ca_pi (eq. 3), ca (random same-class mapping) or pi (plain PIT);
    ``average``: ``active`` (over a mixture's active slots) or ``all_slots`` (over K_max, silence as 0, every
    mixture: the official loss), see :mod:`baseline.losses`;
    ``tagger_weight``: weight of the PIT cross-entropy (nats) against the SDR loss (dB), joint runs only."""

    separation: str = "ca_pi"
    average: str = "active"
    tagger_weight: float = 1.0


@dataclass
class TrainSpec:
    """Optimisation and bookkeeping. Times in minutes, rates per step; ``threads``: CPU threads of torch
    in the training process (None: torch's default). AdamW with ``betas``, ``eps`` and ``amsgrad``;
    ``grad_clip``: the largest gradient norm (joint runs clip each stage on its own, stage runs the whole
    network, as Lightning's ``gradient_clip_val``); ``sync_batchnorm``: batch statistics over all processes
    under DDP; ``init_from``: a checkpoint whose weights start the run (the tagger's second run starts from
    the first's); ``monitor``: what chooses ``best.pt``, ``capi_sdri`` (highest) or ``val_loss`` (lowest,
    the official ``epoch_val/loss``)."""

    batch_size: int = 8
    epochs: int = 10
    max_steps: int | None = None
    max_minutes: float | None = None
    lr_tagger: float = 1e-3
    lr_separator: float = 1e-3
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    amsgrad: bool = False
    grad_clip: float = 5.0
    sync_batchnorm: bool = False
    init_from: str | None = None
    monitor: str = "capi_sdri"
    warmup_steps: int = 0
    val_batch_size: int = 4
    log_every: int = 10
    amp: bool = True
    device: str = "auto"
    threads: int | None = None
    seed: int = 0


@dataclass
class Config:
    """A whole training configuration."""

    name: str = "baseline"
    stage: str = "joint"
    run: str | None = None
    label_set: str = "dcase2026t4"
    k_max: int = 3
    n_channels: int = 4
    sample_rate: int = 32000
    model: dict = field(default_factory=dict)
    loss: LossSpec = field(default_factory=LossSpec)
    data: DataSpec = field(default_factory=DataSpec)
    train: TrainSpec = field(default_factory=TrainSpec)

    @property
    def classes(self) -> tuple[str, ...]:
        return resolve_label_set(self.label_set)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _section(cls, values: Any, where: str):
    if values is None:
        return cls()
    if not isinstance(values, dict):
        raise ConfigError(f"section '{where}' must be a mapping")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown key(s) in '{where}': {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return cls(**values)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def run_names(values: dict[str, Any]) -> list[str]:
    """The run names of a config mapping (``runs:``), in file order; empty for a single-run config."""
    runs = values.get("runs") if isinstance(values, dict) else None
    return list(runs) if isinstance(runs, dict) else []


def config_from_dict(values: dict[str, Any], run: str | None = None) -> Config:
    """Build and check a :class:`Config` from a plain mapping (as read from YAML); ``run`` picks one of its
    ``runs`` (default: the first)."""
    if not isinstance(values, dict):
        raise ConfigError("the configuration must be a mapping of sections")
    top = dict(values)
    runs = top.pop("runs", None)
    if runs is not None:
        if not isinstance(runs, dict) or not runs or not all(isinstance(v, dict) for v in runs.values()):
            raise ConfigError("'runs' must map run names to mappings of overrides")
        run = run if run is not None else next(iter(runs))
        if run not in runs:
            raise ConfigError(f"no run '{run}' in the config (runs: {', '.join(runs)})")
        top = _merge(top, runs[run])
        top["run"] = run
    elif run is not None and run != top.get("run"):
        raise ConfigError(f"--run {run}: the config defines no runs")
    sections = {"loss": LossSpec, "data": DataSpec, "train": TrainSpec}
    parsed = {name: _section(cls, top.pop(name, None), name) for name, cls in sections.items()}
    config = _section(Config, top, "top level")
    for name, value in parsed.items():
        setattr(config, name, value)
    if not isinstance(config.model, dict):
        raise ConfigError("section 'model' must be a mapping with 'tagger' and 'separator'")
    unknown = sorted(set(config.model) - {"tagger", "separator"})
    if unknown:
        raise ConfigError(f"unknown key(s) in 'model': {', '.join(unknown)} (known: separator, tagger)")
    if config.loss.separation not in SDR_VARIANTS:
        raise ConfigError(f"loss.separation must be one of {', '.join(SDR_VARIANTS)}")
    if config.loss.average not in AVERAGES:
        raise ConfigError(f"loss.average must be one of {', '.join(AVERAGES)}")
    if config.stage not in STAGES:
        raise ConfigError(f"stage must be one of {', '.join(STAGES)}, not {config.stage!r}")
    if config.train.monitor not in ("capi_sdri", "val_loss"):
        raise ConfigError("train.monitor must be capi_sdri or val_loss")
    config.train.betas = tuple(config.train.betas)
    if config.data.recipe is not None:
        from s5eval.synth.scene_recipe import SceneRecipe

        try:
            recipe = SceneRecipe.from_dict(config.data.recipe)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"data.recipe: {exc}") from None
        if recipe.sr != config.sample_rate:
            raise ConfigError("data.recipe.sr must equal sample_rate")
        if recipe.nevent_range[1] > config.k_max:
            raise ConfigError("data.recipe.nevent_range must not exceed k_max")
    synth = config.data.synth or {}
    if int(synth.get("max_targets", config.k_max)) > config.k_max:
        raise ConfigError("data.synth.max_targets must not exceed k_max")
    if int(synth.get("samplerate", config.sample_rate)) != config.sample_rate:
        raise ConfigError("data.synth.samplerate must equal sample_rate")
    try:
        config.classes
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return config


BUNDLED_DIR = Path(__file__).parent / "configs"


def resolve_config(name_or_path: str | Path) -> Path:
    """The YAML file of a bundled config name (``tiny``, ``dcase``), else ``name_or_path`` as a path.

    A bundled name wins over a file or folder of that name in the current directory;
    anything with a suffix or a folder part is a path.
    """
    text = str(name_or_path)
    bundled = BUNDLED_DIR / f"{text}.yaml"
    if text and Path(text).name == text and Path(text).suffix == "" and bundled.is_file():
        return bundled
    return Path(text)


def read_config_values(path: str | Path) -> dict[str, Any]:
    """The mapping of a YAML configuration file (safe loader)."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return values or {}


def load_config(path: str | Path, run: str | None = None) -> Config:
    """Read a YAML configuration file (safe loader); ``run`` picks one of its runs."""
    return config_from_dict(read_config_values(path), run)
