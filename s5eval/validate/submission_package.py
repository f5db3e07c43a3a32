"""The DCASE submission package: its layout, technical report, audio URL file and every system's meta YAML.

:func:`load_meta_by_label` checks one package, or a folder of them, and reads the meta YAMLs by system label
(``score-all --meta``).
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..findings import Finding, S5InputError, error, shown_path, warning
from ..io.package import ESTIMATE_DIR, META_SUFFIX, team_of
from ..io.submission_package import (AUDIO_URL_SUFFIX, MAX_SYSTEMS, REPORT_SUFFIX, MetaEntry, SubmissionPackage,
                                     SystemFolder, entries_of, find_submission_package, is_junk_name,
                                     is_system_label, team_prefix)
from .context import ValidateOptions
from .meta import check_meta_file

PDF_MAGIC = b"%PDF-"
MAX_URL_FILE_BYTES = 64 * 1024
_MAX_BAD_LINES = 10


def check_submission_package(package: SubmissionPackage, shown_root: str,
                             options: ValidateOptions | None = None) -> list[Finding]:
    """Every problem of a submission package; paths shown below ``shown_root`` (the name the user gave).

    Layout (1 to 4 system folders named ``<Author>_<Affil>_task4_<N>`` of the
    team the report and URL file name, nothing stray), the technical report
    (a PDF), the audio URL file (http(s) URLs) and each system's meta YAML
    (schema, one corresponding author, label equal to the folder name).
    ``options`` is accepted for symmetry with the other checks; strictness is
    applied by the runner.
    """
    def shown(path: Path) -> str:
        return shown_path(path, package.base, shown_root)

    findings: list[Finding] = []
    for path in package.junk:
        findings.append(warning("W_JUNK_FILE", shown(path), "is an operating-system file; it is ignored"))
    for path in package.stray:
        findings.append(warning("W_SUBPKG_STRAY", shown(path),
                                "is not part of a submission package (technical report, audio URL file, "
                                "system folders with their meta YAML); it is ignored"))
    findings += _check_named_files(package, shown)
    findings += _check_systems(package, shown)
    return findings


def _check_named_files(package: SubmissionPackage, shown) -> list[Finding]:
    """The technical report and the audio URL file: present, named after the team, readable."""
    findings: list[Finding] = []
    place = shown(package.root)
    teams: dict[str, str] = {}
    for paths, suffix, missing_code, what in (
            (package.reports, REPORT_SUFFIX, "E_SUBPKG_REPORT_MISSING", "technical report"),
            (package.audio_urls, AUDIO_URL_SUFFIX, "E_SUBPKG_AUDIO_URL_MISSING", "audio URL file")):
        expected = f"{package.team or '<Author>_<Affil>'}_task4{suffix}"
        if not paths:
            findings.append(error(missing_code, place, f"the package has no {what} ({expected})"))
            continue
        for extra in paths[1:]:
            findings.append(warning("W_SUBPKG_STRAY", shown(extra),
                                    f"a second {what}; one per team is read ({paths[0].name}), this one is ignored"))
        team = team_prefix(paths[0].name, suffix)
        if team is None:
            findings.append(error("E_SUBPKG_FILE_NAME", shown(paths[0]),
                                  f"the {what} must be named <Author>_<Affil>_task4{suffix}"))
        else:
            teams[what] = team
    if len(set(teams.values())) > 1:
        findings.append(error("E_SUBPKG_FILE_NAME", place,
                              "the technical report and the audio URL file name different teams: "
                              + " and ".join(f"'{t}'" for t in teams.values())))
    if package.report is not None:
        findings += _check_report(package.report, shown(package.report))
    if package.audio_url is not None:
        findings += _check_audio_urls(package.audio_url, shown(package.audio_url))
    return findings


def _check_report(path: Path, where: str) -> list[Finding]:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(PDF_MAGIC))
    except OSError as exc:
        return [error("E_SUBPKG_REPORT_NOT_PDF", where, f"cannot be read: {exc.strerror or exc}")]
    if head != PDF_MAGIC:
        return [error("E_SUBPKG_REPORT_NOT_PDF", where,
                      "is not a PDF (a PDF file starts with '%PDF-')" if head else "is empty")]
    return []


def _url_ok(line: str) -> bool:
    if any(c.isspace() for c in line):
        return False
    try:
        parts = urlsplit(line)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _check_audio_urls(path: Path, where: str) -> list[Finding]:
    """One http(s) URL a line; blank lines and lines starting with '#' are allowed."""
    try:
        if path.stat().st_size > MAX_URL_FILE_BYTES:
            return [error("E_SUBPKG_AUDIO_URL", where, f"is larger than {MAX_URL_FILE_BYTES} bytes; "
                                                        "it should hold only the URLs of the audio zips")]
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [error("E_SUBPKG_AUDIO_URL", where, f"cannot be read: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return [error("E_SUBPKG_AUDIO_URL", where, "is not UTF-8 text")]
    urls: list[tuple[int, str]] = []
    bad: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        (urls if _url_ok(line) else bad).append((number, line))
    findings = [error("E_SUBPKG_AUDIO_URL", where, f"line {n} is not an http(s) URL: '{_clip(line)}'")
                for n, line in bad[:_MAX_BAD_LINES]]
    if len(bad) > _MAX_BAD_LINES:
        findings.append(error("E_SUBPKG_AUDIO_URL", where,
                              f"… and {len(bad) - _MAX_BAD_LINES} more lines that are not http(s) URLs"))
    if not urls and not bad:
        findings.append(error("E_SUBPKG_AUDIO_URL", where, "holds no URL; give the http(s) URL of each audio zip, "
                                                            "one a line"))
    return findings


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_systems(package: SubmissionPackage, shown) -> list[Finding]:
    """1 to 4 system folders of the package's team, each with its checked ``<label>.meta.yaml``."""
    findings: list[Finding] = []
    place = shown(package.root)
    systems = package.systems
    if not systems:
        findings.append(error("E_SUBPKG_NO_SYSTEMS", place,
                              "the package has no system folder (<Author>_<Affil>_task4_<N>/ with its meta YAML)"))
    if len(systems) > MAX_SYSTEMS:
        findings.append(error("E_SUBPKG_TOO_MANY_SYSTEMS", place,
                              f"the package holds {len(systems)} systems; at most {MAX_SYSTEMS} may be submitted"))
    named = [s for s in systems if is_system_label(s.label)]
    team = package.team
    if team is None and len({team_of(s.label) for s in named}) > 1:
        findings.append(error("E_SUBPKG_SYSTEM_NAME", place, "the system folders name different teams: "
                              + ", ".join(sorted({team_of(s.label) for s in named}))))
    for system in systems:
        if not is_system_label(system.label):
            findings.append(error("E_SUBPKG_SYSTEM_NAME", shown(system.path),
                                  f"'{system.label}' is not a system label <Author>_<Affil>_task4_<N> (N in 1–4)"))
        elif team is not None and team_of(system.label) != team:
            findings.append(error("E_SUBPKG_SYSTEM_NAME", shown(system.path),
                                  f"the system belongs to '{team_of(system.label)}' but the technical report and "
                                  f"audio URL file are named for '{team}'"))
        findings += _check_system(system, shown)
    return findings


def _check_system(system: SystemFolder, shown) -> list[Finding]:
    findings: list[Finding] = []
    label = system.label
    expected = f"{label}{META_SUFFIX}"
    if system.meta is None:
        findings.append(error("E_MISSING_META", shown(system.path), f"the system folder has no {expected}"))
    else:
        if system.meta.name != expected:
            findings.append(error("E_META_FILENAME", shown(system.meta), f"must be named {expected}"))
        _, found = check_meta_file(system.meta, shown(system.meta), label)
        findings += found
    try:
        entries = sorted(system.path.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        return findings + [error("E_UNREADABLE", shown(system.path),
                                 f"cannot list the folder: {exc.strerror or exc}")]
    for entry in entries:
        if entry == system.meta:
            continue
        if is_junk_name(entry.name):
            findings.append(warning("W_JUNK_FILE", shown(entry), "is an operating-system file; it is ignored"))
        else:
            findings.append(warning("W_SUBPKG_STRAY", shown(entry),
                                    f"a system folder holds only its meta YAML ({expected}); this is ignored"))
    return findings


def _read_package(package: SubmissionPackage, shown_root: str, found: dict[str, MetaEntry],
                  problems: list[Finding]) -> None:
    from ..io.package import read_meta

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
    from ..io.archive import submission_folder

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
    for entry in entries_of(root):
        if is_junk_name(entry.name) or not (entry.is_dir() or entry.suffix.lower() == ".zip"):
            continue
        if not _read_one(entry, found, problems):
            problems.append(warning("W_SUBPKG_NOT_A_PACKAGE", str(entry),
                                    "is not a submission package (no technical report, audio URL file or system "
                                    "folder with a meta YAML); it is skipped"))
    return found
