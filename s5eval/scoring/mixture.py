"""Scoring of one mixture from its files: read, check, compute every per-mixture figure.

A worker process runs :func:`score_mixture` on one :class:`MixtureJob` at a time,
so memory holds one mixture's audio per worker and never grows with the set.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np

from ..findings import Finding, error, warning
from ..io.audio import AudioReadError, NotRegularAudioError, TruncatedAudioError, may_hold_nonfinite, read_audio
from ..io.buffers import SampleBuffers, thread_buffers
from ..metrics.ca2025 import ca_sdri_2025_from_matrices
from ..metrics.capi import CAPIResult, capi_from_matrices, class_matrices, nonfinite_findings, selections_agree
from ..metrics.label_counts import label_counts
from ..metrics.sdr import energy, error_energy
from ..results.record import MixtureRecord, ReferenceFacts, SourceRow
from ..validate.audio import shape_findings
from .config import ScoreOptions


_SILENCE_PROBE = 4096  # samples looked at first when checking for an all-zero estimate


@dataclass(frozen=True, slots=True)
class SourceJob:
    label: str
    path: str
    filename: str


@dataclass(frozen=True, slots=True)
class MixtureJob:
    name: str
    mixture_path: str
    targets: tuple[SourceJob, ...]
    estimates: tuple[SourceJob, ...]
    reference: ReferenceFacts | None = None  # known reference figures: the mixture is not read again


def read_problem(exc: AudioReadError, prefix: str, path: str) -> Finding:
    """The finding for a file that could not be read: ``<prefix>TRUNCATED``, ``NOT_REGULAR_FILE`` or ``UNREADABLE``."""
    if isinstance(exc, TruncatedAudioError):
        kind = "TRUNCATED"
    elif isinstance(exc, NotRegularAudioError):
        kind = "NOT_REGULAR_FILE"
    else:
        kind = "UNREADABLE"
    return error(prefix + kind, path, f"{exc}")


def _read_checked(job: SourceJob, role: str, frames: int, samplerate: int,
                  findings: list[Finding], buffers: SampleBuffers) -> np.ndarray | None:
    """Read a mono source; problems become findings (reference problems get E_REF_ codes)."""
    prefix = "E_REF_" if role == "target" else "E_"
    try:
        samples, info = read_audio(job.path, buffers=buffers, pcm16_as_int16=True)
    except AudioReadError as exc:
        findings.append(read_problem(exc, prefix, job.path))
        return None
    problems = shape_findings(info, job.path, samplerate, frames, role, prefix)
    if problems:
        findings.extend(problems)
        return None
    mono = samples[:, 0]
    if may_hold_nonfinite(info) and not np.isfinite(mono).all():  # integer PCM cannot hold NaN
        findings.append(error(prefix + "NONFINITE", job.path, "contains NaN or infinite samples"))
        return None
    if role == "estimate" and not mono[:_SILENCE_PROBE].any() and not mono.any():  # audio is rarely silent that long
        findings.append(warning("W_SILENT_ESTIMATE", job.path, "is all zeros (scored as it is)"))
    return mono


def _source_rows(job: MixtureJob, result: CAPIResult) -> tuple[SourceRow, ...]:
    """The entries of a CAPI result: its TP pairs, then the missed references (FN), then the false estimates (FP)."""
    ests, refs = job.estimates, job.targets
    rows = [SourceRow(job.name, p.label, "tp", ests[p.est].filename, refs[p.ref].filename, p.sdr, p.sdr_mixture,
                      p.sdri, p.sdri) for p in result.pairs]
    rows += [SourceRow(job.name, refs[j].label, "fn", "", refs[j].filename, None, None, None, result.penalty_fn)
             for j in result.missed]
    rows += [SourceRow(job.name, ests[i].label, "fp", ests[i].filename, "", None, None, None, result.penalty_fp)
             for i in result.spurious]
    return tuple(rows)


def score_mixture(job: MixtureJob, options: ScoreOptions) -> MixtureRecord:
    """Read one mixture's files and compute all its figures; bad files give findings, not exceptions."""
    record = MixtureRecord(job.name, [t.label for t in job.targets], [e.label for e in job.estimates])
    counts = label_counts(record.est_labels, record.ref_labels)
    record.tp, record.fp, record.fn = counts.tp, counts.fp, counts.fn
    findings = record.findings
    buffers = thread_buffers()  # this mixture's signals reuse the previous mixture's memory
    buffers.reset()
    facts = job.reference
    if options.casa or options.si or (facts is not None and facts.target_paths != tuple(t.path for t in job.targets)):
        facts = None  # CASA-SDR and SI-SDR read the mixture itself; figures of other targets are not these
    mixture = None
    if facts is None:
        try:
            mixture, mix_info = read_audio(job.mixture_path, channel=0, buffers=buffers, pcm16_as_int16=True)
        except AudioReadError as exc:
            findings.append(read_problem(exc, "E_REF_", job.mixture_path))
            record.scored = False
            return record
        mixture_fault = None  # the mixture's own faults are the reference set's, never the participant's
        if mix_info.frames <= 0:
            mixture_fault = error("E_REF_EMPTY_AUDIO", job.mixture_path, "the mixture holds no samples")
        elif may_hold_nonfinite(mix_info) and not np.isfinite(mixture).all():
            mixture_fault = error("E_REF_NONFINITE", job.mixture_path,
                                  "the mixture contains NaN or infinite samples (channel 0)")
        if mixture_fault is not None:
            findings.append(mixture_fault)
            record.scored = False
            return record
        frames, rate = mix_info.frames, mix_info.samplerate
    else:
        frames, rate = facts.frames, facts.samplerate
    estimated = set(record.est_labels)  # with known facts, a target no estimate shares a class with is not read
    refs = [_read_checked(t, "target", frames, rate, findings, buffers)
            if facts is None or t.label in estimated else None for t in job.targets]
    ests = [_read_checked(e, "estimate", frames, rate, findings, buffers) for e in job.estimates]
    if any(f.is_error for f in findings):
        record.scored = False
        return record
    est_wavs = cast(list[np.ndarray], ests)  # every one was read: one that was not gave an error finding above
    if facts is None:  # then every target was read, and the mixture
        assert mixture is not None
        ref_wavs = cast(list[np.ndarray], refs)
        facts = ReferenceFacts(tuple(t.path for t in job.targets), frames, rate,
                               tuple(energy(r) for r in ref_wavs), tuple(error_energy(r, mixture) for r in ref_wavs))
        record.reference = facts  # new figures, for the reference caches (known ones are not sent back)
    matrices = class_matrices(record.est_labels, est_wavs, record.ref_labels, refs, mixture,
                              facts.target_energies, facts.mixture_error_energies)
    official = capi_from_matrices(matrices, "official", options.penalty_fn, options.penalty_fp)
    paper = official if selections_agree(matrices) else \
        capi_from_matrices(matrices, "paper", options.penalty_fn, options.penalty_fp)
    results = {"official": official, "paper": paper}
    chosen = results[options.selection]
    record.capi_sdri = chosen.value
    record.capi_sdri_official = results["official"].value
    record.capi_sdri_paper = results["paper"].value
    record.n_entries = chosen.n_entries
    record.n_pairs = len(chosen.pairs)
    record.tp_sdri_sum = chosen.tp_sdri_sum
    record.penalty_mass = chosen.penalty_mass
    record.sources = _source_rows(job, chosen)
    ca = ca_sdri_2025_from_matrices(record.est_labels, record.ref_labels, matrices)
    record.ca_sdri_2025, record.label_set_correct_2025 = ca.value, ca.label_set_correct
    if options.casa:
        from ..metrics.casa import casa_sdr
        record.casa_sdr = casa_sdr(record.est_labels, est_wavs, record.ref_labels, ref_wavs, mixture).to_dict()
    if options.si:
        from ..metrics.si_sdr import si_class_matrices
        assert mixture is not None  # read: SI-SDR never uses known facts
        si_matrices = si_class_matrices(record.est_labels, est_wavs, record.ref_labels, ref_wavs, mixture)
        si_chosen = capi_from_matrices(si_matrices, options.selection, options.penalty_fn, options.penalty_fp)
        record.capi_si_sdri = si_chosen.value
        record.si_sources = _source_rows(job, si_chosen)
        record.ca_si_sdri_2025 = ca_sdri_2025_from_matrices(record.est_labels, record.ref_labels, si_matrices).value
    figures = (record.capi_sdri_official, record.capi_sdri_paper, record.ca_sdri_2025,
               *(record.casa_sdr or {}).values(), record.capi_si_sdri, record.ca_si_sdri_2025)
    if not all(v is None or math.isfinite(v) for v in figures):  # an energy beyond float32: official SDR ±inf/NaN
        findings.extend(nonfinite_findings([e.path for e in job.estimates], [t.path for t in job.targets], est_wavs,
                                           refs, facts.target_energies, facts.mixture_error_energies))
        record.scored = False
    return record


def share_job_strings(record: MixtureRecord, job: MixtureJob) -> MixtureRecord:
    """The record with its names and labels replaced by the equal strings the job holds (returned as well).

    A record that comes back from a worker process brings its own copies of the soundscape's name, the
    labels and the file names; the run keeps thousands of records, so each keeps the strings its job
    (and the file model behind it) already holds instead.
    """
    shared = {job.name: job.name}
    for source in (*job.targets, *job.estimates):
        shared.setdefault(source.label, source.label)
        shared.setdefault(source.filename, source.filename)
    record.soundscape = shared.get(record.soundscape, record.soundscape)
    record.ref_labels = [shared.get(label, label) for label in record.ref_labels]
    record.est_labels = [shared.get(label, label) for label in record.est_labels]
    record.sources = tuple(_shared_row(row, shared) for row in record.sources)
    record.si_sources = tuple(_shared_row(row, shared) for row in record.si_sources)
    return record


_ROW_WORDS = {kind: kind for kind in ("tp", "fn", "fp", "")}  # the values of a row's "kind" (and an empty name)


def _shared_row(row: SourceRow, shared: dict[str, str]) -> SourceRow:
    return row._replace(soundscape=shared.get(row.soundscape, row.soundscape), label=shared.get(row.label, row.label),
                        kind=_ROW_WORDS.get(row.kind, row.kind),
                        estimate=shared.get(row.estimate) or _ROW_WORDS.get(row.estimate, row.estimate),
                        reference=shared.get(row.reference) or _ROW_WORDS.get(row.reference, row.reference))


def jobs_for(reference, submission) -> list[MixtureJob]:
    """One job per reference mixture (sorted by name), with its targets and estimates in filename order."""
    jobs = []
    for name, mix in reference.mixtures.items():
        targets = tuple(SourceJob(t.label, t.path_text, t.filename) for t in mix.targets)
        estimates = tuple(SourceJob(e.label, e.path_text, e.filename)
                          for e in submission.estimates.get(name, []))
        jobs.append(MixtureJob(name, mix.path_text, targets, estimates))
    return jobs
