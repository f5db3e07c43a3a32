"""The result folders of ``score-all``: ``OUT/<label>/`` with the output files, ``submission.json``,
``complete.json`` (the digests that make a folder trustworthy) or ``failed.json``.

Everything the leaderboard reads of an organizer's run is defined here.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

from ..atomic import atomic_batch, write_json_atomic
from ..findings import Finding
from ..io.package import (dev_summary, meta_facts, nested, parameter_count, read_dev_results, read_eval_results,
                          read_meta, team_of)
from ..io.submission import Submission
from .document import ResultsDocument
from .files import OUTPUT_FILES, write_outputs
from .record import MixtureRecord


CACHE_DIR = ".s5eval-cache"


COMPLETE = "complete.json"


FAILED = "failed.json"


PACKAGE_INFO = "submission.json"


INDEX = "score_all.json"


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _plain_file_of(folder: Path, name: object) -> bool:
    """True when ``name`` is a bare file name in ``folder`` naming a regular file (no path, link, FIFO or device)."""
    if not isinstance(name, str) or not name or name in (".", "..") or any(c in name for c in "/\\\x00"):
        return False
    target = folder / name
    try:
        return not target.is_symlink() and target.is_file()
    except OSError:
        return False


def read_complete(folder: str | Path) -> dict | None:
    """The ``complete.json`` of a result folder when every file it lists is there with its digest, else None.

    The marker is read with the bounded JSON loader, and only plain regular
    files of the folder are hashed, whatever a damaged or hostile marker names.
    """
    from ..io.loaders import load_json_file

    folder = Path(folder)
    marker, problems = load_json_file(folder / COMPLETE)
    files = marker.get("files") if isinstance(marker, dict) and not problems else None
    if not isinstance(files, dict) or not all(_plain_file_of(folder, name) for name in files):
        return None
    try:
        if all(isinstance(digest, str) and _sha256(folder / name) == digest for name, digest in files.items()):
            return marker
    except OSError:
        pass
    return None


def package_info(submission: Submission, label: str, meta: object = None, meta_source: str | None = None) -> dict:
    """Facts a leaderboard shows that are not scores: names, team, nparams, development-set figures.

    ``meta``: a parsed meta YAML for this label (from ``score-all --meta``);
    otherwise the package's own meta YAML, when it holds one. The development
    figures (``dev_results``: ``capi_sdri`` in dB, accuracies in %, and their
    ``source``) come from ``dev_set_test_results.json`` and, when the package
    has none, from the meta YAML's ``results.development_dataset``; the
    per-soundscape ``details`` and the ``config`` are not kept.
    """
    info: dict = {"label": label, "team": team_of(label), "kind": submission.kind, "name": None,
                  "abbreviation": None, "technical_report": None, "nparams": None, "dev_results": None,
                  "meta_source": None}
    if submission.eval_results is not None:
        eval_results, _ = read_eval_results(submission.eval_results)
        info["nparams"] = parameter_count(nested(eval_results, "nparams"))
    if meta is None and submission.meta_yaml is not None:
        meta, _ = read_meta(submission.meta_yaml)
        meta_source = str(submission.meta_yaml)
    facts = meta_facts(meta) if isinstance(meta, dict) else None
    if facts is not None:
        info.update(name=facts.name, abbreviation=facts.abbreviation, technical_report=facts.technical_report,
                    meta_source=meta_source)
        if info["nparams"] is None:
            info["nparams"] = facts.total_parameters
    dev = None
    if submission.dev_results is not None:
        document, _ = read_dev_results(submission.dev_results)
        figures = dev_summary(document)
        if any(v is not None for v in figures.values()):
            dev = {**figures, "source": "dev_set_test_results.json"}
            if info["nparams"] is None:
                info["nparams"] = parameter_count(nested(document, "nparams"))
    if dev is None and facts is not None and any(v is not None for v in facts.dev.values()):
        dev = {**facts.dev, "source": "meta results.development_dataset"}
    info["dev_results"] = dev
    return info


def write_success(folder: Path, results: ResultsDocument, records: Sequence[MixtureRecord],
                  subsets: dict[str, list[str]], info: dict) -> None:
    """Write the result files (of ``results``, ``records`` and ``subsets`` as ``score --out`` writes them) and
    ``submission.json`` (``info``); ``complete.json`` (with their digests) last.

    Every new file is complete on disk before anything old is removed or
    replaced (:func:`atomic_batch`): a write that fails (``OSError``) leaves the
    earlier result as it was.
    """
    names = list(OUTPUT_FILES) + [PACKAGE_INFO]
    with atomic_batch() as batch:
        write_outputs(folder, results, list(records), subsets)
        write_json_atomic(folder / PACKAGE_INFO, info)
        write_json_atomic(folder / COMPLETE, {"files": {name: _sha256(batch.staged(folder / name)) for name in names}})
        batch.remove(folder / COMPLETE)
        batch.remove(folder / FAILED)


def write_failure(folder: Path, label: str, findings: Sequence[Finding], exit_code: int) -> None:
    """Record a failed submission; older results of it are removed once ``failed.json`` is written.

    ``failed.json`` is complete on disk before the old results are removed (a
    write that fails, ``OSError``, leaves them as they were); then they go, so
    none is mistaken for this run's.
    """
    with atomic_batch() as batch:
        write_json_atomic(folder / FAILED, {"label": label, "team": team_of(label), "status": "failed",
                                            "exit_code": exit_code, "findings": [f.to_dict() for f in findings]})
        for name in (COMPLETE, *OUTPUT_FILES):
            batch.remove(folder / name)
