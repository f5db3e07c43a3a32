"""Why a mixture scored what it did (``s5eval explain``).

For one soundscape: the reference and estimated labels, per class the SDR of
every same-class (estimate, reference) pair, the chosen pairing with each
pair's SDR, SDR of the mixture and SDRi (all dB), the penalty entries (missed
and false sources), and the CAPI-SDRi under both pairing selections, with the
pairs that differ between them. With ``ScoreConfig.metric`` ``capi-si-sdri``
or ``ca-si-sdri`` the same is shown with SI-SDR in place of SDR (CAPI-SI-SDRi).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from .mixture import MixtureJob, jobs_for, score_mixture
from .config import ScoreOptions
from ..findings import S5InputError, error
from ..io.audio import read_audio
from ..io.refset import ReferenceSet
from ..io.submission import Submission
from ..metrics.capi import CAPIResult, capi_from_matrices, class_matrices
from ..metrics.si_sdr import si_class_matrices
from .config import ScoreConfig
from .run import prepare


def _pairs(result: CAPIResult, est_names: list[str], ref_names: list[str]) -> list[dict]:
    return [{"label": p.label, "estimate": est_names[p.est], "reference": ref_names[p.ref], "sdr": p.sdr,
             "sdr_mixture": p.sdr_mixture, "sdri": p.sdri} for p in result.pairs]


def _selection(result: CAPIResult, est_names: list[str], ref_names: list[str]) -> dict:
    return {
        "capi_sdri": result.value,
        "pairs": _pairs(result, est_names, ref_names),
        "missed": [{"reference": ref_names[j], "penalty": result.penalty_fn} for j in result.missed],
        "spurious": [{"estimate": est_names[i], "penalty": result.penalty_fp} for i in result.spurious],
        "n_entries": result.n_entries,
        "tp_sdri_sum": result.tp_sdri_sum,
        "penalty_mass": result.penalty_mass,
    }


@dataclass
class MixtureSignals:
    """The signals of one explained mixture: float32 samples at ``samplerate`` Hz.

    ``mixture`` is channel 0 of the mixture (the reference microphone); ``references`` and
    ``estimates`` are in the order of the explanation's ``reference`` and ``estimates`` lists.
    """

    samplerate: int
    mixture: np.ndarray
    references: list[np.ndarray]
    estimates: list[np.ndarray]


def mixture_jobs(reference: ReferenceSet, submission: Submission) -> dict[str, MixtureJob]:
    """The scoring job of every mixture of a prepared reference set and submission, by soundscape name."""
    return {job.name: job for job in jobs_for(reference, submission)}


def explain_mixture(sub_path: str | Path, ref_path: str | Path, mixture: str,
                    config: ScoreConfig | None = None) -> dict:
    """Everything about one mixture's score, as a JSON-able dict (dB for SDR values)."""
    config = config or ScoreConfig()
    reference, submission = prepare(sub_path, ref_path, config)
    return explain_prepared(reference, submission, mixture, config)


def explain_prepared(reference: ReferenceSet, submission: Submission, mixture: str,
                     config: ScoreConfig | None = None, jobs: Mapping[str, MixtureJob] | None = None) -> dict:
    """:func:`explain_mixture` of an already prepared reference set and submission (see ``score.prepare``).

    ``jobs`` (from :func:`mixture_jobs`) saves building them again when many mixtures are explained.
    """
    return explain_with_signals(reference, submission, mixture, config, jobs)[0]


def explain_with_signals(reference: ReferenceSet, submission: Submission, mixture: str,
                         config: ScoreConfig | None = None, jobs: Mapping[str, MixtureJob] | None = None,
                         ) -> tuple[dict, MixtureSignals]:
    """:func:`explain_prepared` plus the signals it read (mixture channel 0, references, estimates)."""
    config = config or ScoreConfig()
    if mixture not in reference.mixtures:
        close = difflib.get_close_matches(mixture, reference.names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise S5InputError([error("E_UNKNOWN_MIXTURE", mixture, f"no soundscape named {mixture!r} in the reference "
                                  f"set{hint}")], exit_code=2)
    job = jobs[mixture] if jobs is not None else mixture_jobs(reference, submission)[mixture]
    options = ScoreOptions(config.selection, config.penalty_fn, config.penalty_fp)
    record = score_mixture(job, options)
    name_problems = [f for f in submission.findings if mixture in Path(f.file).name]
    if not record.scored:
        raise S5InputError(record.findings)
    mix, mix_info = read_audio(job.mixture_path, channel=0)
    mix = mix.reshape(-1)
    refs = [read_audio(t.path)[0][:, 0] for t in job.targets]
    ests = [read_audio(e.path)[0][:, 0] for e in job.estimates]
    est_labels, ref_labels = [e.label for e in job.estimates], [t.label for t in job.targets]
    est_names, ref_names = [e.filename for e in job.estimates], [t.filename for t in job.targets]
    scale_invariant = config.metric in ("capi-si-sdri", "ca-si-sdri")
    matrices = (si_class_matrices if scale_invariant else class_matrices)(est_labels, ests, ref_labels, refs, mix)
    results = {sel: capi_from_matrices(matrices, sel, config.penalty_fn, config.penalty_fp)
               for sel in ("official", "paper")}
    classes = []
    for label, cm in matrices.items():
        classes.append({
            "label": label, "n_ref": len(cm.ref_index), "n_est": len(cm.est_index),
            "estimates": [est_names[i] for i in cm.est_index], "references": [ref_names[j] for j in cm.ref_index],
            "sdr": cm.sdr.tolist(), "sdr_mixture": cm.sdr_mixture.tolist(),
            "sdri": (cm.sdr - cm.sdr_mixture[None, :]).tolist() if cm.sdr.size else [],
        })
    official, paper = (_selection(results[s], est_names, ref_names) for s in ("official", "paper"))
    key = lambda p: (p["estimate"], p["reference"])  # noqa: E731
    only_official = sorted({key(p) for p in official["pairs"]} - {key(p) for p in paper["pairs"]})
    only_paper = sorted({key(p) for p in paper["pairs"]} - {key(p) for p in official["pairs"]})
    change = None
    if official["capi_sdri"] is not None and paper["capi_sdri"] is not None:
        change = paper["capi_sdri"] - official["capi_sdri"]
    data = {
        "soundscape": mixture, "selection": config.selection,
        "measure": "SI-SDR" if scale_invariant else "SDR",  # what "sdr"/"sdri" below hold (dB)
        "penalty_fn": config.penalty_fn, "penalty_fp": config.penalty_fp,
        "reference": [{"file": n, "label": lb} for n, lb in zip(ref_names, ref_labels)],
        "estimates": [{"file": n, "label": lb} for n, lb in zip(est_names, est_labels)],
        "tp": record.tp, "fp": record.fp, "fn": record.fn, "mixture_correct": record.mixture_correct,
        "excluded": record.capi_sdri is None,
        "classes": classes,
        "official": official, "paper": paper,
        "paper_minus_official": change,
        "pairs_only_official": [list(p) for p in only_official],
        "pairs_only_paper": [list(p) for p in only_paper],
        "findings": [f.to_dict() for f in record.findings + name_problems],
    }
    return data, MixtureSignals(mix_info.samplerate, mix, refs, ests)
