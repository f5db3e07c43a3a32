"""The DCASE *submission package*: meta YAMLs, technical report and audio URL file (not the audio).

Besides the audio zips a team uploads one submission package::

    task4/                                        (optional top folder)
      <Author>_<Affil>_task4.technical_report.pdf
      <Author>_<Affil>_task4.audio_url.txt        (http(s) URLs of the audio zips, one a line)
      <Author>_<Affil>_task4_1/<Author>_<Affil>_task4_1.meta.yaml
      ...                                         (1 to 4 systems)

:func:`find_submission_package` tells such a folder from an audio package and
lists what it holds; :func:`load_meta_by_label` reads the meta YAMLs of one
package or of a folder of them (folders and ``.zip`` files), for ``score-all
--meta``. The checks are in :mod:`s5eval.validate.submission_package`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..findings import Finding, S5InputError, error, shown_path, warning
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


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []


def _has_meta(folder: Path) -> bool:
    return any(p.is_file() and p.name.endswith(META_SUFFIX) for p in _entries(folder))


def _looks_like_package(folder: Path) -> bool:
    if (folder / ESTIMATE_DIR).is_dir():
        return False
    for entry in _entries(folder):
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
        inner = [p for p in _entries(base) if not is_junk_name(p.name)]
        if len(inner) != 1 or inner[0].is_symlink() or not inner[0].is_dir() or _is_system_folder(inner[0]) \
                or not _looks_like_package(inner[0]):
            return None
        root = inner[0]
    package = SubmissionPackage(root=root, base=base, team=None)
    for entry in _entries(root):
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


def _read_package(package: SubmissionPackage, shown_root: str, found: dict[str, MetaEntry],
                  problems: list[Finding]) -> None:
    from ..validate.submission_package import check_submission_package  # jsonschema only when needed
    from .package import read_meta

    problems.extend(check_submission_package(package, shown_root))
    report = package.report.name if package.report is not None else None
    for system in package.systems:
        if system.meta is None or not is_system_label(system.label):
            continue  # reported by the check above
        where = shown_path(system.meta, package.base, shown_root)
        data, _ = read_meta(system.meta, where)
        if not isinstance(data, dict):
            continue  # unreadable: reported by the check above
        if system.label in found:
            problems.append(warning("W_SUBPKG_DUPLICATE_LABEL", where,
                                    f"'{system.label}' is also in {found[system.label].source}; that one is kept"))
            continue
        found[system.label] = MetaEntry(data, where, report)


def _is_audio_zip(path: Path) -> bool:
    """A zip that holds ``eval_out/`` or WAVs: an audio package, not worth extracting here."""
    import zipfile

    if not (path.is_file() and path.suffix.lower() == ".zip"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False  # the safe extraction reports it
    return any(name.lower().endswith(".wav") or f"/{ESTIMATE_DIR}/" in f"/{name}" for name in names)


def _read_one(path: Path, found: dict[str, MetaEntry], problems: list[Finding]) -> bool:
    """Read the submission package at ``path`` (folder or zip) into ``found``; False when it is none."""
    from .archive import submission_folder

    if _is_audio_zip(path):
        return False
    try:
        with submission_folder(path) as folder:
            package = find_submission_package(folder)
            if package is None:
                return False
            _read_package(package, str(path), found, problems)
    except S5InputError as exc:  # a zip refused by the safe extraction
        problems.extend(exc.findings)
    return True


def load_meta_by_label(path: str | Path, problems: list[Finding] | None = None) -> dict[str, MetaEntry]:
    """The meta YAMLs of one submission package, or of a folder of them, by system label.

    ``path``: a submission package (folder or ``.zip``) or a folder holding
    several (folders and/or ``.zip`` files, e.g. every team's). Values are
    :class:`MetaEntry` ``(meta, source, report)``: the parsed YAML, how the file
    is named (``<path>/<label>/<label>.meta.yaml``, a zip's name included) and
    the package's technical report filename (None when it has none). Every
    problem (those ``s5eval validate`` reports for the package, entries that are
    no submission package, labels found twice) is appended to ``problems``;
    nothing raises for bad input.
    """
    problems = problems if problems is not None else []
    found: dict[str, MetaEntry] = {}
    root = Path(path)
    if not root.exists():
        problems.append(error("E_SUB_MISSING", str(root), "the submission package does not exist"))
        return found
    if _read_one(root, found, problems):
        return found
    if not root.is_dir():
        problems.append(warning("W_SUBPKG_NOT_A_PACKAGE", str(root), "is not a submission package; it is skipped"))
        return found
    for entry in _entries(root):
        if is_junk_name(entry.name) or not (entry.is_dir() or entry.suffix.lower() == ".zip"):
            continue
        if not _read_one(entry, found, problems):
            problems.append(warning("W_SUBPKG_NOT_A_PACKAGE", str(entry),
                                    "is not a submission package (no technical report, audio URL file or system "
                                    "folder with a meta YAML); it is skipped"))
    return found
