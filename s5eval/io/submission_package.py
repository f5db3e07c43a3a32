"""The DCASE *submission package*: meta YAMLs, technical report and audio URL file (not the audio).

Besides the audio zips a team uploads one submission package::

    task4/                                        (optional top folder)
      <Author>_<Affil>_task4.technical_report.pdf
      <Author>_<Affil>_task4.audio_url.txt        (http(s) URLs of the audio zips, one a line)
      <Author>_<Affil>_task4_1/<Author>_<Affil>_task4_1.meta.yaml
      ...                                         (1 to 4 systems)

:func:`find_submission_package` tells such a folder from an audio package and
lists what it holds. The checks, and ``load_meta_by_label`` (the meta YAMLs of
one package or of a folder of them, for ``score-all --meta``), are in
:mod:`s5eval.validate.submission_package`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .package import ESTIMATE_DIR, META_SUFFIX, PACKAGE_NAME, find_meta, is_os_leftover

REPORT_SUFFIX = ".technical_report.pdf"
AUDIO_URL_SUFFIX = ".audio_url.txt"
MAX_SYSTEMS = 4
TEAM_PREFIX = re.compile(r"^(?P<team>[A-Za-z][A-Za-z0-9-]*_[A-Za-z0-9][A-Za-z0-9-]*)_task4$")


def is_junk_name(name: str) -> bool:
    """Hidden files and what operating systems and archivers leave behind (``.DS_Store``, ``._x``, ``__MACOSX``)."""
    return name.startswith(".") or is_os_leftover(name)


def is_system_label(name: str) -> bool:
    """True for ``<Author>_<Affil>_task4_<N>`` (N in 1–4) without the ``_out`` of audio package names."""
    match = PACKAGE_NAME.match(name)
    return match is not None and not match.group("out")


def team_prefix(filename: str, suffix: str) -> str | None:
    """``Author_Affil`` of ``<Author>_<Affil>_task4<suffix>``; None when the name does not have that form."""
    if not filename.endswith(suffix):
        return None
    match = TEAM_PREFIX.match(filename[: -len(suffix)])
    return match.group("team") if match else None


@dataclass(frozen=True)
class SystemFolder:
    """One system of the package: its folder and meta YAML (``<label>.meta.yaml``, or its only ``*.meta.yaml``)."""

    path: Path
    meta: Path | None

    @property
    def label(self) -> str:
        return self.path.name


@dataclass
class SubmissionPackage:
    """What a submission package folder holds.

    ``base``: the folder it was found from (``root`` itself or its parent when
    the package lies in one top folder such as ``task4/``); ``team``: the
    ``Author_Affil`` prefix of the report (else of the URL file), None when
    neither is named ``<Author>_<Affil>_task4.…``; ``reports``/``audio_urls``:
    every ``*.technical_report.pdf`` / ``*.audio_url.txt`` at the top;
    ``stray``: files and folders the layout does not define; ``junk``:
    operating-system files.
    """

    root: Path
    base: Path
    team: str | None
    reports: list[Path] = field(default_factory=list)
    audio_urls: list[Path] = field(default_factory=list)
    systems: list[SystemFolder] = field(default_factory=list)
    stray: list[Path] = field(default_factory=list)
    junk: list[Path] = field(default_factory=list)

    @property
    def report(self) -> Path | None:
        return self.reports[0] if self.reports else None

    @property
    def audio_url(self) -> Path | None:
        return self.audio_urls[0] if self.audio_urls else None

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.systems]


def entries_of(folder: Path) -> list[Path]:
    """The entries of ``folder`` sorted by name; none when it cannot be listed."""
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []


def _has_meta(folder: Path) -> bool:
    return any(p.is_file() and p.name.endswith(META_SUFFIX) for p in entries_of(folder))


def _looks_like_package(folder: Path) -> bool:
    if (folder / ESTIMATE_DIR).is_dir():
        return False
    for entry in entries_of(folder):
        if entry.is_file() and entry.name.endswith((REPORT_SUFFIX, AUDIO_URL_SUFFIX)):
            return True
        if entry.is_dir() and not is_junk_name(entry.name) and _has_meta(entry) \
                and not (entry / ESTIMATE_DIR).is_dir():  # an audio package may hold a meta YAML too
            return True
    return False


def _is_system_folder(path: Path) -> bool:
    return path.is_dir() and (is_system_label(path.name) or _has_meta(path))


def find_submission_package(folder: str | Path) -> SubmissionPackage | None:
    """The submission package in ``folder`` (or in its one top folder, e.g. ``task4/``); None when it holds none.

    A submission package holds no ``eval_out/`` and holds a
    ``*.technical_report.pdf``, a ``*.audio_url.txt`` or a sub-folder with a
    ``*.meta.yaml``.
    """
    try:
        return _find_package(Path(folder))
    except OSError:  # e.g. a name too long for the file system: not a submission package
        return None


def _find_package(base: Path) -> SubmissionPackage | None:
    if not base.is_dir():
        return None
    root = base
    if not _looks_like_package(base):
        inner = [p for p in entries_of(base) if not is_junk_name(p.name)]
        if len(inner) != 1 or inner[0].is_symlink() or not inner[0].is_dir() or _is_system_folder(inner[0]) \
                or not _looks_like_package(inner[0]):
            return None
        root = inner[0]
    package = SubmissionPackage(root=root, base=base, team=None)
    for entry in entries_of(root):
        if is_junk_name(entry.name):
            package.junk.append(entry)
        elif entry.is_file() and entry.name.endswith(REPORT_SUFFIX):
            package.reports.append(entry)
        elif entry.is_file() and entry.name.endswith(AUDIO_URL_SUFFIX):
            package.audio_urls.append(entry)
        elif _is_system_folder(entry):
            package.systems.append(SystemFolder(entry, find_meta(entry, entry.name)))
        else:
            package.stray.append(entry)
    for path, suffix in ((package.report, REPORT_SUFFIX), (package.audio_url, AUDIO_URL_SUFFIX)):
        if package.team is None and path is not None:
            package.team = team_prefix(path.name, suffix)
    return package


# --- reading the meta YAMLs (score-all --meta) ------------------------------------------------------------


class MetaEntry(NamedTuple):
    """The meta YAML of one system: parsed data, where it came from, and the package's report filename."""

    meta: dict
    source: str
    report: str | None = None


