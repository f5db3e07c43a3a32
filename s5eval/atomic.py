"""Atomic file writes: a temporary file in the same folder, then a rename.

* Files are created with mode ``0666`` less the user's umask (like ``open``),
  not the ``0600`` of :func:`tempfile.mkstemp`: a published leaderboard must be
  readable by a web server under the usual umask 022.
* Temporary files are named ``.<name>.<pid>-<token>.tmp``. A kill leaves them
  behind; the first write into a folder in a process removes those older than
  :data:`STALE_AFTER_S` seconds (:func:`clean_stale_temp_files`).
* :func:`atomic_batch` groups writes: every file is written to its temporary
  first and only when all of them are complete are they renamed into place (in
  the order written), after the removals asked for with
  :meth:`AtomicBatch.remove`. A full disk or a read-only folder therefore fails
  before any old file is touched.
* :func:`writing_outputs` turns an ``OSError`` raised while writing outputs into
  :class:`OutputWriteError` (finding ``E_OUT_WRITE``, exit code 2).
"""
from __future__ import annotations

import errno
import json
import os
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from .findings import EXIT_USAGE, S5InputError, error

STALE_AFTER_S = 600.0  # a temporary file this old is a leftover of a killed run (our writes take seconds)
_TMP_NAME = re.compile(r"^\..+\.(?:\d+-)?[A-Za-z0-9_]+\.tmp$")
_cleaned: set[str] = set()
_cleaned_lock = threading.Lock()
_local = threading.local()


class OutputWriteError(S5InputError):
    """An output could not be written (full disk, read-only folder, no permission): exit code 2.

    Not a problem of the submission: ``score-all`` stops instead of recording
    the submission as failed, and keeps every earlier complete result.
    """

    def __init__(self, findings):
        super().__init__(findings, EXIT_USAGE)


_WHY = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted", errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EEXIST: "a file is in the way"}


def write_error(exc: OSError, where: str | Path) -> OutputWriteError:
    """The :class:`OutputWriteError` for ``exc`` raised while writing below ``where``."""
    why = _WHY.get(exc.errno or 0) or (exc.strerror or type(exc).__name__)
    name = exc.filename if isinstance(exc.filename, str) and exc.filename else str(where)
    return OutputWriteError([error("E_OUT_WRITE", str(where),
                                   f"cannot write {name}: {why}; nothing older was removed")])


@contextmanager
def writing_outputs(where: str | Path) -> Iterator[None]:
    """Turn an ``OSError`` raised in the block into :class:`OutputWriteError` about ``where``."""
    try:
        yield
    except OSError as exc:
        raise write_error(exc, where) from None


def create_temporary(path: Path) -> tuple[int, Path]:
    """Create a new temporary file next to ``path`` (mode 0666 less the umask); return (fd, its path)."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))  # pragma: no cover


def clean_stale_temp_files(folder: str | Path, max_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove our temporary files (``.<name>.<…>.tmp``) older than ``max_age_s`` in ``folder``; return them."""
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp") and _TMP_NAME.match(entry.name)):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > max_age_s:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def _clean_once(folder: Path) -> None:
    key = os.path.abspath(folder)
    with _cleaned_lock:
        if key in _cleaned:
            return
        _cleaned.add(key)
    clean_stale_temp_files(folder)


def _write_temp(path: Path, writer: Callable[[TextIO], object], durable: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_once(path.parent)
    fd, tmp = create_temporary(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


class AtomicBatch:
    """Writes staged by :func:`write_atomic` inside :func:`atomic_batch`, renamed into place together."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary, final)
        self._removals: list[Path] = []

    def stage(self, path: Path, tmp: Path) -> None:
        for i, (old_tmp, final) in enumerate(self._staged):
            if final == path:  # written twice: the later one wins
                old_tmp.unlink(missing_ok=True)
                del self._staged[i]
                break
        self._staged.append((tmp, path))

    def staged(self, path: str | Path) -> Path:
        """Where the new content of ``path`` lies until the batch is committed (``path`` when not staged)."""
        path = Path(path)
        return next((tmp for tmp, final in self._staged if final == path), path)

    def remove(self, path: str | Path) -> None:
        """Remove ``path`` when the batch commits, before the new files are renamed into place."""
        self._removals.append(Path(path))

    def commit(self) -> None:
        for path in self._removals:
            path.unlink(missing_ok=True)
        while self._staged:
            tmp, final = self._staged[0]
            os.replace(tmp, final)
            self._staged.pop(0)

    def discard(self) -> None:
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged.clear()


@contextmanager
def atomic_batch() -> Iterator[AtomicBatch]:
    """Stage every :func:`write_atomic` of this thread in the block; rename them all at its end.

    When the block (or a rename) fails, the temporary files are removed and no
    old file has been replaced or removed (unless a rename itself failed half-way).
    Nested batches join the outer one.
    """
    outer = getattr(_local, "batch", None)
    if outer is not None:
        yield outer
        return
    batch = AtomicBatch()
    _local.batch = batch
    try:
        yield batch
        _local.batch = None
        batch.commit()
    finally:
        _local.batch = None
        batch.discard()


def write_atomic(path: str | Path, writer: Callable[[TextIO], object], durable: bool = True) -> None:
    """Write a text file through ``writer``; readers see the old file or the complete new one.

    ``durable``: flush the file to disk before the rename, so that it survives a
    crash of the machine too (not needed for what can be recomputed). Inside
    :func:`atomic_batch` the rename waits for the end of the batch.
    """
    path = Path(path)
    tmp = _write_temp(path, writer, durable)
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch.stage(path, tmp)
        return
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str, durable: bool = True) -> None:
    write_atomic(path, lambda h: h.write(text), durable)


def write_json_atomic(path: str | Path, data: Any) -> None:
    write_atomic(path, lambda h: json.dump(data, h, indent=2, allow_nan=False))
