"""Training configuration: a YAML file with the sections ``model``, ``loss``, ``data`` and ``train``.

Unknown keys are refused with a message naming them, so a typo never passes silently.
See ``baseline/configs/tiny.yaml`` (CPU, minutes) and ``dcase.yaml`` (the paper's sizes, GPU).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from s5eval.labels import resolve_label_set

from .data import DataSpec
from .losses import SDR_VARIANTS


class ConfigError(ValueError):
    """A configuration file that cannot be used, with the reason."""


@dataclass
class LossSpec:
    """``separation``: ca_pi (eq. 3), ca (random same-class mapping) or pi (plain PIT);
    ``tagger_weight``: weight of the PIT cross-entropy (nats) against the SDR loss (dB)."""

    separation: str = "ca_pi"
    tagger_weight: float = 1.0


@dataclass
class TrainSpec:
    """Optimisation and bookkeeping. Times in minutes, rates per step; ``threads``: CPU threads of torch
    in the training process (None: torch's default)."""

    batch_size: int = 8
    epochs: int = 10
    max_steps: int | None = None
    max_minutes: float | None = None
    lr_tagger: float = 1e-3
    lr_separator: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float = 5.0
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


def config_from_dict(values: dict[str, Any]) -> Config:
    """Build and check a :class:`Config` from a plain mapping (as read from YAML)."""
    if not isinstance(values, dict):
        raise ConfigError("the configuration must be a mapping of sections")
    top = dict(values)
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


def load_config(path: str | Path) -> Config:
    """Read a YAML configuration file (safe loader)."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return config_from_dict(values or {})
