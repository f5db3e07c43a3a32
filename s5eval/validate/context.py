"""What every check sees: the options, the discovered submission and, optionally, the reference set."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..findings import shown_path
from ..io.archive import DEFAULT_LIMITS, ArchiveLimits
from ..io.filenames import SourceName
from ..io.refset import ReferenceSet
from ..io.submission import EstimateFile

DCASE_RATE_HZ = 32_000


@dataclass(frozen=True)
class ValidateOptions:
    """Settings of a validation run.

    ``decode``: read samples for the NaN/Inf, all-zero and clipping checks
    (headers and lengths are always checked); ``max_estimates``: estimates per
    soundscape above which ``W_TOO_MANY_ESTIMATES`` is raised; ``rate``: the
    expected sample rate in Hz when no reference set is given; ``workers``:
    threads reading audio (default: all cores); ``metadata``: check the package
    name, ``eval_results.json`` and the meta YAML (``score`` turns this off:
    it checks only what bears on the numbers).
    """

    label_set: str | None = None
    strict: bool = False
    decode: bool = True
    max_estimates: int = 3
    rate: int = DCASE_RATE_HZ
    workers: int | None = None
    metadata: bool = True
    limits: ArchiveLimits = DEFAULT_LIMITS


@dataclass
class Context:
    """The submission under check.

    ``root``: the folder (a zip is already extracted); ``shown_root``: how paths
    are shown in findings (the path the user gave, zip included); ``kind``:
    "package" or "bare"; ``label``: the package name.
    """

    root: Path
    shown_root: str
    kind: str
    estimate_dir: Path
    label: str
    labels: tuple[str, ...]
    options: ValidateOptions
    reference: ReferenceSet | None = None
    estimates: list[EstimateFile] = field(default_factory=list)
    dev_reference: ReferenceSet | None = None  # the development test set (--dev-ref), for dev results coverage
    # (rate in Hz, length in samples) of reference mixtures known without reading them (score's reference cache)
    mixture_shapes: dict[str, tuple[int, int]] = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        """The path as findings show it: below the submission the user named."""
        return shown_path(path, self.root, self.shown_root)

    @property
    def named_estimates(self) -> list[EstimateFile]:
        return [e for e in self.estimates if e.name is not None]

    @property
    def estimate_names(self) -> list[tuple[EstimateFile, SourceName]]:
        """The named estimates with their parsed names."""
        return [(e, e.name) for e in self.estimates if e.name is not None]
