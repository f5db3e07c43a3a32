"""The record of one scored mixture: every per-mixture figure and the reference facts it was computed from.

A :class:`MixtureRecord` is what a worker returns, what the cache stores and
what the output files, the aggregation and the pages read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..findings import Finding


class SourceRow(NamedTuple):
    """One entry of a mixture's CAPI-SDRi (a row of ``per_source.csv``, in its column order).

    ``kind`` is ``tp`` (an estimate paired with a reference of its class), ``fn`` (a reference no estimate
    was paired with) or ``fp`` (an estimate with no reference). For a TP entry ``sdr``, ``sdr_mixture`` and
    ``sdri`` are SDR(estimate, reference), SDR(mixture, reference) and their difference in dB, and ``value``
    is ``sdri``; for a penalty entry these are None, ``value`` is the penalty (dB) and ``estimate`` or
    ``reference`` is "". A tuple rather than a dict: a run keeps every row of thousands of mixtures.
    """

    soundscape: str
    label: str
    kind: str
    estimate: str
    reference: str
    sdr: float | None
    sdr_mixture: float | None
    sdri: float | None
    value: float | None


def pairing_text(rows: "tuple[SourceRow, ...]") -> str:
    """The entries as per_mixture.csv's ``pairing`` column gives them: ``EST->REF`` for each TP pair, then
    ``FN:REF`` and ``FP:EST`` for the penalty entries, joined by ``;``."""
    return ";".join(f"{row.estimate}->{row.reference}" if row.kind == "tp" else
                    f"FN:{row.reference}" if row.kind == "fn" else f"FP:{row.estimate}" for row in rows)


@dataclass(frozen=True, slots=True)
class ReferenceFacts:
    """What a mixture's scores need from its reference files besides the targets' samples.

    The same for every submission, so ``score-all`` computes them once per
    mixture and hands them to the jobs of the later submissions, which then
    read neither the mixture nor the targets that no estimate shares a class with.
    """

    target_paths: tuple[str, ...]             # the targets these figures belong to, in job order
    frames: int                               # samples per channel of the mixture
    samplerate: int                           # Hz
    target_energies: tuple[float, ...]        # Σ s_j²
    mixture_error_energies: tuple[float, ...]  # Σ (s_j − y)², y = channel 0 of the mixture


@dataclass(slots=True)  # thousands of them live to the end of a run: no per-instance dict
class MixtureRecord:
    """Every per-mixture figure (dB for SDR values) plus the per-source rows.

    ``reference`` holds the reference figures the scoring of this mixture computed (for the reference caches);
    it is None when they were handed to the job, known from an earlier run, and once a scoring run has given
    them to its reference cache (:func:`s5eval.scoring.run.run_score` keeps records without them).
    """

    soundscape: str
    ref_labels: list[str]
    est_labels: list[str]
    tp: int = 0
    fp: int = 0
    fn: int = 0
    capi_sdri: float | None = None
    capi_sdri_official: float | None = None
    capi_sdri_paper: float | None = None
    n_entries: int = 0
    n_pairs: int = 0
    tp_sdri_sum: float = 0.0
    penalty_mass: float = 0.0
    ca_sdri_2025: float | None = None
    label_set_correct_2025: bool | None = None
    casa_sdr: dict | None = None
    capi_si_sdri: float | None = None      # computed with ScoreOptions.si only
    ca_si_sdri_2025: float | None = None   # computed with ScoreOptions.si only
    sources: tuple[SourceRow, ...] = ()
    si_sources: tuple[SourceRow, ...] = ()  # the CAPI-SI-SDRi entries (ScoreOptions.si only)
    findings: list[Finding] = field(default_factory=list)
    scored: bool = True
    reference: ReferenceFacts | None = field(default=None, compare=False, repr=False)  # not stored in caches

    @property
    def pairing(self) -> str:
        """The CAPI-SDRi entries as text (:func:`pairing_text`), the ``pairing`` column of per_mixture.csv."""
        return pairing_text(self.sources)

    @property
    def n_ref(self) -> int:
        return len(self.ref_labels)

    @property
    def n_est(self) -> int:
        return len(self.est_labels)

    @property
    def mixture_correct(self) -> bool:
        return self.fp == 0 and self.fn == 0

    @property
    def count_correct(self) -> bool:
        return self.n_ref == self.n_est
