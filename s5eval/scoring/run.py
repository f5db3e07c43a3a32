"""The scoring run: discover, score every mixture (in parallel), aggregate.

:func:`run_score` is what ``s5eval score`` calls; it raises
:class:`~s5eval.findings.S5InputError` (exit 1) for a submission that cannot be
scored and :class:`~s5eval.findings.ReferenceSetError` (exit 3) for a bad
reference set, each with all the findings collected.
"""
from __future__ import annotations

import gc
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence, cast

from ..findings import Finding, ReferenceSetError, S5InputError, error, is_reference_problem
from ..io.archive import submission_folder
from ..io.buffers import default_workers
from ..io.refset import ReferenceSet, load_reference_set
from ..io.submission import Submission, open_submission
from ..labels import resolve_label_set
from ..results.document import ResultsDocument
from ..results.figures import METRIC_KEYS, METRICS, SI_METRICS
from ..results.record import MixtureRecord, ReferenceFacts
from ..results.subsets import load_extra_subsets, memberships
from ..validate import ValidateOptions, context_for, discover, header_checks
from ..validate.context import Context
from .aggregate import build_results, listing_digests
from .backends import Records, iter_scores
from .config import ScoreConfig, ScoreOptions
from .mixture import MixtureJob, jobs_for, share_job_strings
from .reference_cache import ReferenceFactsStore, with_known_facts



@dataclass
class ScoreRun:
    """The outcome of a scoring run."""

    config: ScoreConfig
    reference: ReferenceSet
    submission: Submission
    records: list[MixtureRecord]
    subsets: dict[str, list[str]]
    results: ResultsDocument
    findings: list[Finding] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    package_findings: list[Finding] = field(default_factory=list)  # about the package around the estimates
    reference_cache: dict | None = None  # with a reference cache: its file, mixtures served from it, stored

    @property
    def headline_key(self) -> str:
        return METRIC_KEYS[self.config.metric]


@dataclass
class Prepared:
    """A reference set and a submission discovered once: the submission's files listed and their names parsed.

    ``ctx`` is the check context over the same :class:`Submission` (its
    ``files`` are ``ctx.estimates``); ``submission.findings`` holds what the
    listing and the name checks found, ``submission.estimates`` what a run scores.
    """

    reference: ReferenceSet
    submission: Submission
    ctx: Context


def discover_submission(sub_path: str | Path, ref_path: str | Path, config: ScoreConfig,
                        shown_root: str | None = None, reference: ReferenceSet | None = None) -> Prepared:
    """Load the reference set (unless ``reference`` is the one already loaded from ``ref_path``), open the
    submission and list and parse its estimate files, once.

    The label set is resolved here, once per run (a bad one is a usage error, exit 2).
    """
    try:
        labels = resolve_label_set(config.label_set)
    except ValueError as exc:
        raise S5InputError([error("E_LABEL_SET", str(config.label_set), str(exc))], exit_code=2) from None
    reference = reference if reference is not None else load_reference_set(ref_path, labels)
    submission = open_submission(sub_path)
    # headers only, in one thread: the reads are tiny and the checks hold the GIL
    options = ValidateOptions(label_set=config.label_set, decode=False, metadata=False, workers=1)
    ctx = context_for(submission, labels, options, reference, shown_root=shown_root or str(sub_path))
    submission.findings = discover(ctx)
    submission.estimates = submission.by_soundscape()
    return Prepared(reference, submission, ctx)


def prepare(sub_path: str | Path, ref_path: str | Path, config: ScoreConfig) -> tuple[ReferenceSet, Submission]:
    """The reference set and the submission, its estimates mapped to soundscapes (:func:`discover_submission`)."""
    found = discover_submission(sub_path, ref_path, config)
    return found.reference, found.submission


def run_score(sub_path: str | Path, ref_path: str | Path, config: ScoreConfig | None = None,
              progress: Callable[[int, int], None] | None = None,
              scorer: Callable[[Sequence[MixtureJob], ScoreOptions, int], Records] | None = None,
              source: str | None = None, reference: ReferenceSet | None = None,
              reference_cache: str | Path | None = None) -> ScoreRun:
    """Score a submission (folder or ``.zip``) against a reference set; see the module docstring for errors.

    The submission is first checked like ``s5eval validate`` does for the
    estimate files (names, duplicates, headers: channels, rate, length), without
    the package metadata. With errors it is refused (:class:`S5InputError`, exit
    1) unless ``config.force``: then the files with errors are left out and
    listed in ``ScoreRun.skipped_files``.

    ``scorer`` replaces :func:`iter_scores` (same arguments, records in job order):
    ``score-all`` passes one that serves cached records and farms the rest out.

    ``reference``: the reference set already loaded from ``ref_path`` with the run's label set
    (``score-all`` loads it once for all submissions).

    ``reference_cache``: a cache folder for the figures that depend on the reference set alone
    (:mod:`s5eval.scoring.reference_cache`): a repeated run against an unchanged reference set then
    reads no mixture file. None: no cache (the default of the API; ``s5eval score`` uses one).

    ``source``: what the user gave, when ``sub_path`` is not it (``score-all``
    and ``codabench`` pass the folder of an extracted zip and name the zip here):
    provenance and findings name it.
    """
    config = config or ScoreConfig()
    if config.metric not in METRICS:
        raise S5InputError([error("E_USAGE", "", f"unknown metric {config.metric!r}")], exit_code=2)
    with submission_folder(sub_path, config.archive_limits) as folder, collector_paused():
        return _run_score_folder(folder, source or str(sub_path), ref_path, config, progress, scorer, reference,
                                 reference_cache)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the run (back to its former state after it).

    A run builds hundreds of thousands of long-lived objects (the file model,
    the jobs, the records) and no reference cycles worth collecting; the
    collector would otherwise scan them all again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_headers(prepared: Prepared) -> list[Finding]:
    """The header checks of the discovered files (channels, rate, length, coverage), after the discovery's findings.

    Reference-set problems found on the way raise :class:`ReferenceSetError`.
    """
    findings = prepared.submission.findings + header_checks(prepared.ctx)
    ref_problems = [f for f in findings if is_reference_problem(f)]
    if ref_problems:
        raise ReferenceSetError(ref_problems)
    return findings


def files_with_errors(findings: Sequence[Finding], ctx: Context) -> list[str]:
    """The paths (as strings) of the estimate files that have an error among ``findings``."""
    bad = {f.file for f in findings if f.is_error}
    return [e.path_text for e in ctx.estimates if e.shown in bad]


def package_findings(ctx: Context) -> list[Finding]:
    """What ``validate`` says about the package around the estimates (name, JSON files, meta YAML).

    These do not bear on the numbers, so scoring reports them without refusing.
    """
    if ctx.kind != "package":
        return []
    from ..validate.runner import metadata_checks  # jsonschema and yaml: only for packages
    return metadata_checks(ctx)


def _run_score_folder(folder: Path, sub_path: str | Path, ref_path: str | Path, config: ScoreConfig,
                      progress, scorer, reference: ReferenceSet | None = None,
                      reference_cache: str | Path | None = None) -> ScoreRun:
    prepared = discover_submission(folder, ref_path, config, shown_root=str(sub_path), reference=reference)
    reference, submission, ctx = prepared.reference, prepared.submission, prepared.ctx
    submission.source = str(sub_path)
    store: ReferenceFactsStore | None = None
    known: dict[str, ReferenceFacts] = {}
    if reference_cache is not None:  # figures of unchanged mixtures: no mixture file is read for them
        store = ReferenceFactsStore(reference_cache, reference)
        known = store.known(reference.names)
        shapes: dict[tuple[int, int], tuple[int, int]] = {}  # one tuple per distinct shape, shared
        for name, facts in known.items():
            shape = (facts.samplerate, facts.frames)
            ctx.mixture_shapes[name] = shapes.setdefault(shape, shape)
    extra = load_extra_subsets(config.subsets, reference.subsets_csv, reference.names)
    options = ScoreOptions(config.selection, config.penalty_fn, config.penalty_fp, casa=config.metric == "casa-sdr",
                           si=config.metric in SI_METRICS)
    workers = config.workers or default_workers()
    skipped: set[str] = set()
    if config.force:  # the files with errors must be known before the jobs are made
        findings = check_headers(prepared)
        skipped = set(files_with_errors(findings, ctx))
        if skipped:
            submission.estimates = submission.by_soundscape(leave_out=skipped)
    jobs = jobs_for(reference, submission)
    if store is not None:
        jobs = with_known_facts(jobs, known)
    n_known = len(known)
    del known  # the jobs carry the figures now
    records: list[MixtureRecord] = []
    n_jobs = len(jobs)
    with closing((scorer or iter_scores)(jobs, options, workers)) as scores:
        if not config.force:  # a process pool is already scoring while the files are checked here
            findings = check_headers(prepared)
            if any(f.is_error for f in findings):
                raise S5InputError(findings + package_findings(ctx))
        around = package_findings(ctx)  # also while the pool scores
        digests = listing_digests(reference, submission, store.sizes if store is not None else None)
        for done, record in enumerate(scores, start=1):
            job = _take_job(cast("list[MixtureJob | None]", jobs), done - 1)
            records.append(share_job_strings(record, job))
            findings.extend(_shown_findings(record, job, ctx))
            if store is not None and job.reference is None and record.reference is not None:
                store.put(job.name, record.reference)
            record.reference = None  # the figures are in the reference cache now; the record does not keep them
            if progress:
                progress(done, n_jobs)
    cache_use = None
    if store is not None:
        store.save()
        cache_use = {"file": str(store.path), "known": n_known, "stored": store.stored}
    del jobs, store, scores  # the cache's entries are done with: the results are built without them
    ref_problems = [f for f in findings if is_reference_problem(f)]
    if ref_problems:
        raise ReferenceSetError(ref_problems)
    if any(f.is_error for f in findings) and not config.force:
        raise S5InputError(findings)
    scored = [r for r in records if r.scored]
    if not scored:
        raise S5InputError(findings + [error("E_NOTHING_SCORED", str(sub_path), "no mixture could be scored")])
    subsets = memberships({r.soundscape: r.ref_labels for r in scored}, extra)
    results = build_results(scored, subsets, config, reference, submission, len(records), digests)
    skipped_names = [Path(p).name for p in sorted(skipped)]
    return ScoreRun(config, reference, submission, records, subsets, results, findings, skipped_names, around,
                    cache_use)


def _take_job(jobs: list[MixtureJob | None], index: int) -> MixtureJob:
    """The job whose record came back, let go of in ``jobs``: a record's memory then reuses its job's.

    A backend gives the records in job order and never looks at a job again once its record is out (the
    process pool scores again only the tasks none of whose records came out).
    """
    job = jobs[index]
    assert job is not None, "a backend gave more records than jobs"
    jobs[index] = None
    return job


def _shown_findings(record: MixtureRecord, job: MixtureJob, ctx: Context) -> list[Finding]:
    """The record's findings with its estimates named as the user gave them.

    Not the temporary folder of an extracted zip, nor the path of the run that
    put a cached record in the cache (matched by filename within the mixture).
    """
    if not record.findings:
        return []
    shown: dict[str, str] = {}
    for estimate in job.estimates:
        shown[estimate.path] = shown[Path(estimate.path).name] = ctx.shown(Path(estimate.path))
    return [f if is_reference_problem(f) or not (name := shown.get(f.file) or shown.get(Path(f.file).name))
            else Finding(f.code, f.severity, name, f.message) for f in record.findings]


