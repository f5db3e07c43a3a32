"""The figures of a reference set kept between ``score`` runs (a user cache, one file per reference set).

A participant scores against the same development test set again and again. What
a mixture's scores need from its reference files besides the targets' samples (a
:class:`~s5eval.results.record.ReferenceFacts`: the mixture's rate in Hz and length
in samples, each target's energy Σ s² and its distance to the mixture's channel 0
Σ (s − y)²) depends on the reference set alone. It is kept here after the first run;
a later run then reads no mixture file (neither its samples nor its header) and
only the targets of the classes a submission estimates.

Each mixture's entry is keyed by what names its files without reading them: the
path, size, mtime, inode and ctime of the mixture and of every target, with the
targets' names and labels (the ctime changes on any write, also one that puts the
mtime back; ``score-all``'s digest index trusts the same stamps). A changed,
replaced, added or removed file changes the key, so a stale entry is never served:
it is recomputed and overwritten. The store is one JSON file per reference set
(by the resolved path of its root) under ``<cache dir>/references/``, written
atomically; an entry that does not fit is ignored, and a cache that cannot be
written (read-only, full) is skipped: the run is the same, only not faster next time.
The reference set itself is never written to.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence, cast

from .. import __version__
from ..atomic import write_text_atomic
from ..io.refset import ReferenceSet, file_stamp
from ..results.record import ReferenceFacts
from .mixture import MixtureJob

FORMAT = 2  # 2: keys over names and stamps as text
CACHE_ENV = "S5EVAL_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$S5EVAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/s5eval``, else ``~/.cache/s5eval``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "s5eval"


def mixture_key(mixture_path: str | Path, targets: Sequence[tuple[str, str, str | Path]],
                stamp: Callable[[str | Path], str]) -> str:
    """The key of a mixture's reference figures: hex sha256 over the name and stamp of the mixture and of its
    targets (``targets``: filename, label, path of each, in job order; ``stamp``: a file's
    :func:`~s5eval.io.refset.file_stamp` as one line). The store is one file per reference
    set (by its resolved root), so names within it suffice."""
    lines = [f"s5eval reference figures {FORMAT} {__version__}",
             f"{os.path.basename(mixture_path)}\t{stamp(mixture_path)}"]
    lines += [f"{name}\t{label}\t{stamp(path)}" for name, label, path in targets]
    return hashlib.sha256(json.dumps(lines).encode("utf-8", "surrogateescape")).hexdigest()


def facts_from_entry(data: object, n_targets: int) -> ReferenceFacts | None:
    """The figures of a stored entry (:func:`facts_entry`) when it is well formed for ``n_targets`` targets, else
    None (the key is the caller's to check). Also what ``score-all``'s cache reads."""
    if not isinstance(data, dict):
        return None
    frames, rate = data.get("frames"), data.get("samplerate")
    if not (type(frames) is int and type(rate) is int and frames > 0 and rate > 0):
        return None
    energies: list[tuple[float, ...]] = []
    for values in (data.get("target_energies"), data.get("mixture_error_energies")):
        if not (isinstance(values, list) and len(values) == n_targets):
            return None
        wide = tuple(_energy(v) for v in values)
        if None in wide:
            return None
        energies.append(cast("tuple[float, ...]", wide))
    return ReferenceFacts((), frames, rate, energies[0], energies[1])


def _energy(value: object) -> float | None:
    """A stored energy as a float: a finite number ≥ 0 (an integer beyond the float range is none), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def facts_entry(key: str, facts: ReferenceFacts) -> dict:
    """The stored form of a mixture's figures under its key (floats are written with repr: they read back
    exactly). Also what ``score-all``'s cache stores."""
    return {"key": key, "frames": facts.frames, "samplerate": facts.samplerate,
            "target_energies": list(facts.target_energies),
            "mixture_error_energies": list(facts.mixture_error_energies)}


class ReferenceFactsStore:
    """The reference figures of one reference set, by mixture name, kept in ``cache_dir``.

    The stored entries are read when the store is opened and let go of once :meth:`known` has taken what it
    serves; :meth:`save` reads the file again and adds this run's new figures to what it holds.
    """

    def __init__(self, cache_dir: str | Path, reference: ReferenceSet):
        root_id = hashlib.sha256(os.fsencode(os.path.realpath(reference.root))).hexdigest()[:32]
        self.path = Path(cache_dir) / "references" / f"{root_id}.json"
        self.reference = reference
        self._new: dict[str, tuple[str, ReferenceFacts]] = {}  # key and figures this run computed, by mixture
        self._keys: dict[str, str] = {}
        self.stored = 0
        # mixture -> sizes in bytes of its files as this run stamped them: the mixture, then its targets in order
        self.sizes: dict[str, tuple[int, ...]] = {}
        self._entries: dict[str, dict] | None = self._stored()

    def _stored(self) -> dict[str, dict]:
        """The entries of the store's file (none when it is missing, unreadable or of another format)."""
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeError, RecursionError):
            return {}
        if isinstance(loaded, dict) and loaded.get("format") == FORMAT and isinstance(loaded.get("mixtures"), dict):
            return {k: v for k, v in loaded["mixtures"].items() if isinstance(k, str) and isinstance(v, dict)}
        return {}

    def _key(self, name: str) -> str | None:
        """The current key of mixture ``name`` (None when a file cannot be examined: never cached)."""
        if name not in self._keys:
            mix = self.reference.mixtures[name]
            sizes: list[int] = []

            def stamp(path: str | Path) -> str:
                facts = file_stamp(path)
                sizes.append(facts[0])
                return " ".join(map(str, facts))

            try:
                self._keys[name] = mixture_key(mix.path_text, [(t.filename, t.label, t.path_text) for t in mix.targets],
                                               stamp)
            except (OSError, ValueError):
                return None
            self.sizes[name] = tuple(sizes)
        return self._keys[name]

    def known(self, names: Iterable[str]) -> dict[str, ReferenceFacts]:
        """The stored figures of the mixtures ``names`` whose files are unchanged since they were stored.

        The entries read from the file are let go of afterwards (a run asks once); a later call reads it again.
        """
        entries = self._entries if self._entries is not None else self._stored()
        self._entries = None
        found: dict[str, ReferenceFacts] = {}
        for name in names:
            entry = entries.pop(name, None)  # each entry let go of once read: the figures reuse its memory
            key = self._key(name) if entry is not None else None
            if entry is None or key is None or entry.get("key") != key:
                continue
            facts = facts_from_entry(entry, len(self.reference.mixtures[name].targets))
            if facts is not None:
                found[name] = facts
                del self._keys[name]  # only the figures this run computes are stored under their key
        return found

    def put(self, name: str, facts: ReferenceFacts) -> None:
        """Remember the figures of mixture ``name`` (computed by this run from its files)."""
        key = self._key(name)
        if key is None:
            return
        self._new[name] = (key, replace(facts, target_paths=()))  # written out by save(); no paths kept
        self.stored += 1

    def save(self) -> None:
        """Write the store (atomically) when something was added: what its file holds now and this run's new
        figures. A cache that cannot be written is skipped."""
        if not self._new:
            return
        entries: dict[str, dict | tuple[str, ReferenceFacts]] = {}
        entries.update(self._entries if self._entries is not None else self._stored())
        entries.update(self._new)
        names = self.reference.mixtures  # entries of mixtures no longer in the set are dropped
        # what json.dumps of the whole store with separators (",", ":") gives, written entry by entry: its
        # encoder would hold every token of the file at once
        stored = ",".join(f"{_compact(name)}:{_compact(facts_entry(*entry) if isinstance(entry, tuple) else entry)}"
                          for name, entry in sorted(entries.items()) if name in names)
        text = f'{{"format":{FORMAT},"reference":{_compact(str(self.reference.root))},"mixtures":{{{stored}}}}}'
        try:
            write_text_atomic(self.path, text, False)
        except OSError:
            pass
        self._new = {}


def with_known_facts(jobs: Sequence[MixtureJob], known: Mapping[str, ReferenceFacts]) -> list[MixtureJob]:
    """The jobs, those of mixtures with known figures carrying them (for their own target paths)."""
    return [replace(job, reference=replace(known[job.name], target_paths=tuple(t.path for t in job.targets)))
            if job.name in known else job for job in jobs]
