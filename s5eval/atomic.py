"""Atomic file writes: a temporary file in the same folder, then a rename."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, TextIO


def write_atomic(path: str | Path, writer: Callable[[TextIO], None], durable: bool = True) -> None:
    """Write a text file through ``writer``; readers see the old file or the complete new one.

    ``durable``: flush the file to disk before the rename, so that it survives a
    crash of the machine too (not needed for what can be recomputed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str, durable: bool = True) -> None:
    write_atomic(path, lambda h: h.write(text), durable)


def write_json_atomic(path: str | Path, data: Any) -> None:
    write_atomic(path, lambda h: json.dump(data, h, indent=2, allow_nan=False))
