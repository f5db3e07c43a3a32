"""Package layout: the package name, the files it must hold (by package form), and nothing stray.

Also lists the estimate WAVs (``ctx.estimates``) that the later checks read.
Only regular files inside the submission become estimates: a symbolic link
that leaves the submission (``eval_out/`` itself, a top-level file of a
package or an estimate) is an error, one that stays inside a warning; a FIFO,
socket or device is an error and is never opened; a link that leads nowhere
(dangling, a loop) is unreadable. ``score`` runs these checks too and refuses
on their errors.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..findings import Finding, error, warning
from ..io.package import DEV_RESULTS, ESTIMATE_DIR, EVAL_RESULTS, META_SUFFIX, OUT_SUFFIX, is_os_leftover, is_package_name
from ..io.refset import BROKEN, FILE, FOLDER, OUTSIDE, SPECIAL, FolderEntry, folder_prefix, list_folder, real_root
from .context import Context, EstimateFile
_ALLOWED_EXTRA = (".pdf", ".md", ".txt")  # technical report, README


def is_junk(name: str) -> bool:
    """Files operating systems and archivers leave behind."""
    return is_os_leftover(name)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def entry_finding(ctx: Context, entry: FolderEntry, shown: str | None = None) -> Finding | None:
    """The finding a folder entry earns by what it is (a link, a special file), None for a plain file or folder.

    ``shown``: the entry as findings show it, when the caller has it."""
    if not entry.link and entry.kind in (FILE, FOLDER):
        return None
    shown = shown if shown is not None else ctx.shown(entry.path)
    if entry.kind == OUTSIDE:
        return error("E_LINK_OUTSIDE", shown,
                     f"is a symbolic link to '{entry.detail}', outside the submission; it is not read")
    if entry.kind == SPECIAL:
        return error("E_NOT_REGULAR_FILE", shown, f"is {entry.detail}, not a regular file; it is not read")
    if entry.kind == BROKEN:
        what = "a symbolic link that leads nowhere" if entry.link else "an entry that cannot be examined"
        return error("E_UNREADABLE", shown, f"is {what} ({entry.detail})")
    if entry.link:
        return warning("W_LINK", shown, "is a symbolic link (to a place inside the submission); it is followed")
    return None


def _top_level_entries(ctx: Context, within: str) -> tuple[list[Finding], bool]:
    """Links and special files at the top of a package (``eval_out/`` included): findings, and whether
    ``eval_out/`` may be read. (A FIFO named ``eval_results.json`` is never opened: it is said here.)"""
    try:
        entries = list_folder(ctx.root, within)
    except OSError as exc:
        return [error("E_UNREADABLE", ctx.shown(ctx.root), f"cannot list the folder: {_reason(exc)}")], True
    findings: list[Finding] = []
    readable = True
    for entry in entries:
        if not entry.link and entry.kind in (FILE, FOLDER):
            continue
        finding = entry_finding(ctx, entry)
        if finding is not None:
            findings.append(finding)
        if entry.name == ESTIMATE_DIR and entry.kind in (OUTSIDE, BROKEN, SPECIAL):
            readable = False
    return findings, readable


def list_estimates(ctx: Context) -> list[Finding]:
    """Fill ``ctx.estimates`` with the WAVs of the estimate folder; findings for anything else in it."""
    findings: list[Finding] = []
    package = ctx.kind == "package"
    within = real_root(ctx.root)
    if package:
        findings, readable = _top_level_entries(ctx, within)
        if not readable:  # eval_out/ leads out of the submission or nowhere: the finding is said
            return findings
    try:
        entries = list_folder(ctx.estimate_dir, within)
    except OSError as exc:
        return findings + [error("E_UNREADABLE", ctx.shown(ctx.estimate_dir), f"cannot list the folder: {_reason(exc)}")]
    folder = folder_prefix(ctx.estimate_dir)
    shown_folder = ctx.shown(ctx.estimate_dir) + "/"  # how findings show the folder's files: this and the name
    for entry in entries:
        shown = shown_folder + entry.name
        finding = entry_finding(ctx, entry, shown)  # a link or a special file, before anything else
        if finding is not None and finding.is_error:
            findings.append(finding)
            continue
        if is_junk(entry.name):
            findings.append(warning("W_JUNK_FILE", shown, "is an operating-system file; it is ignored"))
            continue
        if finding is not None:
            findings.append(finding)
        if entry.kind == FOLDER:
            if package:
                findings.append(error("E_NESTED_FILES", shown,
                                      f"is a folder inside {ESTIMATE_DIR}/; estimates must lie directly in {ESTIMATE_DIR}/"))
            elif entry.name.lower().endswith(".wav"):  # named like an estimate: never silently passed over
                findings.append(error("E_NOT_REGULAR_FILE", shown,
                                      "is named like an estimate but is a folder, not a WAV file"))
            continue
        if entry.name.lower().endswith(".wav"):
            ctx.estimates.append(EstimateFile(folder, entry.name, shown_folder))
        elif package:
            findings.append(error("E_NOT_WAV", shown, f"is not a .wav file; {ESTIMATE_DIR}/ may hold only estimate WAVs"))
        elif not _is_package_file(entry.name, ctx.label):
            findings.append(warning("W_STRAY_FILE", shown, "is not a .wav file; it is ignored"))
    if not ctx.estimates:
        where = ctx.shown(ctx.estimate_dir)
        findings.append(error("E_NO_ESTIMATES", where, "holds no estimate WAV file"))
    return findings


def _is_package_file(name: str, label: str) -> bool:
    return name in (EVAL_RESULTS, DEV_RESULTS) or name.endswith(META_SUFFIX)


def package_form(ctx: Context) -> str:
    """``"2025"`` when every parsed estimate uses the 2025 form ``<mix>_<Label>.wav``, else ``"2026"``.

    With no parsed estimate, a folder named ``..._out`` without ``eval_results.json`` is a 2025 package.
    """
    forms = {name.form for _, name in ctx.estimate_names}
    if forms:
        return "2025" if forms == {"2025"} else "2026"
    if ctx.root.name.endswith(OUT_SUFFIX) and not (ctx.root / EVAL_RESULTS).is_file():
        return "2025"
    return "2026"


def check_package(ctx: Context) -> list[Finding]:
    """Name and top-level files of a DCASE audio package (or a warning for a bare folder).

    A 2026 package needs ``eval_results.json`` (and should hold
    ``dev_set_test_results.json``); a 2025 package needs no JSON. The meta YAML
    is optional: officially it travels in the separate submission package.
    """
    root_shown = ctx.shown(ctx.root)
    if ctx.kind != "package":
        return [warning("W_NOT_A_PACKAGE", root_shown,
                        f"is a bare folder of WAVs; a DCASE upload is a folder <Author>_<Affil>_task4_<N> holding "
                        f"{ESTIMATE_DIR}/, {EVAL_RESULTS} and {DEV_RESULTS}")]
    findings: list[Finding] = []
    folder_name = ctx.root.name
    if not is_package_name(folder_name):
        findings.append(error("E_PACKAGE_NAME", root_shown,
                              f"the package name '{folder_name}' is not <Author>_<Affil>_task4_<N> "
                              "(letters, digits and '-' in each part, N from 1 to 4, optionally followed by _out), "
                              "e.g. Smith_ACME_task4_1"))
    form = package_form(ctx)
    if form == "2026" and not (ctx.root / EVAL_RESULTS).is_file():
        findings.append(error("E_MISSING_EVAL_RESULTS", ctx.shown(ctx.root / EVAL_RESULTS),
                              f"the package has no {EVAL_RESULTS}, which the official generate_waveform.py writes "
                              "beside eval_out/ (estimates named <mix>_<i>_<Label>.wav make it a 2026 package)"))
    if form == "2026" and not (ctx.root / DEV_RESULTS).is_file():
        findings.append(warning("W_MISSING_DEV_RESULTS", ctx.shown(ctx.root / DEV_RESULTS),
                                f"the package has no {DEV_RESULTS}; its development-set figures cannot be shown"))
    meta_names = {ctx.label + META_SUFFIX, folder_name + META_SUFFIX}
    try:
        entries = sorted(os.scandir(ctx.root), key=lambda e: e.name)
    except (OSError, ValueError):  # the estimate listing (run first, by validate and score) says so
        return findings
    for entry in entries:
        name = entry.name
        shown = ctx.shown(Path(entry.path))
        if name in (ESTIMATE_DIR, EVAL_RESULTS, DEV_RESULTS) or name in meta_names:
            continue
        if is_junk(name):
            findings.append(warning("W_JUNK_FILE", shown, "is an operating-system file; it is ignored"))
        elif name.endswith(META_SUFFIX):
            findings.append(error("E_META_FILENAME", shown,
                                  f"the meta file must be named after the package: {ctx.label}{META_SUFFIX}"))
        elif not name.lower().endswith(_ALLOWED_EXTRA):
            findings.append(warning("W_STRAY_FILE", shown, "is not part of the package layout; it is ignored"))
    return findings
