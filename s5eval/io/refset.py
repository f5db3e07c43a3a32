"""Discovery of a reference set.

Accepted layouts (see DESIGN §1):

* ``REF/soundscape/<mix>.wav`` + ``REF/oracle_target/<mix>_<i>_<Label>.wav``
  (+ optional ``REF/subsets.csv``)
* a DCASE dataset root or one of its folders: 2026 ``dev_set/synthesized/test/...``
  and ``eval_set/synthesized/eval/...``; 2025 ``dev_set/test/...`` and
  ``eval_set/...``.

A mixture with no target file is a zero-target mixture. An evaluation set as
participants get it has ``soundscape/`` only: :func:`load_reference_set` with
``require_targets=False`` accepts it (``ReferenceSet.has_targets`` is False),
for the checks that need only the mixtures.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Finding, ReferenceSetError, error
from ..labels import SILENCE
from .filenames import FilenameError, SourceName, parse_source_filename

SOUNDSCAPE_DIR = "soundscape"
TARGET_DIR = "oracle_target"
SUBSETS_FILE = "subsets.csv"

_DCASE_SUBDIRS = (
    Path("."),
    Path("synthesized/test"),
    Path("synthesized/eval"),
    Path("dev_set/synthesized/test"),
    Path("eval_set/synthesized/eval"),
    Path("test"),                      # 2025 dev_set/
    Path("dev_set/test"),              # 2025 dataset root
    Path("eval_set"),                  # 2025 dataset root (eval_set/soundscape)
)


@dataclass(frozen=True)
class SourceFile:
    """A WAV file holding one source, with its parsed name."""

    name: SourceName
    path: Path

    @property
    def label(self) -> str:
        return self.name.label


@dataclass
class RefMixture:
    """One soundscape of the reference set and its dry target sources."""

    name: str
    path: Path
    targets: list[SourceFile] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.targets]


@dataclass
class ReferenceSet:
    """A discovered reference set; mixtures are kept in sorted name order."""

    root: Path
    mixtures: dict[str, RefMixture]
    subsets_csv: Path | None
    has_targets: bool = True  # False for an evaluation set without oracle_target/

    def __len__(self) -> int:
        return len(self.mixtures)

    @property
    def names(self) -> list[str]:
        return list(self.mixtures)


def wav_files(folder: Path) -> list[Path]:
    """The ``.wav`` files (any case) directly in ``folder``, sorted by name (one directory scan, no stat per file)."""
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries
                       if entry.name.lower().endswith(".wav") and entry.is_file())
    return [folder / name for name in names]


def find_reference_root(path: str | Path, prefer: str | None = None) -> Path:
    """Return the folder holding ``soundscape/`` and ``oracle_target/`` under ``path``.

    ``prefer`` ("test" or "eval") picks among several sets under a dataset root
    holding both ``dev_set/`` and ``eval_set/``: the one whose path names it.
    """
    root = Path(path)
    if not root.exists():
        raise ReferenceSetError([error("E_REF_MISSING", str(root), "the reference set folder does not exist")])
    if not root.is_dir():
        raise ReferenceSetError([error("E_REF_MISSING", str(root), "the reference set must be a folder")])
    found = [root / sub for sub in _DCASE_SUBDIRS if (root / sub / SOUNDSCAPE_DIR).is_dir()]
    if not found:
        raise ReferenceSetError([
            error("E_REF_LAYOUT", str(root),
                  f"no '{SOUNDSCAPE_DIR}/' folder found here or in a DCASE dataset layout "
                  "(dev_set/synthesized/test, eval_set/synthesized/eval, eval_set/soundscape)")
        ])
    if len(found) > 1 and prefer is not None:
        preferred = [p for p in found if prefer in p.parts or f"{prefer}_set" in p.parts]
        found = preferred if len(preferred) == 1 else found
    if len(found) > 1:
        listing = ", ".join(str(p) for p in found)
        raise ReferenceSetError([
            error("E_REF_AMBIGUOUS", str(root), f"several reference sets found ({listing}); point --ref at one of them")
        ])
    return found[0].resolve() if found[0] != root else root


def load_reference_set(path: str | Path, labels: tuple[str, ...], require_targets: bool = True,
                       prefer: str | None = None) -> ReferenceSet:
    """Discover the mixtures and targets of a reference set.

    ``require_targets``: a set without ``oracle_target/`` is an error (what
    scoring needs); with False it is read as an evaluation set without
    references. ``prefer``: see :func:`find_reference_root`. Raises
    :class:`ReferenceSetError` (exit code 3) on any problem.
    """
    root = find_reference_root(path, prefer)
    soundscape_dir = root / SOUNDSCAPE_DIR
    target_dir = root / TARGET_DIR
    findings: list[Finding] = []
    mixtures: dict[str, RefMixture] = {}
    for wav in wav_files(soundscape_dir):
        mixtures[wav.stem] = RefMixture(wav.stem, wav)
    if not mixtures:
        raise ReferenceSetError([error("E_REF_EMPTY", str(soundscape_dir), "the reference set holds no soundscape WAV")])
    if not target_dir.is_dir():
        if not require_targets:
            return ReferenceSet(root, mixtures, None, has_targets=False)
        raise ReferenceSetError([
            error("E_REF_NO_TARGETS", str(root),
                  f"this set has no references ('{TARGET_DIR}/' is missing): it is an evaluation set as "
                  "participants get it, which can be used to validate a submission (s5eval validate --ref) "
                  "but not to score one; scoring needs the set with its oracle targets")
        ])
    known_labels = tuple(labels)
    for wav in wav_files(target_dir):
        try:
            name = parse_source_filename(wav.name, mixtures, known_labels)
        except FilenameError as exc:
            findings.append(error("E_REF_TARGET_NAME", str(wav), str(exc)))
            continue
        if name.label == SILENCE:
            continue
        mixtures[name.soundscape].targets.append(SourceFile(name, wav))
    if findings:
        raise ReferenceSetError(findings)
    subsets = root / SUBSETS_FILE
    return ReferenceSet(root, mixtures, subsets if subsets.is_file() else None)
