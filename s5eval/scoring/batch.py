"""Scoring every submission of a folder: ``s5eval score-all``.

For each submission (a folder or a ``.zip``) in ``SUBS_DIR`` the results go to
``OUT/<label>/``:

* on success the four files of ``score --out`` (:func:`s5eval.results.files.write_outputs`),
  ``submission.json`` (package facts: nparams, names from the meta YAML,
  development-set results) and last ``complete.json``, which holds the sha256
  of each of the other files. A reader trusts a folder only when
  ``complete.json`` is there and the digests match (:func:`read_complete`), so
  a run killed half-way through writing is never read as a result;
* on failure ``failed.json`` with the findings and the exit code; any older
  result is removed once it is written.

New files are written in full before anything old is replaced or removed: an
output that cannot be written (full disk, read-only ``OUT``) stops the run with
``E_OUT_WRITE`` (exit 2), is never recorded as a failed submission, and leaves
every earlier complete result as it was. ``OUT`` (and ``--cache``) may not lie
in the submissions folder or the reference set (``E_OUT_INSIDE_INPUT``).

Per-mixture records are cached (:mod:`s5eval.scoring.cache`) under
``OUT/.s5eval-cache``, so a re-run recomputes only mixtures whose files or
options changed. Mixtures are scored by a local process pool (``workers``) or,
with ``scheduler``, by a Dask cluster (the ``dask`` extra); a cluster's
workers must see the same files at the same paths.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence, cast

from ..atomic import OutputWriteError, write_json_atomic, writing_outputs
from ..findings import EXIT_INVALID, Finding, ReferenceSetError, S5InputError, error
from ..io.archive import submission_folder
from ..io.package import package_label
from ..io.refset import ReferenceSet, load_reference_set
from ..io.submission import Submission
from ..labels import resolve_label_set
from ..results.files import check_out_dir, probe_writable
from ..results.record import ReferenceFacts
from ..results.store import CACHE_DIR, INDEX, package_info, write_failure, write_success
from .backends import Scorer, dask_scorer, iter_scores
from .cache import CachedScorer, RecordCache
from .config import ScoreConfig
from .run import run_score




def discover_submissions(subs_dir: str | Path) -> list[Path]:
    """Submission folders and ``.zip`` files directly in ``subs_dir``, sorted by name (hidden ones skipped)."""
    root = Path(subs_dir)
    if not root.is_dir():
        raise S5InputError([error("E_SUBS_DIR", str(root), "the submissions folder does not exist")], exit_code=2)
    found = [p for p in sorted(root.iterdir())
             if not p.name.startswith(".") and (p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"))]
    return found


def label_for(path: Path) -> str:
    """The submission label of a folder or ``.zip``: its name without ``.zip`` and without a trailing ``_out``."""
    return package_label(path.stem if path.is_file() else path.name)


# --- scorers --------------------------------------------------------------------------------------------


# --- outputs of one submission ----------------------------------------------------------------------------


def _package_info_with_meta(submission: Submission, label: str, meta_by_label: dict | None) -> dict:
    """:func:`package_info` with the label's meta YAML from a submission package, when there is one.

    Entries are :class:`s5eval.io.submission_package.MetaEntry`; the package's
    PDF filename stands in for a missing ``technical_report``.
    """
    entry = (meta_by_label or {}).get(package_label(label))
    if entry is None:
        return package_info(submission, label)
    info = package_info(submission, label, meta=entry.meta, meta_source=entry.source)
    if not info.get("technical_report") and entry.report:
        info["technical_report"] = entry.report
    return info


# --- the run -------------------------------------------------------------------------------------------


def check_out_folders(out: Path, cache_dir: str | Path | None, subs_dir: str | Path, ref: str | Path,
                      labelled: Sequence[tuple[str, Path]]) -> None:
    """Refuse (exit 2) an ``--out`` or ``--cache`` that would write into the submissions or the reference set.

    Also refused: a submission or the reference set lying in a result folder
    ``OUT/<label>`` (it would receive result files).
    """
    inputs = [(subs_dir, "the submissions folder"), (ref, "the reference set")]
    check_out_dir(out, inputs)
    if cache_dir is not None:
        check_out_dir(cache_dir, inputs, option="--cache")
    guarded = [(Path(p), f"the submission {p}") for _, p in labelled if Path(p).is_dir()] + \
        [(Path(p), what) for p, what in inputs if Path(p).is_dir()]
    for label, _ in labelled:
        folder = Path(os.path.realpath(out / label))
        for path, what in guarded:
            resolved = Path(os.path.realpath(path))
            if folder == resolved or folder in resolved.parents:
                raise S5InputError([error("E_OUT_INSIDE_INPUT", str(out / label),
                                          f"{what} is or lies inside the result folder of '{label}'; "
                                          "choose an --out folder that holds no input")], exit_code=2)
    probe_writable(out)  # a read-only or full disk stops the run before any scoring


@dataclass
class SubmissionOutcome:
    label: str
    source: str
    status: str  # "ok" or "failed"
    headline: float | None = None
    computed: int = 0
    reused: int = 0
    n_errors: int = 0
    findings: list[Finding] = field(default_factory=list)


def score_one(path: Path, label: str, ref: str | Path, out_dir: Path, config: ScoreConfig, cache: RecordCache,
              backend: Scorer, progress: Callable[[int, int], None] | None = None,
              reference_facts: dict[str, ReferenceFacts] | None = None,
              meta_by_label: dict | None = None, reference: ReferenceSet | None = None) -> SubmissionOutcome:
    """Score one submission into ``out_dir/label``; its own problems make it failed, never raise.

    ``reference_facts`` is shared between the submissions of a run (see :class:`CachedScorer`);
    ``reference``: the reference set, loaded once for the run (else loaded from ``ref``).
    ``meta_by_label``: meta YAMLs from submission packages (``score-all --meta``,
    :func:`s5eval.validate.submission_package.load_meta_by_label`), looked up by label.
    """
    folder = out_dir / label
    scorer = CachedScorer(cache, backend, reference_facts if reference_facts is not None else {})
    try:
        with submission_folder(path) as root:
            if Path(root) != path:  # a zip extracted to a temporary folder: its members are named by the zip
                cache.digests.register_archive(root, path)
            try:
                run = run_score(root, ref, config, progress=progress, scorer=scorer, source=str(path),
                                reference=reference)
                info = _package_info_with_meta(run.submission, label, meta_by_label)
            finally:
                if Path(root) != path:  # a zip extracted to a temporary folder
                    cache.digests.forget_under(root)
        info["source"] = str(path)
        info["package_findings"] = [f.to_dict() for f in run.package_findings]
    except (ReferenceSetError, OutputWriteError):  # not this submission's fault: stop the run
        raise
    except S5InputError as exc:
        findings, code = exc.findings, exc.exit_code
    except Exception as exc:  # one broken submission never stops the run
        findings, code = [error("E_INTERNAL", str(path), f"scoring failed: {type(exc).__name__}: {exc}")], EXIT_INVALID
    else:
        with writing_outputs(folder):  # a full disk is no failure of the submission: it stops the run
            write_success(folder, run.results, run.records, run.subsets, info)
        # headline_key is a METRIC_KEYS figure (dB or %): float | None, but a str key reads as object
        headline = cast(float | None, run.results["summary"].get(run.headline_key))
        return SubmissionOutcome(label, str(path), "ok", headline, scorer.computed, scorer.reused,
                                 findings=run.findings + run.package_findings)
    with writing_outputs(folder):
        write_failure(folder, label, findings, code)
    return SubmissionOutcome(label, str(path), "failed", None, scorer.computed, scorer.reused,
                             sum(f.is_error for f in findings), findings)


def score_all(subs_dir: str | Path, ref: str | Path, out_dir: str | Path, config: ScoreConfig | None = None,
              scheduler: str | None = None, cache_dir: str | Path | None = None,
              on_start: Callable[[int, str, int], None] | None = None,
              on_done: Callable[[SubmissionOutcome], None] | None = None,
              progress: Callable[[int, int], None] | None = None,
              meta_by_label: dict | None = None) -> list[SubmissionOutcome]:
    """Score every submission of ``subs_dir``; write ``out_dir/<label>/...`` and ``out_dir/score_all.json``.

    ``meta_by_label``: meta YAMLs by system label from the submission packages
    (``--meta``; see :func:`s5eval.validate.submission_package.load_meta_by_label`):
    names, abbreviation and technical report of ``submission.json`` come from them.

    Raises :class:`ReferenceSetError` for a bad reference set (nothing can be scored then).
    """
    config = config or ScoreConfig()
    out = Path(out_dir)
    paths = discover_submissions(subs_dir)
    check_out_folders(out, cache_dir, subs_dir, ref, [(label_for(p), p) for p in paths])
    try:
        reference = load_reference_set(ref, resolve_label_set(config.label_set))  # once, before any submission
    except ValueError as exc:
        raise S5InputError([error("E_LABEL_SET", str(config.label_set), str(exc))], exit_code=2) from None
    cache = RecordCache(Path(cache_dir) if cache_dir else out / CACHE_DIR)
    backend, close = (dask_scorer(scheduler) if scheduler else (iter_scores, lambda: None))
    outcomes: list[SubmissionOutcome] = []
    seen: set[str] = set()
    reference_facts: dict[str, ReferenceFacts] = {}  # by content key: the same for every submission
    try:
        for index, path in enumerate(paths):
            label = label_for(path)
            if on_start:
                on_start(index, label, len(paths))
            if label in seen:
                finding = error("E_DUPLICATE_LABEL", str(path), f"another submission in this folder is also '{label}'")
                outcome = SubmissionOutcome(label + "#dup", str(path), "failed", n_errors=1, findings=[finding])
            else:
                seen.add(label)
                outcome = score_one(path, label, ref, out, config, cache, backend, progress, reference_facts,
                                    meta_by_label, reference)
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    finally:
        close()
        cache.save()
    with writing_outputs(out):
        write_json_atomic(out / INDEX, {
            "config": asdict(config),
            "submissions": [{"label": o.label, "source": o.source, "status": o.status, "headline": o.headline,
                             "computed": o.computed, "reused": o.reused, "n_errors": o.n_errors} for o in outcomes],
        })
    return outcomes
