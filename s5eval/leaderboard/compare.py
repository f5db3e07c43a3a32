"""Paired comparison of two systems on the same mixtures, per subset (``s5eval compare``).

Each side is a score output (a ``results.json`` or the folder holding it,
with ``per_mixture.csv`` next to it) or a submission, which is scored first.
For every subset both systems were scored on, and for CAPI-SDRi (dB; or
CA-SDRi / CASA-SDR with ``metric``), mixture accuracy (%) and source accuracy
(%): A − B, its paired-bootstrap 95 % interval and two-sided p-value
(:mod:`.paired`). Where a figure is undefined on a subset for either side
(e.g. CAPI-SDRi on ``zero_target``), A − B, its interval and p are None.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..findings import S5InputError, error
from ..results.files import mixture_rows
from ..io.loaders import load_json_file
from ..scoring.config import ScoreConfig
from ..scoring.run import run_score
from .inputs import read_per_mixture
from .paired import bootstrap_figures, paired_differences
from ..results import figures as catalogue
from ..results.figures import COMPARABLE
from .table import metric_key, metric_name, ratio_data, subset_mixtures

COMPARED = ("capi_sdri", "accuracy_mix", "accuracy_src")


@dataclass
class Side:
    label: str
    mixtures: pd.DataFrame
    subsets: list[str]


def _subsets_of(frame: pd.DataFrame) -> list[str]:
    names: dict[str, None] = {}
    for text in frame["subsets"]:
        for name in str(text).split("|"):
            if name:
                names.setdefault(name, None)
    return list(names)


def _score_output(path: Path) -> Path | None:
    """The per_mixture.csv of a score output given as results.json or its folder, else None."""
    folder = path.parent if path.is_file() and path.name.endswith(".json") else path
    csv = folder / "per_mixture.csv"
    return csv if (folder / "results.json").is_file() and csv.is_file() else None


def load_side(path: str | Path, ref: str | Path | None, config: ScoreConfig) -> Side:
    """Per-mixture figures of one side: read from a score output, or by scoring a submission against ``ref``."""
    path = Path(path)
    csv = _score_output(path)
    if csv is not None:
        frame = read_per_mixture(csv)
        if frame is None:
            raise S5InputError([error("E_PER_MIXTURE", str(csv), "per_mixture.csv is unreadable or lacks columns")])
        label = csv.parent.name
        present = _subsets_of(frame)
        try:  # results.json lists the subsets in their reporting order
            order = list(load_json_file(csv.parent / "results.json")[0]["subsets"])
        except (KeyError, TypeError):
            order = []
        return Side(label, frame, [s for s in order if s in present] + [s for s in present if s not in order])
    if ref is None:
        raise S5InputError([error("E_USAGE", str(path), "is not a score output (results.json + per_mixture.csv); "
                                  "give --ref to score it as a submission")], exit_code=2)
    run = run_score(path, ref, config)  # a zip is extracted safely there, and named as given
    scored = [r for r in run.records if r.scored]
    frame = pd.DataFrame(mixture_rows(scored, run.subsets)).set_index("soundscape")
    frame["capi_sdri"] = pd.to_numeric(frame["capi_sdri"], errors="coerce")
    frame["ca_sdri_2025"] = pd.to_numeric(frame["ca_sdri_2025"], errors="coerce")
    if any(r.casa_sdr for r in scored):  # scored with --metric casa-sdr
        frame["casa_sdr_sb"] = pd.to_numeric(pd.Series([(r.casa_sdr or {}).get("casa_sdr_sb") for r in scored],
                                                       index=frame.index, dtype=object), errors="coerce")
    return Side(run.submission.label, frame, list(run.subsets))


def compare_sides(a: Side, b: Side, n_resamples: int = 10_000, seed: int = 0,
                  metric: str = "capi_sdri") -> list[dict]:
    """One row per (subset, figure): n mixtures, A, B, A − B, 95 % interval, p-value (None where undefined).

    ``metric`` is the dB figure compared besides the accuracies: ``capi-sdri`` (default), ``ca-sdri`` or
    ``casa-sdr`` (also spelled as results keys, ``capi_sdri``).
    """
    metric = metric_key(metric)
    if metric not in COMPARABLE:
        raise S5InputError([error("E_USAGE", "", f"compare takes --metric {', '.join(map(metric_name, COMPARABLE))} "
                                  f"(the accuracies are always compared), not {metric_name(metric)!r}")], exit_code=2)
    for side in (a, b):
        if metric not in side.mixtures.columns:
            how = " (score it with --metric casa-sdr)" if metric == "casa_sdr_sb" else ""
            raise S5InputError([error("E_USAGE", side.label, f"holds no per-mixture {catalogue.title(metric)} "
                                      f"({metric}){how}")], exit_code=2)
    common = a.mixtures.index.intersection(b.mixtures.index)
    if len(common) == 0:
        raise S5InputError([error("E_NO_COMMON_MIXTURES", "", f"{a.label} and {b.label} share no scored mixture "
                                  "(were they scored on the same reference set?)")])
    rows = []
    systems = [a, b]
    for subset in [s for s in a.subsets if s in b.subsets]:
        from .inputs import SystemResult
        wrapped = [SystemResult(s.label, "ok", "", mixtures=s.mixtures) for s in systems]
        members = sorted(subset_mixtures(wrapped[0], subset) & subset_mixtures(wrapped[1], subset))
        if not members:
            continue
        for key in (metric,) + COMPARED[1:]:
            data = ratio_data(wrapped, key, members)
            point = data.point()
            row = {"subset": subset, "metric": key, "n_mixtures": len(members), "a": _finite(point[0]),
                   "b": _finite(point[1]), "diff": None, "ci_low": None, "ci_high": None, "p_value": None}
            if row["a"] is not None and row["b"] is not None:  # else undefined: nothing to test
                boot = bootstrap_figures(data, n_resamples, seed)
                with np.errstate(invalid="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN resamples of a tiny subset
                    (diff,) = paired_differences(boot, point, [0], [1])
                row.update(diff=_finite(diff.diff), ci_low=_finite(diff.ci_low), ci_high=_finite(diff.ci_high),
                           p_value=_finite(diff.p_value))
            rows.append(row)
    return rows


def _finite(value) -> float | None:
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None
