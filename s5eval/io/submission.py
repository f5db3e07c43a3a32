"""Discovery of a submission: a DCASE package folder or a bare folder of WAVs.

``find_estimates`` maps every estimate WAV to its soundscape; problems with
names become findings, never exceptions.

Only regular files inside the submission are ever estimates: a symbolic link
whose target leaves the submission (above all one into the reference set), a
FIFO, socket or device, or a link that leads nowhere is left out here (and
reported by ``validate``'s layout checks, which ``score`` runs too). The
submission is the folder the user named, resolved: a link given as the
submission is followed, and the links inside must stay within its target.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection

from ..findings import Finding, S5InputError, error
from ..labels import SILENCE
from .filenames import FilenameError, parse_source_filename
from .package import DEV_RESULTS, ESTIMATE_DIR, EVAL_RESULTS, META_SUFFIX, find_meta, package_label
from .refset import OUTSIDE, SPECIAL, SourceFile, link_target_leaves, real_root, scan_wavs

NAME_MAX_BYTES = 255  # the longest file name (one path component) common file systems take


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
        return self._own_file(self.root / EVAL_RESULTS) if self.kind == "package" else None

    @property
    def dev_results(self) -> Path | None:
        return self._own_file(self.root / DEV_RESULTS) if self.kind == "package" else None

    @property
    def meta_yaml(self) -> Path | None:
        """The package's meta YAML, when it holds one (see :func:`s5eval.io.package.find_meta`)."""
        if self.kind != "package":
            return None
        try:
            path = find_meta(self.root, self.label)
        except (OSError, ValueError):
            return None
        return self._own_file(path) if path is not None else None

    def _own_file(self, path: Path) -> Path | None:
        """``path`` when it is a regular file of the submission (a link may not lead out of it), else None."""
        try:
            if os.path.islink(path) and link_target_leaves(path, real_root(self.root)) is not None:
                return None
            return path if stat.S_ISREG(os.stat(path).st_mode) else None
        except (OSError, ValueError):
            return None

    def n_files(self) -> int:
        return sum(len(v) for v in self.estimates.values())


def open_submission(path: str | Path) -> Submission:
    """Detect the submission form of ``path`` (package or bare folder)."""
    root = Path(path)
    try:
        root_mode = os.stat(root).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise S5InputError([error("E_SUB_MISSING", str(root), "the submission does not exist")]) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise S5InputError([error("E_SUB_MISSING", str(root), f"the submission cannot be opened: {reason}")]) from None
    if not stat.S_ISDIR(root_mode):
        raise S5InputError([error("E_SUB_NOT_FOLDER", str(root),
                                  "the submission must be a folder (or a .zip of one)")])
    if _is_package(root):
        name_bytes = len(os.fsencode(root.name))
        if name_bytes + len(META_SUFFIX) > NAME_MAX_BYTES:  # '<name>.meta.yaml' could not even be looked up
            raise S5InputError([error("E_PACKAGE_NAME", str(root),
                                      f"the package name is {name_bytes} bytes long: with "
                                      f"'{META_SUFFIX}' it exceeds the {NAME_MAX_BYTES}-byte limit of a file name; "
                                      "name the package <Author>_<Affil>_task4_<N>")])
        return Submission(root, "package", root / ESTIMATE_DIR, package_label(root.name))
    return Submission(root, "bare", root, root.name)


def _is_package(root: Path) -> bool:
    """The folder holds ``eval_out/``: a folder, or a link (also one that leads out or nowhere: found later)."""
    try:
        mode = os.lstat(root / ESTIMATE_DIR).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISDIR(mode) or stat.S_ISLNK(mode)


def find_estimates(sub: Submission, soundscapes: Collection[str], labels: Collection[str]) -> Submission:
    """Fill ``sub.estimates`` (soundscape -> sorted estimate files); name problems go to ``sub.findings``.

    Estimates labelled ``silence`` are padding and are left out, as the metric does.
    """
    known = tuple(labels) + (SILENCE,)
    estimates: dict[str, list[SourceFile]] = {}
    sub.estimates = estimates
    within = real_root(sub.root)
    if sub.estimate_dir != sub.root and os.path.islink(sub.estimate_dir):
        target = link_target_leaves(sub.estimate_dir, within)
        if target is not None:
            sub.findings.append(error("E_LINK_OUTSIDE", str(sub.estimate_dir),
                                      f"is a symbolic link to '{target}', outside the submission; it is not read"))
            return sub
    try:
        wavs, refused = scan_wavs(sub.estimate_dir, within)
    except OSError as exc:
        sub.findings.append(error("E_UNREADABLE", str(sub.estimate_dir),
                                  f"cannot list the folder: {getattr(exc, 'strerror', None) or exc}"))
        return sub
    for entry in refused:  # validate's layout checks say more about each
        code = {OUTSIDE: "E_LINK_OUTSIDE", SPECIAL: "E_NOT_REGULAR_FILE"}.get(entry.kind, "E_UNREADABLE")
        sub.findings.append(error(code, str(entry.path), "is not a regular file of the submission; it is not read"))
    for wav in wavs:
        try:
            name = parse_source_filename(wav.name, soundscapes, known)
        except FilenameError as exc:
            sub.findings.append(error(exc.code, str(wav), str(exc)))
            continue
        if name.label == SILENCE:
            continue
        estimates.setdefault(name.soundscape, []).append(SourceFile(name, wav))
    return sub
