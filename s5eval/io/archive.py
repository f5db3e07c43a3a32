"""Safe reading of ``.zip`` submissions.

A zip is checked member by member *before* anything is written, and every
problem becomes a finding with its own code:

* ``E_ZIP_ABSOLUTE``: a member with an absolute path (``/x``, ``C:\\x``, ``\\\\host\\x``);
* ``E_ZIP_TRAVERSAL``: a member whose path climbs out with ``..``;
* ``E_ZIP_SYMLINK``: a member stored as a symbolic link (or another special file);
* ``E_ZIP_RATIO``: a member that expands more than ``max_ratio`` times (zip bomb);
* ``E_ZIP_TOO_LARGE``: the members together expand to more than ``max_total_bytes``;
* ``E_ZIP_TOO_MANY``: more than ``max_members`` members;
* ``E_ZIP_OVERLAP``: members sharing compressed bytes (the overlapping-file bomb);
* ``E_ZIP_DUPLICATE_MEMBER``: the same path twice (also paths equal up to case);
* ``E_ZIP_ENCRYPTED``: a password-protected member;
* ``E_ZIP_CORRUPT``: not a readable zip, a bad CRC, or a member larger than its header says.

Extraction streams each member into a private temporary folder (mode 0700),
counting the bytes actually produced, so a header that lies about sizes cannot
get past the limits. Nothing is ever written outside that folder.

The folder is named ``s5eval-zip-<pid>-<host>-<random>`` after the process
and the machine (a hash of its host name) that made it. A killed process
leaves it behind; the next extraction removes those of this machine whose
process no longer runs, and those of other machines (a shared temporary
folder) after a day (:func:`clean_stale_zip_folders`). A temporary
folder that cannot be written (full disk, read-only, no permission) is
``E_TEMP_WRITE`` (exit 2), not a fault of the zip.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterator

from ..findings import Finding, S5InputError, error
from .package import ESTIMATE_DIR

if TYPE_CHECKING:
    import zipfile

_CHUNK = 1 << 20  # bytes read per step while extracting
_MACOS_JUNK = "__MACOSX"
TEMP_PREFIX = "s5eval-zip-"
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-([0-9a-f]{8})-[A-Za-z0-9_]+$")
OTHER_HOST_STALE_S = 86400.0  # a folder another machine made is left alone this long


def host_tag() -> str:
    """8 hex digits naming this machine (its host name) in temporary folder names."""
    import socket

    return hashlib.blake2b(socket.gethostname().encode("utf-8", "replace"), digest_size=4).hexdigest()


def temp_folder_prefix() -> str:
    """The name prefix of this process's extraction folders: ``s5eval-zip-<pid>-<host>-``."""
    return f"{TEMP_PREFIX}{os.getpid()}-{host_tag()}-"
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what a zip may expand to.

    ``max_total_bytes``: total uncompressed size in bytes (default 16 GiB, about
    four times a full DCASE evaluation package of 10 s, 32 kHz PCM16 estimates);
    ``max_members``: number of members; ``max_ratio``: uncompressed/compressed
    size of one member (deflate cannot exceed about 1032, so the default 2000
    only stops other methods and forged headers; the total bound stops the rest).
    """

    max_total_bytes: int = 16 * 1024**3
    max_members: int = 50_000
    max_ratio: float = 2000.0


DEFAULT_LIMITS = ArchiveLimits()


def is_zip_path(path: str | Path) -> bool:
    """True for an existing file whose name ends in ``.zip`` (any case)."""
    p = Path(path)
    return p.suffix.lower() == ".zip" and p.is_file()


def _member_path_problem(name: str) -> tuple[str, str] | None:
    """Return ``(code, reason)`` when the member path could escape the extraction folder."""
    if "\x00" in name:
        return "E_ZIP_TRAVERSAL", "its path contains a NUL character"
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) >= 2 and unified[1] == ":" and unified[0].isalpha()):
        return "E_ZIP_ABSOLUTE", "its path is absolute; members must be relative to the zip's top folder"
    if ".." in PurePosixPath(unified).parts:
        return "E_ZIP_TRAVERSAL", "its path contains '..' and would be written outside the extraction folder"
    return None


def _is_link_or_special(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16  # Unix mode bits; zero in zips made on Windows
    if not mode:
        return False
    kind = stat.S_IFMT(mode)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)


def scan_zip(path: str | Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> list[Finding]:
    """Check every member of the zip at ``path`` without extracting; return all findings."""
    import zipfile

    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return [error("E_ZIP_CORRUPT", where, f"cannot read the zip: {exc}")]
    findings: list[Finding] = []
    if len(infos) > limits.max_members:
        findings.append(error("E_ZIP_TOO_MANY", where,
                              f"the zip holds {len(infos)} members; at most {limits.max_members} are accepted"))
    total = 0
    seen: dict[str, str] = {}
    spans: list[tuple[int, int, str]] = []
    for info in infos:
        name = info.filename
        member = f"{where}::{name}"
        problem = _member_path_problem(name)
        if problem:
            findings.append(error(problem[0], member, problem[1]))
        if _is_link_or_special(info):
            findings.append(error("E_ZIP_SYMLINK", member,
                                  "is a symbolic link or special file; only regular files and folders are accepted"))
        if info.flag_bits & 0x1:
            findings.append(error("E_ZIP_ENCRYPTED", member, "is password-protected; upload an unencrypted zip"))
        key = name.replace("\\", "/").rstrip("/").lower()
        if key in seen and not info.is_dir():
            findings.append(error("E_ZIP_DUPLICATE_MEMBER", member,
                                  f"appears twice in the zip (also as '{seen[key]}'; names are compared ignoring case)"))
        seen.setdefault(key, name)
        if info.is_dir():
            continue
        total += info.file_size
        if info.file_size > 0:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                findings.append(error("E_ZIP_RATIO", member,
                                      f"expands {ratio:.0f} times ({info.compress_size} -> {info.file_size} bytes); "
                                      f"the limit is {limits.max_ratio:g} (zip bomb?)"))
        spans.append((info.header_offset, info.header_offset + 30 + len(info.orig_filename.encode("utf-8", "replace"))
                       + info.compress_size, name))
    if total > limits.max_total_bytes:
        findings.append(error("E_ZIP_TOO_LARGE", where,
                              f"the members expand to {total} bytes; at most {limits.max_total_bytes} are accepted"))
    spans.sort()
    for (start_a, end_a, name_a), (start_b, _, name_b) in zip(spans, spans[1:]):
        if start_b < end_a and start_b >= start_a:
            findings.append(error("E_ZIP_OVERLAP", f"{where}::{name_b}",
                                  f"shares compressed data with '{name_a}' (overlapping members: a zip bomb)"))
    return findings


def extract_zip(path: str | Path, dest: str | Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Path:
    """Extract the zip at ``path`` into the existing folder ``dest`` after :func:`scan_zip` passes.

    Raises :class:`S5InputError` with all findings when the zip is refused; a
    refused zip writes nothing. ``__MACOSX/`` resource-fork members are skipped.
    """
    import zipfile

    findings = scan_zip(path, limits)
    if findings:
        raise S5InputError(findings)
    dest = Path(dest).resolve()
    written = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if not parts or parts[0] == _MACOS_JUNK:
                    continue
                target = dest.joinpath(*parts).resolve()
                if dest not in target.parents and target != dest:  # defence in depth after scan_zip
                    raise S5InputError([error("E_ZIP_TRAVERSAL", f"{path}::{info.filename}",
                                              "would be written outside the extraction folder")])
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                produced = 0
                with archive.open(info) as source, open(target, "xb") as sink:
                    while chunk := source.read(_CHUNK):
                        produced += len(chunk)
                        written += len(chunk)
                        if produced > info.file_size:
                            raise S5InputError([error("E_ZIP_CORRUPT", f"{path}::{info.filename}",
                                                      "expands beyond the size its header declares")])
                        if written > limits.max_total_bytes:
                            raise S5InputError([error("E_ZIP_TOO_LARGE", str(path),
                                                      f"the members expand to more than {limits.max_total_bytes} bytes")])
                        sink.write(chunk)
    except S5InputError:
        raise
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:  # the machine's fault, not the zip's
            raise temp_write_error(exc, dest) from None
        if isinstance(exc, FileExistsError):
            raise S5InputError([error("E_ZIP_DUPLICATE_MEMBER", str(path),
                                      "two members extract to the same file")]) from None
        raise S5InputError([error("E_ZIP_CORRUPT", str(path), f"cannot extract the zip: {exc}")]) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, RuntimeError) as exc:
        raise S5InputError([error("E_ZIP_CORRUPT", str(path), f"cannot extract the zip: {exc}")]) from None
    return dest


def submission_root_in(folder: Path) -> Path:
    """Where the submission lies inside an extracted zip.

    A zip holding one top folder (the usual ``<package>/...``) gives that folder;
    otherwise the extraction folder itself, which :func:`extracted_zip` names
    after the zip so the package label is the zip's name.
    """
    entries = [p for p in folder.iterdir() if p.name != _MACOS_JUNK and not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name != ESTIMATE_DIR:
        return entries[0]
    return folder


def temp_write_error(exc: OSError, where: str | Path) -> S5InputError:
    """``E_TEMP_WRITE`` (exit 2) for a temporary folder that cannot be written: no fault of the zip.

    An :class:`s5eval.atomic.OutputWriteError`, so ``score-all`` stops instead
    of recording the submission as failed.
    """
    from ..atomic import OutputWriteError

    why = os.strerror(exc.errno) if exc.errno else str(exc)
    return OutputWriteError([error("E_TEMP_WRITE", str(where),
                               f"cannot extract the zip into the temporary folder: {why}; free space there or "
                               "point TMPDIR at a folder with room")])


def _process_gone(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. another user's process: it runs
        return False
    return False


def clean_stale_zip_folders(parent: str | Path | None = None) -> list[Path]:
    """Remove extraction folders (``s5eval-zip-<pid>-<host>-…``) of processes that no longer run; return them.

    Only this user's folders are removed: of this machine when their process is
    gone, of another machine when older than :data:`OTHER_HOST_STALE_S`. A folder
    of a running extraction, another user's, or one named otherwise stays.
    """
    import shutil
    import tempfile

    parent = Path(parent if parent is not None else tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    here, now = host_tag(), time.time()
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if not match or (int(match.group(1)) == os.getpid() and match.group(2) == here):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or (uid is not None and st.st_uid != uid):
                continue
            if _process_gone(int(match.group(1))) if match.group(2) == here else now - st.st_mtime > OTHER_HOST_STALE_S:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@contextmanager
def extracted_zip(path: str | Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Iterator[Path]:
    """Extract a zip submission into a private temporary folder; yield the submission root; clean up.

    Extraction folders left by killed processes are removed first.
    """
    import shutil
    import tempfile

    path = Path(path)
    clean_stale_zip_folders()
    try:
        tmp = Path(tempfile.mkdtemp(prefix=temp_folder_prefix()))
    except OSError as exc:
        raise temp_write_error(exc, tempfile.gettempdir()) from None
    try:
        os.chmod(tmp, 0o700)
        folder = tmp / (path.stem or "submission")
        folder.mkdir()
        extract_zip(path, folder, limits)
        yield submission_root_in(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def submission_folder(path: str | Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Iterator[Path]:
    """Yield a folder for ``path``: the folder itself, or a zip extracted safely (removed afterwards)."""
    if is_zip_path(path):
        with extracted_zip(path, limits) as root:
            yield root
    else:
        yield Path(path)
