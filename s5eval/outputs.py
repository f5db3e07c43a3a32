"""The four output files of ``s5eval score --out DIR``, each written atomically.

* ``results.json``: summary, subsets, per_class, provenance (schema: schemas/results.schema.json)
* ``scores.json``: the summary flattened for Codabench (``capi_sdri``, ``capi_sdri_duplicate``, …)
* ``per_mixture.csv``: one row per mixture
* ``per_source.csv``: one row per TP pair or penalty entry
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Iterable, TextIO

from .atomic import write_atomic, write_json_atomic
from .engine import MixtureRecord

OUTPUT_FILES = ("results.json", "scores.json", "per_mixture.csv", "per_source.csv")
PER_MIXTURE_COLUMNS = ("soundscape", "subsets", "n_ref", "n_est", "tp", "fp", "fn", "mixture_correct",
                       "capi_sdri", "ca_sdri_2025", "ref_labels", "est_labels", "pairing")
PER_SOURCE_COLUMNS = ("soundscape", "label", "kind", "estimate", "reference", "sdr", "sdr_mixture", "sdri", "value")
SCORES_KEYS = ("capi_sdri", "accuracy_mix", "accuracy_src", "ca_sdri_2025", "casa_sdr_sb", "casa_sdr_eb")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def flat_scores(results: dict) -> dict:
    """Codabench ``scores.json``: headline keys for ``all`` and ``<key>_<subset>`` for the others."""
    out: dict[str, float] = {}
    for subset, figures in results["subsets"].items():
        suffix = "" if subset == "all" else "_" + _slug(subset)
        for key in SCORES_KEYS:
            value = figures.get(key)
            if value is not None and math.isfinite(value):
                out[key + suffix] = round(float(value), 6)
    return out


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def _write_csv(handle: TextIO, columns: Iterable[str], rows: Iterable[dict]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    columns = list(columns)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_fmt(row.get(c)) for c in columns])


def mixture_rows(records: list[MixtureRecord], subsets: dict[str, list[str]]) -> list[dict]:
    member_of: dict[str, list[str]] = {}
    for name, mixes in subsets.items():
        for mix in mixes:
            member_of.setdefault(mix, []).append(name)
    return [{
        "soundscape": r.soundscape, "subsets": "|".join(member_of.get(r.soundscape, [])),
        "n_ref": r.n_ref, "n_est": r.n_est, "tp": r.tp, "fp": r.fp, "fn": r.fn,
        "mixture_correct": r.mixture_correct, "capi_sdri": r.capi_sdri, "ca_sdri_2025": r.ca_sdri_2025,
        "ref_labels": "|".join(r.ref_labels), "est_labels": "|".join(r.est_labels), "pairing": r.pairing,
    } for r in records]


def write_outputs(out_dir: str | Path, results: dict, records: list[MixtureRecord],
                  subsets: dict[str, list[str]]) -> list[Path]:
    """Write the four files; ``scores.json`` last, so its presence means the others are complete."""
    out = Path(out_dir)
    scored = [r for r in records if r.scored]
    write_json_atomic(out / "results.json", results)
    write_atomic(out / "per_mixture.csv", lambda h: _write_csv(h, PER_MIXTURE_COLUMNS, mixture_rows(scored, subsets)))
    write_atomic(out / "per_source.csv",
                 lambda h: _write_csv(h, PER_SOURCE_COLUMNS, (row for r in scored for row in r.sources)))
    write_json_atomic(out / "scores.json", flat_scores(results))
    return [out / name for name in OUTPUT_FILES]


def remove_stale_outputs(out_dir: str | Path) -> None:
    """After a failed run, remove results a leaderboard could mistake for this run's."""
    for name in ("scores.json", "results.json"):
        (Path(out_dir) / name).unlink(missing_ok=True)
