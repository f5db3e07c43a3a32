"""Per-mixture record cache keyed by file content, for ``score-all``.

A mixture's record depends only on the bytes of its files (the mixture, its
dry targets, the submission's estimates), their names (labels come from the
names) and the scoring options. :func:`mixture_key` hashes exactly that, so a
re-run after new submissions, changed files or an interruption recomputes only
the mixtures whose inputs changed.

Layout under the cache folder::

    records/<k[:2]>/<key>.json    one MixtureRecord, written atomically
    file_digests.json             path -> (size, mtime_ns, inode, sha256); saves re-hashing unchanged files

Records are written with a temporary file and a rename, so a reader sees a
complete record or none; an unreadable record (e.g. a truncated file from a
crash of the disk itself) counts as a miss and is recomputed.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, fields
from pathlib import Path
from typing import Iterable

from . import __version__
from .atomic import write_json_atomic
from .engine import MixtureJob, MixtureRecord, ScoreOptions
from .findings import Finding, is_reference_problem

CACHE_FORMAT = 1
_RECORD_FIELDS = {f.name for f in fields(MixtureRecord)}


class FileDigests:
    """sha256 of file contents, remembered by (size, mtime_ns, inode) so unchanged files are read once."""

    def __init__(self, index_path: Path | None = None):
        self.index_path = index_path
        self._lock = threading.Lock()
        self._known: dict[str, list] = {}
        self._dirty = False
        if index_path is not None and index_path.is_file():
            try:
                loaded = json.loads(index_path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._known = {k: v for k, v in loaded.items() if isinstance(v, list) and len(v) == 4}
            except (OSError, ValueError):
                self._known = {}
        self.hashed = 0  # files actually read in this process

    def digest(self, path: str | Path) -> str:
        """Hex sha256 of the file's bytes."""
        key = os.path.abspath(path)
        st = os.stat(key)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        with self._lock:
            known = self._known.get(key)
            if known is not None and known[:3] == stamp:
                return known[3]
        with open(key, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        with self._lock:
            self._known[key] = stamp + [digest]
            self._dirty = True
            self.hashed += 1
        return digest

    def forget_under(self, folder: str | Path) -> None:
        """Drop remembered digests below ``folder`` (e.g. a temporary extraction of a zip)."""
        prefix = os.path.join(os.path.abspath(folder), "")
        with self._lock:
            for key in [k for k in self._known if k.startswith(prefix)]:
                del self._known[key]
                self._dirty = True

    def save(self) -> None:
        """Write the index (atomically) when new digests were computed."""
        with self._lock:
            if self.index_path is None or not self._dirty:
                return
            snapshot = dict(self._known)
            self._dirty = False
        write_json_atomic(self.index_path, snapshot)


def options_fingerprint(options: ScoreOptions) -> dict:
    """Everything besides file contents that a record depends on."""
    return {"format": CACHE_FORMAT, "version": __version__, **asdict(options)}


def mixture_key(job: MixtureJob, options: ScoreOptions, digests: FileDigests) -> str:
    """Content key of one mixture's record: hex sha256 over options, file names and file digests."""
    parts = {
        "options": options_fingerprint(options),
        "mixture": [job.name, digests.digest(job.mixture_path)],
        "targets": [[t.filename, t.label, digests.digest(t.path)] for t in job.targets],
        "estimates": [[e.filename, e.label, digests.digest(e.path)] for e in job.estimates],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def record_to_dict(record: MixtureRecord) -> dict:
    data = asdict(record)
    data["findings"] = [f.to_dict() for f in record.findings]
    return data


def record_from_dict(data: dict) -> MixtureRecord:
    kwargs = {k: v for k, v in data.items() if k in _RECORD_FIELDS}
    kwargs["findings"] = [Finding(**f) for f in data.get("findings", [])]
    return MixtureRecord(**kwargs)


class RecordCache:
    """Mixture records on disk under ``root/records``, one JSON file per content key."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.digests = FileDigests(self.root / "file_digests.json")
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.root / "records" / key[:2] / f"{key}.json"

    def get(self, key: str) -> MixtureRecord | None:
        """The stored record, or None when absent or unreadable."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            record = record_from_dict(data["record"]) if data.get("key") == key else None
        except (OSError, ValueError, KeyError, TypeError):
            record = None
        if record is None:
            self.misses += 1
        else:
            self.hits += 1
        return record

    def put(self, key: str, record: MixtureRecord) -> None:
        """Store a record atomically; records of reference-set problems are not stored."""
        if any(is_reference_problem(f) for f in record.findings):
            return
        try:
            write_json_atomic(self._path(key), {"key": key, "record": record_to_dict(record)})
        except ValueError:  # a non-finite value cannot be stored as JSON: recompute it next time
            pass

    def keys(self, jobs: Iterable[MixtureJob], options: ScoreOptions) -> list[str]:
        return [mixture_key(job, options, self.digests) for job in jobs]

    def save(self) -> None:
        self.digests.save()
