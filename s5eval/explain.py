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
from pathlib import Path

from .engine import ScoreOptions, jobs_for, score_mixture
from .findings import S5InputError, error
from .io.audio import read_audio
from .metrics.capi import CAPIResult, capi_from_matrices, class_matrices
from .metrics.si_sdr import si_class_matrices
from .score import ScoreConfig, prepare


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


def explain_mixture(sub_path: str | Path, ref_path: str | Path, mixture: str,
                    config: ScoreConfig | None = None) -> dict:
    """Everything about one mixture's score, as a JSON-able dict (dB for SDR values)."""
    config = config or ScoreConfig()
    reference, submission = prepare(sub_path, ref_path, config)
    if mixture not in reference.mixtures:
        close = difflib.get_close_matches(mixture, reference.names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise S5InputError([error("E_UNKNOWN_MIXTURE", mixture, f"no soundscape named {mixture!r} in the reference "
                                  f"set{hint}")], exit_code=2)
    job = next(j for j in jobs_for(reference, submission) if j.name == mixture)
    options = ScoreOptions(config.selection, config.penalty_fn, config.penalty_fp)
    record = score_mixture(job, options)
    name_problems = [f for f in submission.findings if mixture in Path(f.file).name]
    if not record.scored:
        raise S5InputError(record.findings)
    mix = read_audio(job.mixture_path, channel=0)[0].reshape(-1)
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
    return {
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
