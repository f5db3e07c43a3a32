"""The typed shape of ``results.json`` (``schemas/results.schema.json`` in Python types).

:func:`s5eval.scoring.aggregate.build_results` returns a :class:`ResultsDocument`;
the leaderboard, the pages and the files read one. Figures are ``None`` when
undefined (dB for SDR-type figures, percent for accuracies and rates).
``tests/test_schemas.py`` checks that these types, the JSON Schema and what a
run writes name the same keys.
"""
from __future__ import annotations

from typing import TypedDict


class Figures(TypedDict, total=False):
    """The figures of one subset (and of the summary): see ``docs/metrics.md``."""

    capi_sdri: float | None                # dB
    capi_sdri_ci_low: float | None         # dB, 95 % bootstrap interval
    capi_sdri_ci_high: float | None
    accuracy_mix: float | None             # %
    accuracy_mix_ci_low: float | None
    accuracy_mix_ci_high: float | None
    accuracy_src: float | None             # %
    accuracy_src_ci_low: float | None
    accuracy_src_ci_high: float | None
    n_mixtures: int
    n_scored: int                          # mixtures in the CAPI-SDRi mean
    tp: int
    fp: int
    fn: int
    count_accuracy: float | None           # %
    zero_target_fp_rate: float | None      # %
    tp_sdri: float | None                  # dB
    penalty_share: float | None            # %
    penalty_mass: float | None             # dB
    ca_sdri_2025: float | None             # dB
    n_scored_2025: int
    label_accuracy_2025: float | None      # %
    casa_sdr_sb: float | None              # dB, --metric casa-sdr only
    casa_sdr_eb: float | None
    capi_si_sdri: float | None             # dB, --metric capi-si-sdri / ca-si-sdri only
    capi_si_sdri_ci_low: float | None
    capi_si_sdri_ci_high: float | None
    n_scored_si: int
    ca_si_sdri_2025: float | None
    ca_si_sdri_2025_ci_low: float | None
    ca_si_sdri_2025_ci_high: float | None
    n_scored_si_2025: int


class Summary(Figures, total=False):
    """The figures on ``all`` and what the headline is."""

    metric: str       # the results key of the headline, e.g. capi_sdri
    n_skipped: int    # mixtures left out for errors (with --force)


class ClassFigures(TypedDict, total=False):
    """One class over all mixtures."""

    n_ref: int
    n_est: int
    tp: int
    fp: int
    fn: int
    precision: float | None   # %
    recall: float | None      # %
    f1: float | None          # %
    tp_sdri: float | None     # dB
    tp_si_sdri: float | None  # dB, scale-invariant metrics only


class Provenance(TypedDict, total=False):
    """How the figures were made: tool, options, inputs and their digests."""

    tool: str
    version: str
    metric: str
    selection: str
    penalty_fn: float
    penalty_fp: float
    bootstrap_resamples: int
    bootstrap_seed: int
    subsets_source: str | None
    label_set: str
    reference: str
    reference_digest: str | None
    submission: str
    submission_label: str
    submission_digest: str | None
    forced: bool


class ResultsDocument(TypedDict):
    """The whole of ``results.json``."""

    summary: Summary
    subsets: dict[str, Figures]
    per_class: dict[str, ClassFigures]
    provenance: Provenance
