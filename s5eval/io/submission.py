"""Discovery of a submission: a DCASE package folder or a bare folder of WAVs.

``find_estimates`` maps every estimate WAV to its soundscape; problems with
names become findings, never exceptions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection

from ..findings import Finding, S5InputError, error
from ..labels import SILENCE
from .filenames import FilenameError, parse_source_filename
from .package import DEV_RESULTS, ESTIMATE_DIR, EVAL_RESULTS, find_meta, package_label
from .refset import SourceFile, wav_files


@dataclass
class Submission:
    """A discovered submission: where its estimate WAVs lie and what else it holds."""

    root: Path
    kind: str  # "package" or "bare"
    estimate_dir: Path
    label: str  # the package folder's name without a trailing "_out" (the 2025 form)
    estimates: dict[str, list[SourceFile]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    source: str | None = None  # what the user named, e.g. the .zip a folder was extracted from

    @property
    def eval_results(self) -> Path | None:
        path = self.root / EVAL_RESULTS
        return path if self.kind == "package" and path.is_file() else None

    @property
    def dev_results(self) -> Path | None:
        path = self.root / DEV_RESULTS
        return path if self.kind == "package" and path.is_file() else None

    @property
    def meta_yaml(self) -> Path | None:
        """The package's meta YAML, when it holds one (see :func:`s5eval.io.package.find_meta`)."""
        return find_meta(self.root, self.label) if self.kind == "package" else None

    def n_files(self) -> int:
        return sum(len(v) for v in self.estimates.values())


def open_submission(path: str | Path) -> Submission:
    """Detect the submission form of ``path`` (package or bare folder)."""
    root = Path(path)
    if not root.exists():
        raise S5InputError([error("E_SUB_MISSING", str(root), "the submission does not exist")])
    if not root.is_dir():
        raise S5InputError([error("E_SUB_NOT_FOLDER", str(root),
                                  "the submission must be a folder (or a .zip of one)")])
    if (root / ESTIMATE_DIR).is_dir():
        return Submission(root, "package", root / ESTIMATE_DIR, package_label(root.name))
    return Submission(root, "bare", root, root.name)


def find_estimates(sub: Submission, soundscapes: Collection[str], labels: Collection[str]) -> Submission:
    """Fill ``sub.estimates`` (soundscape -> sorted estimate files); name problems go to ``sub.findings``.

    Estimates labelled ``silence`` are padding and are left out, as the metric does.
    """
    known = tuple(labels) + (SILENCE,)
    estimates: dict[str, list[SourceFile]] = {}
    for wav in wav_files(sub.estimate_dir):
        try:
            name = parse_source_filename(wav.name, soundscapes, known)
        except FilenameError as exc:
            sub.findings.append(error(exc.code, str(wav), str(exc)))
            continue
        if name.label == SILENCE:
            continue
        estimates.setdefault(name.soundscape, []).append(SourceFile(name, wav))
    sub.estimates = estimates
    return sub
