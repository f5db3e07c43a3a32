"""Per-mixture record cache for ``score-all``, keyed by what the files hold.

A mixture's record depends only on the bytes of its files (the mixture, its
dry targets, the submission's estimates), their names (labels come from the
names) and the scoring options. :func:`mixture_key` hashes exactly that, so a
re-run after new submissions, changed files or an interruption recomputes only
the mixtures whose inputs changed.

The files are named in the key in two ways (:meth:`FileDigests.identity`):

* the reference files (mixtures, targets), shared by every submission, by
  their BLAKE2b digest: hashed once, then remembered by their stamp;
* a submission's estimates by their digest when one is remembered, else by
  their stamp without being read: path, size, mtime, inode and ctime (the
  ctime changes on any write, also one that puts the mtime back), and for a
  file extracted from a ``.zip`` the zip's path and stamp and the member's
  name. A changed estimate therefore never meets an old record, as with
  digests, and a new submission is read once (by the scorer), not twice.
  What this gives up: a submission copied elsewhere or re-written with the
  same bytes is scored again.

Layout under the cache folder::

    records/<k[:2]>/<key>.json    one MixtureRecord, written atomically
    references/<k[:2]>/<key>.json the reference figures of one mixture (ReferenceFacts), keyed by the
                                  content of the mixture and its targets: shared by every submission
    file_digests.json             path -> (size, mtime_ns, inode, ctime_ns, blake2b); saves re-hashing unchanged
                                  files (the ctime changes on any rewrite, also one that puts the mtime back)

Anything read back is checked before it is trusted: an entry that is not
JSON, is truncated, has the wrong type or wrong fields, or does not fit the
mixture it is looked up for counts as missing and is recomputed (and
overwritten); a damaged digest index is ignored.

File contents are hashed with BLAKE2b (256-bit), which is cryptographically
strong and on CPUs without SHA instructions nearly twice as fast as SHA-256;
the files of a run are hashed by several threads at once (hashlib releases the
GIL). Records are written with a temporary file and a rename, so a reader sees
a complete record or none; they are not flushed to disk one by one (a record
lost or torn by a crash of the machine counts as a miss and is recomputed).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Generator, Iterable, Sequence

from .. import __version__
from ..atomic import write_json_atomic, write_text_atomic
from ..findings import Finding, is_reference_problem
from ..io.refset import file_stamp
from ..results.record import MixtureRecord, ReferenceFacts, SourceRow
from .backends import Scorer, iter_scores
from .config import ScoreOptions
from .mixture import MixtureJob
from .reference_cache import facts_entry, facts_from_entry

CACHE_FORMAT = 4  # 2: BLAKE2b file digests; 3: the digest index stamp holds st_ctime_ns (an older one is not
# trusted); 4: records hold si_sources, estimates are named by stamp unless their digest is known
INDEX_FORMAT = CACHE_FORMAT  # of file_digests.json
DIGEST_INDEX = "file_digests.json"
_STAMP_LENGTH = 4  # size, mtime_ns, inode, ctime_ns
# a stored record: the record's fields (its reference facts stay in memory) and its pairing text (derived from its
# rows, stored as earlier versions did), in the order of the fields
_RECORD_FIELD_NAMES = tuple(name for f in fields(MixtureRecord) if f.name != "reference"
                            for name in (("pairing", f.name) if f.name == "sources" else (f.name,)))
_RECORD_FIELDS = set(_RECORD_FIELD_NAMES)


class FileDigests:
    """BLAKE2b-256 of file contents, remembered by (size, mtime_ns, inode, ctime_ns) so unchanged files are read once."""

    def __init__(self, index_path: Path | None = None):
        self.index_path = index_path
        self._lock = threading.Lock()
        self._known: dict[str, list] = {}
        self._archives: dict[str, tuple[str, list]] = {}  # extraction folder + os.sep -> (zip path, zip stamp)
        self._dirty = False
        if index_path is not None:
            self._known = _read_index(index_path)
        self.hashed = 0  # files actually read in this process

    def digest(self, path: str | Path) -> str:
        """Hex BLAKE2b-256 of the file's bytes."""
        key, stamp, known = self._lookup(path)
        if known is not None:
            return known
        with open(key, "rb") as handle:
            digest = hashlib.file_digest(handle, _blake2b_256).hexdigest()
        with self._lock:
            self._known[key] = stamp + [digest]
            self._dirty = True
            self.hashed += 1
        return digest

    def _lookup(self, path: str | Path) -> tuple[str, list, str | None]:
        """(index key, stamp, remembered digest or None when the file is new or changed)."""
        key = os.path.abspath(path)
        stamp = file_stamp(key)
        with self._lock:
            known = self._known.get(key)
        return key, stamp, (known[_STAMP_LENGTH] if known is not None and known[:_STAMP_LENGTH] == stamp else None)

    def identity(self, path: str | Path) -> str:
        """What names a submission file in a key, without reading it: its digest when remembered, else its stamp.

        The stamp of a file extracted from a registered zip (:meth:`register_archive`) is the zip's path and
        stamp and the member's path below the extraction folder (the extraction folder changes every run).
        """
        key, stamp, known = self._lookup(path)
        if known is not None:
            return known
        for prefix, (archive, archive_stamp) in self._archives.items():
            if key.startswith(prefix):
                member = key[len(prefix):].replace(os.sep, "/")
                return "zip:" + json.dumps([archive, archive_stamp, member, stamp[0]])
        return "stamp:" + json.dumps([key, stamp])

    def register_archive(self, folder: str | Path, archive: str | Path) -> None:
        """The files below ``folder`` were extracted from the zip ``archive`` (see :meth:`identity`)."""
        stamp = file_stamp(archive)
        with self._lock:
            self._archives[os.path.join(os.path.abspath(folder), "")] = (os.path.abspath(archive), stamp)

    def forget_under(self, folder: str | Path) -> None:
        """Drop remembered digests below ``folder`` (e.g. a temporary extraction of a zip) and its registration."""
        prefix = os.path.join(os.path.abspath(folder), "")
        with self._lock:
            self._archives.pop(prefix, None)
            for key in [k for k in self._known if k.startswith(prefix)]:
                del self._known[key]
                self._dirty = True

    def save(self) -> None:
        """Write the index (atomically) when new digests were computed; one that cannot be written is skipped."""
        with self._lock:
            if self.index_path is None or not self._dirty:
                return
            snapshot = {"format": INDEX_FORMAT, "files": dict(self._known)}
            self._dirty = False
        try:
            write_json_atomic(self.index_path, snapshot)
        except OSError:  # full disk, read-only cache: files are hashed again next time
            pass

    def digest_all(self, paths: Iterable[str | Path], threads: int) -> None:
        """Hash every file not known yet, ``threads`` at a time (later :meth:`digest` calls are lookups)."""
        todo = [path for path in sorted({str(p) for p in paths}) if self._lookup(path)[2] is None]
        if threads <= 1 or len(todo) < 2:
            for path in todo:
                self.digest(path)
            return
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(self.digest, todo))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_digest(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _read_index(path: Path) -> dict[str, list]:
    """The entries of a digest index that are well formed; {} for a missing, damaged or older index."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeError, RecursionError):
        return {}
    if not isinstance(loaded, dict) or loaded.get("format") != INDEX_FORMAT or not isinstance(loaded.get("files"), dict):
        return {}
    return {k: v for k, v in loaded["files"].items()
            if isinstance(v, list) and len(v) == _STAMP_LENGTH + 1 and all(_is_int(x) for x in v[:_STAMP_LENGTH])
            and _is_digest(v[_STAMP_LENGTH])}


def _blake2b_256() -> "hashlib.blake2b":
    return hashlib.blake2b(digest_size=32)


def options_fingerprint(options: ScoreOptions) -> dict:
    """Everything besides file contents that a record depends on."""
    return {"format": CACHE_FORMAT, "version": __version__, **asdict(options)}


def reference_files(job: MixtureJob) -> list[str]:
    """The reference files of a mixture (the mixture and its targets): named by digest in the keys."""
    return [job.mixture_path, *(t.path for t in job.targets)]


def mixture_key(job: MixtureJob, options: ScoreOptions, digests: FileDigests) -> str:
    """Key of one mixture's record: hex sha256 over options, file names, the reference files' digests and the
    estimates' identities (:meth:`FileDigests.identity`)."""
    parts = {
        "options": options_fingerprint(options),
        "mixture": [job.name, digests.digest(job.mixture_path)],
        "targets": [[t.filename, t.label, digests.digest(t.path)] for t in job.targets],
        "estimates": [[e.filename, e.label, digests.identity(e.path)] for e in job.estimates],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def reference_key(job: MixtureJob, digests: FileDigests) -> str:
    """Content key of a mixture's reference figures: the mixture and its targets (names, labels, bytes)."""
    parts = {
        "format": CACHE_FORMAT, "version": __version__,
        "mixture": digests.digest(job.mixture_path),
        "targets": [[t.filename, t.label, digests.digest(t.path)] for t in job.targets],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def record_to_dict(record: MixtureRecord) -> dict:
    """The record's fields as JSON-ready values (lists are shared, not copied; each entry becomes a dict)."""
    data = {name: getattr(record, name) for name in _RECORD_FIELD_NAMES}
    data["sources"] = [row._asdict() for row in record.sources]
    data["si_sources"] = [row._asdict() for row in record.si_sources]
    data["findings"] = [f.to_dict() for f in record.findings]
    return data


def _number(value, optional: bool = False) -> bool:
    """A finite int or float (not a bool; an integer beyond the float range is not one); None when ``optional``."""
    if value is None:
        return optional
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


_SCALAR = (str, int, float, bool, type(None))


_ROW_FIELDS = SourceRow._fields


def _source_rows_ok(rows) -> bool:
    """Per-source rows as :func:`s5eval.scoring.mixture.score_mixture` writes them (a dict per :class:`SourceRow`)."""
    return isinstance(rows, list) and all(
        isinstance(row, dict) and tuple(row) == _ROW_FIELDS and row["kind"] in ("tp", "fn", "fp")
        and all(isinstance(row[k], str) for k in ("soundscape", "label", "kind", "estimate", "reference"))
        and (row["kind"] != "tp" or _number(row["sdri"]))
        and all(isinstance(x, _SCALAR) for x in row.values()) for row in rows)
_FIELD_CHECKS = {
    "soundscape": lambda v: isinstance(v, str),
    "ref_labels": _str_list, "est_labels": _str_list,
    **{name: lambda v: _is_int(v) and v >= 0 for name in ("tp", "fp", "fn", "n_entries", "n_pairs")},
    **{name: lambda v: _number(v, True) for name in ("capi_sdri", "capi_sdri_official", "capi_sdri_paper",
                                                        "ca_sdri_2025", "capi_si_sdri", "ca_si_sdri_2025")},
    "tp_sdri_sum": _number, "penalty_mass": _number,
    "label_set_correct_2025": lambda v: v is None or isinstance(v, bool),
    "casa_sdr": lambda v: v is None or (isinstance(v, dict) and all(isinstance(k, str) and _number(x, True)
                                                                     for k, x in v.items())),
    "pairing": lambda v: isinstance(v, str),
    "sources": lambda v: _source_rows_ok(v),
    "si_sources": lambda v: _source_rows_ok(v),
    "findings": lambda v: isinstance(v, list) and all(
        isinstance(f, dict) and set(f) == _FINDING_FIELDS and all(isinstance(x, str) for x in f.values()) for f in v),
    "scored": lambda v: isinstance(v, bool),
}
_FINDING_FIELDS: set[str] = {f.name for f in fields(Finding)}


def record_from_dict(data: dict, job: MixtureJob | None = None) -> MixtureRecord:
    """The record stored as ``data``; ValueError when ``data`` is not a well-formed record (of ``job``'s mixture).

    Every field must be there with the right type (a record written by another
    version, damaged or edited is refused, never half-trusted); with ``job``
    the soundscape and labels must be the job's.
    """
    if not isinstance(data, dict) or set(data) != _RECORD_FIELDS:
        raise ValueError("not a record")
    bad = [name for name, check in _FIELD_CHECKS.items() if not check(data[name])]
    if bad:
        raise ValueError(f"bad fields: {bad}")
    if data["tp"] + data["fn"] != len(data["ref_labels"]) or data["tp"] + data["fp"] != len(data["est_labels"]):
        raise ValueError("inconsistent counts")
    if job is not None and (data["soundscape"] != job.name or data["ref_labels"] != [t.label for t in job.targets]
                            or data["est_labels"] != [e.label for e in job.estimates]):
        raise ValueError("the record of another mixture")
    kwargs = dict(data)
    pairing = kwargs.pop("pairing")
    kwargs["sources"] = tuple(SourceRow(**row) for row in data["sources"])
    kwargs["si_sources"] = tuple(SourceRow(**row) for row in data["si_sources"])
    kwargs["findings"] = [Finding(**f) for f in data["findings"]]
    record = MixtureRecord(**kwargs)
    if record.pairing != pairing:
        raise ValueError("a pairing that is not the record's")
    return record


class RecordCache:
    """Mixture records on disk under ``root/records``, one JSON file per content key."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.digests = FileDigests(self.root / DIGEST_INDEX)
        self.hits = 0
        self.misses = 0
        self._writer: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def _path(self, key: str, kind: str = "records") -> Path:
        return self.root / kind / key[:2] / f"{key}.json"

    def get(self, key: str, job: MixtureJob | None = None) -> MixtureRecord | None:
        """The stored record, or None when absent, unreadable or damaged (any content that is not a record of ``job``)."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            record = record_from_dict(data["record"], job) if isinstance(data, dict) and data.get("key") == key \
                else None
        except (OSError, ValueError, KeyError, TypeError, UnicodeError, RecursionError):
            record = None
        if record is None:
            self.misses += 1
        else:
            self.hits += 1
        return record

    def get_reference(self, key: str, job: MixtureJob) -> ReferenceFacts | None:
        """Stored reference figures for ``job`` (its target paths filled in), or None."""
        try:
            data = json.loads(self._path(key, "references").read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeError, RecursionError):
            return None
        if not (isinstance(data, dict) and data.get("key") == key):
            return None
        facts = facts_from_entry(data, len(job.targets))
        return None if facts is None else replace(facts, target_paths=tuple(t.path for t in job.targets))

    def put_reference(self, key: str, facts: ReferenceFacts) -> None:
        """Store reference figures (floats are written with repr, so they read back exactly)."""
        self._write(self._path(key, "references"), json.dumps(facts_entry(key, facts), separators=(",", ":")))

    def put(self, key: str, record: MixtureRecord) -> None:
        """Store a record atomically; records of reference-set problems are not stored."""
        if any(is_reference_problem(f) for f in record.findings):
            return
        try:
            text = json.dumps({"key": key, "record": record_to_dict(record)}, separators=(",", ":"), allow_nan=False)
        except ValueError:  # a non-finite value cannot be stored as JSON: recompute it next time
            return
        self._write(self._path(key), text)

    def _write(self, path: Path, text: str) -> None:
        if self._writer is None:  # file creation is slow on some disks: write while scoring goes on
            self._writer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="s5eval-cache")
        self._pending.append(self._writer.submit(write_text_atomic, path, text, False))

    def flush(self) -> None:
        """Wait until every record given to :meth:`put` is on disk (one that cannot be written is recomputed later)."""
        for pending in self._pending:
            try:
                pending.result()
            except OSError:
                pass
        self._pending.clear()
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None

    def keys(self, jobs: Iterable[MixtureJob], options: ScoreOptions, threads: int = 1) -> list[str]:
        """The key of each job; the reference files not hashed yet are hashed ``threads`` at a time first."""
        jobs = list(jobs)
        self.digests.digest_all((path for job in jobs for path in reference_files(job)), threads)
        return [mixture_key(job, options, self.digests) for job in jobs]

    def save(self) -> None:
        """Finish writing the records and write the digest index (what cannot be written is recomputed later)."""
        self.flush()
        self.digests.save()


@dataclass
class CachedScorer:
    """Serves records from the cache, sends only the missing mixtures to ``backend``, stores what it gets.

    The reference figures of a mixture (:class:`ReferenceFacts`) computed for
    one submission are kept, in ``reference_facts`` (shared by the submissions
    of a run) and in the cache (for later runs), under the content key of the
    mixture and its targets: a later submission's job then reads neither the
    mixture nor the targets that no estimate needs.
    """

    cache: RecordCache
    backend: Scorer = iter_scores
    reference_facts: dict[str, ReferenceFacts] = field(default_factory=dict)
    computed: int = 0
    reused: int = 0

    def __call__(self, jobs: Sequence[MixtureJob], options: ScoreOptions,
                 workers: int) -> Generator[MixtureRecord, None, None]:
        keys = self.cache.keys(jobs, options, threads=workers)
        cached = [self.cache.get(k, job) for k, job in zip(keys, jobs)]
        todo = [(job, reference_key(job, self.cache.digests)) for job, rec in zip(jobs, cached) if rec is None]
        missing = [self._with_known_reference(job, ref_key) for job, ref_key in todo]
        ref_keys = iter([ref_key for _, ref_key in todo])
        with closing(self.backend(missing, options, workers)) as fresh:
            for key, record in zip(keys, cached):
                if record is None:
                    record = next(fresh)
                    self.cache.put(key, record)
                    self._remember(next(ref_keys), record)
                    self.computed += 1
                else:
                    self.reused += 1
                yield record
        self.cache.save()

    def _with_known_reference(self, job: MixtureJob, ref_key: str) -> MixtureJob:
        facts = self.reference_facts.get(ref_key)
        if facts is None:
            facts = self.cache.get_reference(ref_key, job)
            if facts is None:
                return job
            self.reference_facts[ref_key] = facts
        return replace(job, reference=replace(facts, target_paths=tuple(t.path for t in job.targets)))

    def _remember(self, ref_key: str, record: MixtureRecord) -> None:
        if record.reference is not None and ref_key not in self.reference_facts:
            self.reference_facts[ref_key] = record.reference
            self.cache.put_reference(ref_key, record.reference)
