"""What a scoring run depends on: :class:`ScoreConfig` (the run) and :class:`ScoreOptions` (one mixture)."""
from __future__ import annotations

from dataclasses import dataclass

from ..io.archive import DEFAULT_LIMITS, ArchiveLimits


@dataclass
class ScoreConfig:
    """Everything a scoring run depends on."""

    metric: str = "capi-sdri"
    selection: str = "official"
    penalty_fn: float = 0.0
    penalty_fp: float = 0.0
    subsets: str | None = None
    label_set: str | None = None
    workers: int | None = None
    n_resamples: int = 1000
    seed: int = 0
    force: bool = False
    archive_limits: ArchiveLimits = DEFAULT_LIMITS


@dataclass(frozen=True)
class ScoreOptions:
    """What to compute: pairing selection and penalty values in dB."""

    selection: str = "official"
    penalty_fn: float = 0.0
    penalty_fp: float = 0.0
    casa: bool = False
    si: bool = False  # also the scale-invariant variants (CAPI-SI-SDRi, CA-SI-SDRi)
