"""The submission model: a DCASE package folder or a bare folder of WAVs, and its estimate files.

:func:`open_submission` tells the form (package or bare folder). The estimate
folder is then listed once, by the layout checks of ``validate``
(:func:`s5eval.validate.layout.list_estimates`), which fill
:attr:`Submission.files`; the name checks parse each name against the reference
soundscapes and the header checks store each file's header facts in it.
``validate`` reports on that model and ``score`` filters it
(:meth:`Submission.by_soundscape`): a submission is discovered once per run.

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
from .audio import AudioInfo
from .filenames import SourceName
from .package import DEV_RESULTS, ESTIMATE_DIR, EVAL_RESULTS, META_SUFFIX, find_meta, package_label
from .refset import FileInFolder, folder_prefix, link_target_leaves, real_root

NAME_MAX_BYTES = 255  # the longest file name (one path component) common file systems take


@dataclass(slots=True)
class EstimateFile(FileInFolder):
    """One WAV of the estimate folder: where it lies, how findings show it, its parsed name and header.

    ``folder`` is the estimate folder's :func:`~s5eval.io.refset.folder_prefix` (shared by its files) and
    ``filename`` the file's name; ``shown_folder`` is how findings show the folder, with a trailing ``/`` (also
    shared): findings show the file as :attr:`shown`. ``name`` is None until the name checks parsed it (and stays None when it
    does not parse); ``info`` (channels, rate in Hz, length in samples) is None until the header checks read
    it (and stays None when it cannot be read); ``size`` (bytes) is the file's size when the header checks
    opened it.
    """

    folder: str
    filename: str
    shown_folder: str
    name: SourceName | None = None
    info: AudioInfo | None = None
    size: int | None = None

    @classmethod
    def at(cls, path: str | os.PathLike[str], shown: str) -> "EstimateFile":
        """The estimate file at ``path``, shown in findings as ``shown`` (which ends in ``/`` and its name)."""
        folder, filename = os.path.split(os.fspath(path))
        if not shown.endswith("/" + filename):
            raise ValueError(f"{shown!r} does not show a file named {filename!r}")
        return cls(folder_prefix(folder), filename, shown[:-len(filename)])

    @property
    def shown(self) -> str:
        """The file as findings show it: below the submission the user named."""
        return self.shown_folder + self.filename

    @property
    def soundscape(self) -> str | None:
        return self.name.soundscape if self.name else None

    @property
    def label(self) -> str | None:
        return self.name.label if self.name else None


@dataclass
class Submission:
    """A submission: its form, where its estimate WAVs lie, and (once listed) the files and what they are.

    ``files``: every WAV of the estimate folder in name order (filled by the
    layout checks); ``estimates``: the files a scoring run scores, by soundscape
    (:meth:`by_soundscape`); ``findings``: what the listing and the name checks
    found.
    """

    root: Path
    kind: str  # "package" or "bare"
    estimate_dir: Path
    label: str  # the package folder's name without a trailing "_out" (the 2025 form)
    files: list[EstimateFile] = field(default_factory=list)
    estimates: dict[str, list[EstimateFile]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    source: str | None = None  # what the user named, e.g. the .zip a folder was extracted from

    def by_soundscape(self, leave_out: Collection[str] = ()) -> dict[str, list[EstimateFile]]:
        """The files whose names parsed (each with its ``label``), ``silence`` left out (padding, as the metric
        does), by soundscape in name order; ``leave_out``: paths (as strings) of files not to score."""
        grouped: dict[str, list[EstimateFile]] = {}
        for file in self.files:
            if file.name is None or file.name.label == SILENCE or (leave_out and file.path_text in leave_out):
                continue
            grouped.setdefault(file.name.soundscape, []).append(file)
        return grouped

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
