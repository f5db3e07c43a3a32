"""Reading scored systems for a leaderboard.

An input is a ``results.json`` file, a ``score --out`` folder or a
``score-all`` output folder. A score-all result folder is read only when its
``complete.json`` is present and every digest in it matches, so a run killed
while writing is never read; it is reported as skipped instead. Failed
submissions (``failed.json``) are kept, to be ranked last.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..findings import S5InputError, error
from ..io.loaders import load_json_file
from ..io.package import DEV_METRIC, LABEL_METRIC, dev_summary, finite_number, nested, parameter_count, team_of
from ..results.store import COMPLETE, FAILED, INDEX, PACKAGE_INFO, CACHE_DIR, package_info, read_complete


_MAX_TEXT = 300  # characters kept of a name, label or report taken from an input file


def _text(value) -> str | None:
    """A non-empty string from an input file (cut to a sane length), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value if len(value) <= _MAX_TEXT else value[: _MAX_TEXT - 1] + "…"


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
        return _text(self.info.get("team")) or team_of(self.label)

    def figure(self, key: str, subset: str) -> float | None:
        """A finite figure of ``results.json``; None where missing or not a finite number (e.g. ``"NaN"``)."""
        return finite_number(nested(self.results, "subsets", subset, key))

    @property
    def subsets(self) -> list[str]:
        subsets = nested(self.results, "subsets")
        return [name for name, entry in subsets.items() if isinstance(entry, dict)] if isinstance(subsets, dict) else []


@dataclass
class LoadedInputs:
    systems: list[SystemResult]
    skipped: list[tuple[str, str]]  # (path, why)


def _json(path: Path):
    """A JSON file through the bounded strict loader (regular files only); None when it cannot be read."""
    data, findings = load_json_file(path)
    return None if findings else data


_PER_MIXTURE_COUNTS = ("tp", "fp", "fn", "n_ref", "n_est")
_PER_MIXTURE_FIGURES = ("capi_sdri", "ca_sdri_2025", "casa_sdr_sb", "capi_si_sdri", "ca_si_sdri_2025")


def per_mixture_problem(path: Path) -> tuple[pd.DataFrame | None, str | None]:
    """per_mixture.csv as a frame indexed by soundscape, or ``(None, why)`` when it cannot be used.

    Counts (tp, fp, fn, n_ref, n_est) must be non-negative integers, figures
    numbers or empty (NaN: an excluded mixture), soundscapes unique and
    non-empty.
    """
    if not path.is_file():
        return None, "missing or not a regular file"
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (OSError, ValueError, pd.errors.ParserError, csv.Error) as exc:  # UnicodeDecodeError is a ValueError
        return None, f"cannot be read: {type(exc).__name__}"
    needed = {"soundscape", "subsets", "tp", "fp", "fn", "mixture_correct", "capi_sdri"}
    missing = sorted(needed - set(frame.columns))
    if missing:
        return None, f"lacks the columns {', '.join(missing)}"
    soundscapes = frame["soundscape"].str.strip()
    if (soundscapes == "").any() or soundscapes.duplicated().any():
        return None, "has empty or repeated soundscapes"
    frame["soundscape"] = soundscapes
    for column in _PER_MIXTURE_COUNTS:
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        if values.isna().any() or (values < 0).any() or (values != values.round()).any() or (values > 1e9).any():
            return None, f"column {column} holds something other than a count"
        frame[column] = values.astype(np.int64)
    for column in _PER_MIXTURE_FIGURES:
        if column not in frame.columns:
            continue
        text = frame[column].str.strip()
        values = pd.to_numeric(text.where(text != "", "nan"), errors="coerce")
        if (values.isna() & ~text.str.lower().isin(["", "nan"])).any():
            return None, f"column {column} holds something other than a number or an empty cell"
        frame[column] = values.astype(np.float64)
    frame["mixture_correct"] = frame["mixture_correct"].str.strip().str.lower().eq("true")
    return frame.set_index("soundscape"), None


def read_per_mixture(path: Path) -> pd.DataFrame | None:
    """per_mixture.csv as a frame indexed by soundscape (NaN for excluded capi_sdri), or None."""
    return per_mixture_problem(path)[0]


def _clean_info(info: dict, label: str) -> dict:
    """``submission.json`` with the fields a leaderboard shows checked: text as text, counts as counts."""
    out = dict(info)
    for key in ("name", "abbreviation", "technical_report"):
        out[key] = _text(info.get(key))
    out["label"] = label
    out["team"] = _text(info.get("team")) or team_of(label)
    out["nparams"] = parameter_count(info.get("nparams"))
    dev = info.get("dev_results")
    if isinstance(dev, dict):
        figures = dev_figures(dev)
        out["dev_results"] = {**figures, "source": _text(dev.get("source"))} \
            if any(v is not None for v in figures.values()) else None
    else:
        out["dev_results"] = None
    return out


def _info_from_provenance(results: dict, label: str) -> dict:
    from ..io.submission import open_submission
    root = nested(results, "provenance", "submission")
    try:
        if isinstance(root, str) and root and Path(root).is_dir():
            return package_info(open_submission(root), label)
    except (S5InputError, OSError, ValueError):  # ValueError: a NUL in the path
        pass
    return {"label": label, "team": team_of(label)}


def _system_from_results(path: Path, label: str | None = None,
                         skipped: list[tuple[str, str]] | None = None) -> SystemResult | None:
    results = _json(path)
    if not isinstance(nested(results, "subsets", "all"), dict):
        return None
    folder = path.parent
    label = label or _text(nested(results, "provenance", "submission_label")) or folder.name
    info = _json(folder / PACKAGE_INFO)
    if not isinstance(info, dict):
        info = _info_from_provenance(results, label)
    mixtures, why = per_mixture_problem(folder / "per_mixture.csv")
    if why is not None and skipped is not None:
        skipped.append((str(folder / "per_mixture.csv"), f"{why}: {label} is ranked without per-mixture statistics"))
    return SystemResult(label, "ok", str(path), results, mixtures, _clean_info(info, label))


def _failed_system(path: Path, label: str) -> SystemResult:
    data = _json(path)
    data = data if isinstance(data, dict) else {}
    findings = [f for f in data.get("findings") or [] if isinstance(f, dict)] \
        if isinstance(data.get("findings"), list) else []
    team = _text(data.get("team")) or team_of(label)
    return SystemResult(label, "failed", str(path), info={"label": label, "team": team}, findings=findings)


def _is_score_all_output(folder: Path) -> bool:
    return (folder / INDEX).is_file() or (folder / CACHE_DIR).is_dir()


def _read_result_folder(folder: Path, in_score_all: bool, out: LoadedInputs) -> None:
    label = folder.name
    if (folder / COMPLETE).exists() or in_score_all:
        if read_complete(folder) is not None:
            system = _system_from_results(folder / "results.json", label, out.skipped)
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
        system = _system_from_results(folder / "results.json", skipped=out.skipped)
        if system is not None:
            out.systems.append(system)
            return
    out.skipped.append((str(folder), "no complete results.json"))


def load_inputs(paths: Iterable[str | Path]) -> LoadedInputs:
    """Read every input; unreadable ones are listed in ``skipped``. Raises when none holds a system."""
    out = LoadedInputs([], [])
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_file():
                system = _system_from_results(path, skipped=out.skipped)
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
            elif path.exists():
                out.skipped.append((str(path), "neither a results.json nor a folder"))
            else:
                out.skipped.append((str(path), "does not exist"))
        except OSError as exc:  # e.g. a folder that cannot be listed
            out.skipped.append((str(path), f"cannot be read: {exc.strerror or exc}"))
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
    summary = dev.get("summary")
    flat = summary if isinstance(summary, dict) else dev
    normalised = {_NORMALISE.sub("", str(k).lower()): v for k, v in flat.items()}
    for key, names in _DEV_KEYS.items():
        for name in names:
            value = finite_number(normalised.get(name))
            if value is not None:
                out[key] = value
                break
    return out
