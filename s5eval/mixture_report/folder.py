"""The report folder, written atomically: everything goes into a hidden sibling folder first, which then
replaces the report folder in two renames, so a reader sees the old report or the complete new one.

The folder is the report's alone. An existing folder is replaced only when it
is empty or an earlier report (it holds :data:`MARKER`); anything else is
refused (``E_REPORT_DIR``), so a mistyped ``--report-dir`` never deletes data.
A staging folder that a killed run left behind is removed by the next run
(older than ``atomic.STALE_AFTER_S``).
"""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..atomic import STALE_AFTER_S, writing_outputs
from ..findings import EXIT_USAGE, S5InputError, error

MARKER = ".s5eval-report"  # an empty file that says "this folder is a report s5eval wrote"


def check_report_dir(out: str | Path) -> Path:
    """Refuse a report folder that exists and is neither empty nor an earlier report (exit 2)."""
    path = Path(out)
    if os.path.lexists(path) and not path.is_dir():
        raise S5InputError([error("E_REPORT_DIR", str(out), "the report folder is an existing file; give a folder "
                                  "(it is created when missing)")], exit_code=EXIT_USAGE)
    if path.is_dir() and any(path.iterdir()) and not (path / MARKER).is_file():
        raise S5InputError([error("E_REPORT_DIR", str(out), "the folder exists and holds files that are not an "
                                  "s5eval report; the report would replace them: choose a new or empty folder")],
                           exit_code=EXIT_USAGE)
    return path


def _remove_stale(parent: Path, name: str) -> None:
    now = time.time()
    for entry in parent.glob(f".{glob.escape(name)}.*.report-tmp"):
        try:
            if entry.is_dir() and not entry.is_symlink() and now - entry.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


@contextmanager
def staged_report_dir(out: str | Path) -> Iterator[Path]:
    """Yield an empty staging folder; when the block ends without error it becomes ``out``.

    ``OSError`` (full disk, read-only folder) becomes ``E_OUT_WRITE`` (exit 2); the old report is then kept.
    """
    final = check_report_dir(out).absolute()
    with writing_outputs(out):
        final.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(final.parent, final.name)
        stage = final.parent / f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.report-tmp"
        stage.mkdir()
        try:
            yield stage
            (stage / MARKER).write_bytes(b"")
            old = None
            if os.path.lexists(final):
                check_report_dir(final)  # still empty or a report
                old = final.parent / f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.old.report-tmp"
                os.replace(final, old)
            os.replace(stage, final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)
