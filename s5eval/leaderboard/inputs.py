"""Reading scored systems for a leaderboard.

An input is a ``results.json`` file, a ``score --out`` folder or a
``score-all`` output folder. A score-all result folder is read only when its
``complete.json`` is present and every digest in it matches, so a run killed
while writing is never read; it is reported as skipped instead. Failed
submissions (``failed.json``) are kept, to be ranked last.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..findings import S5InputError, error
from ..io.package import DEV_METRIC, LABEL_METRIC, dev_summary, team_of
from ..score_all import COMPLETE, FAILED, INDEX, PACKAGE_INFO, CACHE_DIR, package_info, read_complete


@dataclass
class SystemResult:
    """One system as the leaderboard sees it."""

    label: str
    status: str                      # "ok" or "failed"
    source: str
    results: dict | None = None
    mixtures: pd.DataFrame | None = None  # per_mixture.csv, indexed by soundscape
    info: dict = field(default_factory=dict)
    findings: list[dict] = field(default_factory=list)

    @property
    def team(self) -> str:
        return self.info.get("team") or team_of(self.label)

    def figure(self, key: str, subset: str) -> float | None:
        if self.results is None:
            return None
        value = self.results.get("subsets", {}).get(subset, {}).get(key)
        return None if value is None else float(value)

    @property
    def subsets(self) -> list[str]:
        return list((self.results or {}).get("subsets", {}))


@dataclass
class LoadedInputs:
    systems: list[SystemResult]
    skipped: list[tuple[str, str]]  # (path, why)


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def read_per_mixture(path: Path) -> pd.DataFrame | None:
    """per_mixture.csv as a frame indexed by soundscape (NaN for excluded capi_sdri), or None."""
    try:
        frame = pd.read_csv(path, dtype={"soundscape": str, "subsets": str}, keep_default_na=True)
    except (OSError, ValueError, pd.errors.ParserError):
        return None
    needed = {"soundscape", "subsets", "tp", "fp", "fn", "mixture_correct", "capi_sdri"}
    if not needed <= set(frame.columns):
        return None
    frame["subsets"] = frame["subsets"].fillna("")
    frame["mixture_correct"] = frame["mixture_correct"].astype(str).str.lower().eq("true")
    return frame.set_index("soundscape")


def _info_from_provenance(results: dict, label: str) -> dict:
    from ..io.submission import open_submission
    root = results.get("provenance", {}).get("submission")
    if root and Path(root).is_dir():
        try:
            return package_info(open_submission(root), label)
        except S5InputError:
            pass
    return {"label": label, "team": team_of(label)}


def _system_from_results(path: Path, label: str | None = None) -> SystemResult | None:
    results = _json(path)
    if not isinstance(results, dict) or not isinstance(results.get("subsets"), dict) or "all" not in results["subsets"]:
        return None
    folder = path.parent
    label = label or results.get("provenance", {}).get("submission_label") or folder.name
    info = _json(folder / PACKAGE_INFO)
    if not isinstance(info, dict):
        info = _info_from_provenance(results, label)
    return SystemResult(label, "ok", str(path), results, read_per_mixture(folder / "per_mixture.csv"), info)


def _failed_system(path: Path, label: str) -> SystemResult:
    data = _json(path) or {}
    findings = data.get("findings") if isinstance(data.get("findings"), list) else []
    return SystemResult(label, "failed", str(path), info={"label": label, "team": data.get("team") or team_of(label)},
                        findings=findings)


def _is_score_all_output(folder: Path) -> bool:
    return (folder / INDEX).is_file() or (folder / CACHE_DIR).is_dir()


def _read_result_folder(folder: Path, in_score_all: bool, out: LoadedInputs) -> None:
    label = folder.name
    if (folder / COMPLETE).exists() or in_score_all:
        if read_complete(folder) is not None:
            system = _system_from_results(folder / "results.json", label)
            if system is not None:
                out.systems.append(system)
                return
        if (folder / FAILED).is_file():
            out.systems.append(_failed_system(folder / FAILED, label))
            return
        out.skipped.append((str(folder), "incomplete result (interrupted run?): re-run score-all"))
        return
    if (folder / FAILED).is_file():
        out.systems.append(_failed_system(folder / FAILED, label))
        return
    if (folder / "results.json").is_file() and (folder / "scores.json").is_file():
        system = _system_from_results(folder / "results.json")
        if system is not None:
            out.systems.append(system)
            return
    out.skipped.append((str(folder), "no complete results.json"))


def load_inputs(paths: Iterable[str | Path]) -> LoadedInputs:
    """Read every input; unreadable ones are listed in ``skipped``. Raises when none holds a system."""
    out = LoadedInputs([], [])
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            system = _system_from_results(path)
            if system is None:
                out.skipped.append((str(path), "not a results.json"))
            else:
                out.systems.append(system)
        elif path.is_dir():
            if any((path / name).exists() for name in ("results.json", FAILED, COMPLETE)):
                _read_result_folder(path, False, out)
                continue
            in_score_all = _is_score_all_output(path)
            for child in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
                _read_result_folder(child, in_score_all, out)
        else:
            out.skipped.append((str(path), "does not exist"))
    labels = [s.label for s in out.systems]
    duplicates = sorted({lb for lb in labels if labels.count(lb) > 1})
    if duplicates:
        raise S5InputError([error("E_DUPLICATE_LABEL", "", f"several inputs are the system {lb!r}") for lb in duplicates],
                           exit_code=2)
    if not out.systems:
        raise S5InputError([error("E_NO_RESULTS", str(p), why) for p, why in out.skipped]
                           or [error("E_NO_RESULTS", "", "no input given")], exit_code=1)
    return out


_NORMALISE = re.compile(r"[^a-z0-9]")
_DEV_KEYS = {
    "capi_sdri": ("capisdri", "capisdridb"),
    "accuracy_mix": ("accuracymix", "mixtureaccuracy", "labelaccuracymix", "accuracy"),
    "accuracy_src": ("accuracysrc", "sourceaccuracy", "labelaccuracysrc"),
}


def dev_figures(dev: dict | None) -> dict[str, float | None]:
    """CAPI-SDRi and accuracies of a system's development-set figures.

    ``dev`` is what ``submission.json`` keeps (``capi_sdri``, ``accuracy_mix``,
    ``accuracy_src``), an official ``dev_set_test_results.json``, an s5eval
    ``results.json`` or a flat dict.
    """
    out: dict[str, float | None] = {key: None for key in _DEV_KEYS}
    if not isinstance(dev, dict):
        return out
    if DEV_METRIC in dev or LABEL_METRIC in dev:
        return dev_summary(dev)
    flat = dev.get("summary") if isinstance(dev.get("summary"), dict) else dev
    normalised = {_NORMALISE.sub("", str(k).lower()): v for k, v in flat.items()}
    for key, names in _DEV_KEYS.items():
        for name in names:
            value = normalised.get(name)
            if isinstance(value, (int, float)) and np.isfinite(value):
                out[key] = float(value)
                break
    return out
