"""Assembling a leaderboard: ranks, team ranks, bootstrap statistics, one row per system.

Rows carry stable keys (see :data:`BASE_COLUMNS`; per-subset columns are
``<key>_<subset>``). dB figures are rounded to 3 decimals, percentages to 2,
p-values to 4 when written out (the renderers do that).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..findings import S5InputError, error
from ..io.package import nested
from ..results.figures import (DB_KEYS, RANKABLE, figure, metric_key, metric_name,
                               title)
from .inputs import SystemResult, dev_figures
from .paired import (DEFAULT_ALPHA, DEFAULT_RESAMPLES, DEFAULT_SEED, RatioData, bootstrap_figures,
                     percentile_interval, ranking_statistics)
from .ranking import competition_ranks, ranking_order, team_ranking

if TYPE_CHECKING:
    import pandas as pd

# The figures computed only when scoring was asked for them: results key -> the `score --metric` that gives it.
NEEDS_METRIC = {key: figure(key).needs_metric for key in RANKABLE if figure(key).needs_metric}


def has_per_mixture(systems: Sequence[SystemResult], key: str) -> bool:
    """Whether every system's per_mixture.csv holds what :func:`ratio_data` needs for ``key``."""
    need = {"accuracy_mix": "mixture_correct", "accuracy_src": "tp"}.get(key, key)
    return all(s.mixtures is not None and need in s.mixtures.columns for s in systems)
DEV_KEYS = ("capi_sdri", "accuracy_mix", "accuracy_src")


def decimals_for(column: str) -> int:
    """Fixed decimals of a column: 3 for dB figures, 2 for percentages, 4 for p-values."""
    if column.startswith("p_") or column.endswith("_p"):
        return 4
    if "accuracy" in column:
        return 2
    return 3


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def _per_mixture(system: SystemResult) -> pd.DataFrame:
    """The per_mixture.csv of a system the caller chose for having one."""
    if system.mixtures is None:
        raise ValueError(f"{system.label} has no per_mixture.csv")
    return system.mixtures


def ratio_data(systems: Sequence[SystemResult], key: str, mixtures: Sequence[str]) -> RatioData:
    """Per-mixture numerators/denominators of ``key`` for each system, on the given mixtures."""
    frames = [_per_mixture(s).loc[list(mixtures)] for s in systems]
    if key in DB_KEYS:
        values = np.array([f[key].to_numpy(dtype=np.float64) for f in frames]).reshape(len(frames), len(mixtures))
        return RatioData.mean_of(values)
    if key == "accuracy_mix":
        values = np.array([100.0 * f["mixture_correct"].to_numpy(dtype=np.float64) for f in frames])
        return RatioData.mean_of(values.reshape(len(frames), len(mixtures)))
    if key == "accuracy_src":
        tp = np.array([f["tp"].to_numpy(dtype=np.float64) for f in frames]).reshape(len(frames), len(mixtures))
        total = np.array([(f["tp"] + f["fp"] + f["fn"]).to_numpy(dtype=np.float64) for f in frames])
        return RatioData(100.0 * tp, total.reshape(len(frames), len(mixtures)))
    raise ValueError(f"no per-mixture data for {key!r}")


def subset_mixtures(system: SystemResult, subset: str) -> set[str]:
    frame = _per_mixture(system)
    members = frame["subsets"].str.split("|")
    return set(frame.index[members.apply(lambda names: subset in names)])


@dataclass
class Leaderboard:
    metric: str
    subset: str
    rows: list[dict]                 # rank order
    teams: list[dict]
    subsets: list[str]
    columns: list[str]
    statistics: dict = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"metric": self.metric, "subset": self.subset, "columns": self.columns, "rows": self.rows,
                "teams": self.teams, "subsets": self.subsets, "statistics": self.statistics,
                "skipped": [{"path": p, "why": w} for p, w in self.skipped]}


def _subset_entry(system: SystemResult, subset: str) -> dict:
    entry = nested(system.results, "subsets", subset)
    return entry if isinstance(entry, dict) else {}


def default_subset(systems: Sequence[SystemResult]) -> str:
    return "ranking" if any("ranking" in s.subsets for s in systems) else "all"


def _clean(value):
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def build_leaderboard(systems: Sequence[SystemResult], metric: str = "capi_sdri", subset: str | None = None,
                      n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                      alpha: float = DEFAULT_ALPHA, skipped: Sequence[tuple[str, str]] = ()) -> Leaderboard:
    """Rank ``systems`` by ``metric`` on ``subset`` (default: ``ranking`` when present, else ``all``)."""
    metric = metric_key(metric)
    subset = subset or default_subset(systems)
    ok = [s for s in systems if s.status == "ok"]
    if ok and not any(subset in s.subsets for s in ok):
        raise S5InputError([error("E_USAGE", "", f"no system has the subset {subset!r}")], exit_code=2)
    if ok and not any(metric in _subset_entry(s, subset) for s in ok):
        hint = f" (score with --metric {NEEDS_METRIC[metric]} to compute it)" if metric in NEEDS_METRIC else ""
        raise S5InputError([error("E_USAGE", "", f"no system has a {title(metric)} figure ({metric_name(metric)}) "
                                  f"on the subset {subset!r}{hint}")], exit_code=2)
    labels = [s.label for s in systems]
    values = [s.figure(metric, subset) if s.status == "ok" else None for s in systems]
    order = ranking_order(labels, values)
    ranks = competition_ranks(values)
    teams = team_ranking(labels, [s.team for s in systems], values)
    team_rank = {t.team: t.rank for t in teams}
    team_best = {t.best_label for t in teams}
    all_subsets = list(dict.fromkeys(name for s in ok for name in s.subsets))
    headline = list(dict.fromkeys([metric, "capi_sdri", "accuracy_mix", "accuracy_src"]))

    rows: list[dict] = []
    for i in order:
        s = systems[i]
        info = s.info or {}
        row = {"rank": ranks[i], "code": info.get("abbreviation") or s.label, "label": s.label, "team": s.team,
               "team_rank": team_rank[s.team], "team_best": s.label in team_best,
               "name": info.get("name") or s.label, "report": info.get("technical_report") or "",
               "status": s.status}
        for key in headline:
            row[key] = s.figure(key, subset)
            row[f"{key}_ci_low"] = s.figure(f"{key}_ci_low", subset)
            row[f"{key}_ci_high"] = s.figure(f"{key}_ci_high", subset)
        dev = dev_figures(info.get("dev_results"))
        for key in DEV_KEYS:
            row[f"dev_{key}"] = dev[key]
        row.update({"rank_ci_low": None, "rank_ci_high": None, "group": None, "diff_next": None,
                    "p_next": None, "p_next_holm": None, "nparams": info.get("nparams")})
        for name in all_subsets:
            row[f"n_mixtures_{slug(name)}"] = s.figure("n_mixtures", name)
            for key in headline:
                row[f"{key}_{slug(name)}"] = s.figure(key, name)
        rows.append(row)

    statistics = _add_statistics(rows, systems, order, values, metric, subset, headline, n_resamples, seed, alpha)
    columns = list(rows[0]) if rows else []
    for row in rows:
        for key in row:
            row[key] = _clean(row[key])
    team_rows = [{"rank": t.rank, "team": t.team, "best_system": t.best_label, metric: _clean(t.value),
                  "systems": list(t.systems)} for t in teams]
    return Leaderboard(metric, subset, rows, team_rows, all_subsets, columns, statistics, list(skipped))


def _add_statistics(rows: list[dict], systems: Sequence[SystemResult], order: list[int], values: list,
                    metric: str, subset: str, headline: list[str], n_resamples: int, seed: int,
                    alpha: float) -> dict:
    """Paired bootstrap over the mixtures every ranked system was scored on; fills the rows in place."""
    ranked = [i for i in order if values[i] is not None and systems[i].mixtures is not None]
    settings = {"resamples": n_resamples, "seed": seed, "alpha": alpha, "confidence": 0.95,
                "systems": [systems[i].label for i in ranked], "n_mixtures": 0}
    if len(ranked) == 0 or n_resamples <= 0:
        return settings
    common = set.intersection(*(subset_mixtures(systems[i], subset) for i in ranked))
    mixtures = sorted(common)
    settings["n_mixtures"] = len(mixtures)
    if not mixtures:
        return settings
    chosen = [systems[i] for i in ranked]
    if not has_per_mixture(chosen, metric):
        settings["n_mixtures"] = 0
        settings["unavailable"] = f"per_mixture.csv holds no {metric} column"
        return settings
    stats = ranking_statistics(ratio_data(chosen, metric, mixtures), n_resamples, seed, alpha)
    by_label = {row["label"]: row for row in rows}
    for k, system in enumerate(chosen):
        row = by_label[system.label]
        row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = stats.ci_low[k], stats.ci_high[k]
        row["rank_ci_low"], row["rank_ci_high"] = int(stats.rank_low[k]), int(stats.rank_high[k])
        row["group"] = stats.groups[k]
        if k < len(stats.adjacent):
            row["diff_next"] = stats.adjacent[k].diff
            row["p_next"] = stats.adjacent[k].p_value
            row["p_next_holm"] = float(stats.adjacent_p_holm[k])
    for key in headline:
        if key == metric or not has_per_mixture(chosen, key):
            continue
        boot = bootstrap_figures(ratio_data(chosen, key, mixtures), n_resamples, seed)
        low, high = percentile_interval(boot)
        for k, system in enumerate(chosen):
            by_label[system.label][f"{key}_ci_low"], by_label[system.label][f"{key}_ci_high"] = low[k], high[k]
    settings["p_matrix"] = [[_clean(p) for p in row] for row in stats.p_matrix]
    return settings
