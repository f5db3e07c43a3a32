"""The record of one scored mixture: every per-mixture figure and the reference facts it was computed from.

A :class:`MixtureRecord` is what a worker returns, what the cache stores and
what the output files, the aggregation and the pages read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Finding


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
    it is None when they were handed to the job, known from an earlier run.
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
    pairing: str = ""
    sources: list[dict] = field(default_factory=list)
    si_sources: list[dict] = field(default_factory=list)  # the CAPI-SI-SDRi entries (ScoreOptions.si only)
    findings: list[Finding] = field(default_factory=list)
    scored: bool = True
    reference: ReferenceFacts | None = field(default=None, compare=False, repr=False)  # not stored in caches

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
