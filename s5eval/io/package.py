"""The DCASE audio package: its names, the files it holds, and how they are read and written.

What the official DCASE tooling writes (and what s5eval therefore reads and writes):

* **2026** (``generate_waveform.sh``): a folder ``<Author>_<Affil>_task4_<N>/`` with
  ``eval_out/<mix>_<i>_<Label>.wav`` (``i`` the model's output track; silent
  tracks are not written, so indices may skip), ``eval_results.json`` (one
  entry per soundscape, indent 4) and ``dev_set_test_results.json`` (the
  official ``Evaluator``'s file); zipped as ``zip -r <label>.zip <label>``.
  No meta YAML inside: it travels in the separate submission package.
* **2025**: ``<Author>_<Affil>_task4_<N>_out/eval_out/<mix>_<Label>.wav`` and
  nothing else; zipped as ``<label>_out.zip``. The label is the name without
  ``_out`` (the 2026 README also names its zips ``..._out.zip``, so the suffix
  is accepted for both).

Every reader of these files goes through :func:`read_eval_results`,
:func:`read_dev_results` and :func:`read_meta` (bounded, strict loaders; problems
become findings), and every writer through the ``write_*`` functions here.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..findings import Finding

ESTIMATE_DIR = "eval_out"
EVAL_RESULTS = "eval_results.json"
DEV_RESULTS = "dev_set_test_results.json"
META_SUFFIX = ".meta.yaml"
OUT_SUFFIX = "_out"
SILENCE = "silence"
OFFICIAL_N_SOURCES = 3  # the official Evaluator pads label lists with "silence" to this many tracks
DEV_METRIC = "CAPI-SDRi"
LABEL_METRIC = "label_metrics"

PACKAGE_NAME = re.compile(
    r"^(?P<team>(?P<author>[A-Za-z][A-Za-z0-9-]*)_(?P<affiliation>[A-Za-z0-9][A-Za-z0-9-]*))"
    r"_task4_(?P<number>[1-4])(?P<out>_out)?$")


_OS_LEFTOVERS = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".ipynb_checkpoints"})


def is_os_leftover(name: str) -> bool:
    """Files and folders that operating systems, archivers and notebooks leave behind (``.DS_Store``, ``._x``, ...)."""
    return name in _OS_LEFTOVERS or name.startswith("._")


def package_label(folder_name: str) -> str:
    """The submission label of a package folder or zip name: the name without a trailing ``_out``."""
    if folder_name.endswith(OUT_SUFFIX) and len(folder_name) > len(OUT_SUFFIX):
        return folder_name[: -len(OUT_SUFFIX)]
    return folder_name


def team_of(label: str) -> str:
    """The team of a label: ``<Author>_<Affil>`` for a DCASE label, else the label without a trailing ``_<N>``."""
    match = PACKAGE_NAME.match(label)
    if match:
        return match.group("team")
    return re.sub(r"_(\d+)$", "", label)


def is_package_name(name: str) -> bool:
    """True for ``<Author>_<Affil>_task4_<N>`` (N in 1–4), with or without ``_out``."""
    return PACKAGE_NAME.match(name) is not None


# --- reading ---------------------------------------------------------------------------------------------


def find_meta(package_root: str | Path, label: str) -> Path | None:
    """The package's meta YAML: ``<label>.meta.yaml`` (or under the folder's own name), else its only ``*.meta.yaml``."""
    root = Path(package_root)
    for name in dict.fromkeys((label, root.name)):
        path = root / f"{name}{META_SUFFIX}"
        if path.is_file():
            return path
    others = sorted(p for p in root.glob(f"*{META_SUFFIX}") if p.is_file())
    return others[0] if len(others) == 1 else None


def read_eval_results(path: str | Path, where: str | None = None) -> tuple[Any, list[Finding]]:
    """``eval_results.json`` parsed with the bounded strict JSON loader: ``(data or None, findings)``."""
    from .loaders import load_json_file
    return load_json_file(path, where)


def read_dev_results(path: str | Path, where: str | None = None) -> tuple[Any, list[Finding]]:
    """``dev_set_test_results.json`` parsed with the bounded strict JSON loader: ``(data or None, findings)``."""
    from .loaders import load_json_file
    return load_json_file(path, where)


def read_meta(path: str | Path, where: str | None = None) -> tuple[Any, list[Finding]]:
    """A ``<label>.meta.yaml`` parsed with the bounded safe YAML loader: ``(data or None, findings)``."""
    from .loaders import load_yaml_file
    return load_yaml_file(path, where)


MAX_NPARAMS = 10**15  # a parameter count above this is not a count (and would not stay exact as a double)


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float; None for anything else (bools, strings, NaN, ±inf, integers beyond a double)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) else None


def parameter_count(value: Any) -> int | None:
    """``value`` when it is a plausible parameter count: an integer (not a bool) in [0, :data:`MAX_NPARAMS`]."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_NPARAMS:
        return value
    return None


def nested(data: Any, *keys: str) -> Any:
    """``data[k1][k2]…`` of parsed JSON/YAML, or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def dev_summary(dev: Any) -> dict[str, float | None]:
    """The headline figures of an official-layout ``dev_set_test_results.json``.

    ``capi_sdri`` (dB) from ``CAPI-SDRi.mean``, ``accuracy_mix`` and
    ``accuracy_src`` (%) from ``label_metrics``; None where absent.
    """
    return {"capi_sdri": finite_number(nested(dev, DEV_METRIC, "mean")),
            "accuracy_mix": finite_number(nested(dev, LABEL_METRIC, "accuracy_mix")),
            "accuracy_src": finite_number(nested(dev, LABEL_METRIC, "accuracy_src"))}


_META_DEV_KEYS = {
    "capi_sdri": ("capi_sdri", "capisdri", "capi-sdri", "CAPI-SDRi", "CAPI_SDRi", "capi_sdri_db"),
    "accuracy_mix": ("accuracy_mix", "accuracy (mixture)", "label_accuracy_mix", "mixture_accuracy"),
    "accuracy_src": ("accuracy_src", "accuracy (source)", "label_accuracy_src", "source_accuracy"),
}


def meta_dev_summary(meta: Any) -> dict[str, float | None]:
    """The development-set figures a meta YAML states under ``results.development_dataset`` (None where absent)."""
    block = nested(meta, "results", "development_dataset")
    out: dict[str, float | None] = {key: None for key in _META_DEV_KEYS}
    if not isinstance(block, dict):
        return out
    folded = {str(k).lower(): v for k, v in block.items()}
    for key, names in _META_DEV_KEYS.items():
        for name in names:
            value = finite_number(folded.get(name.lower()))
            if value is not None:
                out[key] = value
                break
    return out


@dataclass(frozen=True)
class MetaFacts:
    """What a leaderboard shows from a meta YAML."""

    label: str | None
    name: str | None
    abbreviation: str | None
    technical_report: str | None
    total_parameters: int | None
    dev: dict[str, float | None]


def meta_facts(meta: Any) -> MetaFacts:
    """Names, report, parameter count and development figures of a parsed meta YAML (None where absent)."""
    def text(*keys: str) -> str | None:
        value = nested(meta, *keys)
        return value if isinstance(value, str) and value.strip() else None

    return MetaFacts(label=text("submission", "label"), name=text("submission", "name"),
                     abbreviation=text("submission", "abbreviation"),
                     technical_report=text("submission", "technical_report") or text("submission", "report"),
                     total_parameters=parameter_count(nested(meta, "system", "complexity", "total_parameters")),
                     dev=meta_dev_summary(meta))


# --- the official dev_set_test_results.json ----------------------------------------------------------------


@dataclass(frozen=True)
class DevDetail:
    """One soundscape of the development test set as the official ``Evaluator`` records it.

    ``capi_sdri``: the mixture's CAPI-SDRi in dB (None when excluded);
    ``probabilities``: one per entry of ``est_labels``.
    """

    soundscape: str
    ref_labels: Sequence[str]
    est_labels: Sequence[str]
    probabilities: Sequence[float]
    capi_sdri: float | None


def label_metric(est_labels: Iterable[str], ref_labels: Iterable[str]) -> dict[str, Any]:
    """The official per-mixture ``label_metrics`` value: ``acc`` (multisets equal), ``tp``, ``fp``, ``fn``."""
    est = Counter(label for label in est_labels if label != SILENCE)
    ref = Counter(label for label in ref_labels if label != SILENCE)
    tp = sum((est & ref).values())
    return {"acc": est == ref, "tp": tp, "fp": sum(est.values()) - tp, "fn": sum(ref.values()) - tp}


def _padded(labels: Sequence[str], n: int) -> list[str]:
    return list(labels) + [SILENCE] * max(0, n - len(labels))


def detail_entry(detail: DevDetail, n_sources: int = OFFICIAL_N_SOURCES) -> dict[str, Any]:
    """One ``details`` entry: label lists padded with ``silence`` to ``n_sources``, both metrics."""
    est = _padded(detail.est_labels, n_sources)
    probabilities = [float(p) for p in detail.probabilities] + [0.0] * (len(est) - len(detail.probabilities))
    return {
        "soundscape": detail.soundscape,
        "ref_labels": _padded(detail.ref_labels, n_sources),
        "est_labels": est,
        "probabilities": probabilities,
        "metrics": [{"metric": DEV_METRIC, "value": None if detail.capi_sdri is None else float(detail.capi_sdri)},
                    {"metric": LABEL_METRIC, "value": label_metric(detail.est_labels, detail.ref_labels)}],
    }


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def summary_from_details(details: Sequence[dict]) -> tuple[dict | None, dict | None]:
    """``(CAPI-SDRi, label_metrics)`` summaries the official metric classes compute from ``details`` entries.

    CAPI-SDRi: ``{"mean": …}`` over the non-null values, summed in order (None
    when there is none); label metrics: ``accuracy_mix`` = % of ``acc``,
    ``accuracy_src`` = 100·ΣTP/Σ(TP+FP+FN) (None when undefined).
    """
    values: list[float] = []
    label_values: list[dict] = []
    for entry in details:
        for metric in entry.get("metrics", []) if isinstance(entry, dict) else []:
            if not isinstance(metric, dict):
                continue
            if metric.get("metric") == DEV_METRIC and (value := finite_number(metric.get("value"))) is not None:
                values.append(value)
            elif metric.get("metric") == LABEL_METRIC and isinstance(metric.get("value"), dict):
                label_values.append(metric["value"])
    capi = {"mean": sum(values) / len(values)} if values else None
    if not label_values:
        return capi, None
    tp, fp, fn = (sum(_count(v.get(key)) for v in label_values) for key in ("tp", "fp", "fn"))
    labels = {"accuracy_mix": sum(bool(v.get("acc")) for v in label_values) * 100 / len(label_values),
              "accuracy_src": tp * 100 / (tp + fp + fn) if tp + fp + fn else None}
    return capi, labels


def dev_results_document(details: Sequence[DevDetail], nparams: int | None, config: Any = None,
                         n_sources: int = OFFICIAL_N_SOURCES) -> dict[str, Any]:
    """``dev_set_test_results.json`` in the official ``Evaluator`` layout, keys in its order."""
    entries = [detail_entry(d, n_sources) for d in details]
    capi, labels = summary_from_details(entries)
    document: dict[str, Any] = {DEV_METRIC: capi, LABEL_METRIC: labels}
    if nparams is not None:
        document["nparams"] = int(nparams)
    document["details"] = entries
    if config is not None:
        document["config"] = config
    return document


# --- writing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimateEntry:
    """One estimate of ``eval_results.json``: its file in ``eval_out/``, label and probability in [0, 1]."""

    filename: str
    label: str
    probability: float


def estimate_filename(soundscape: str, track: int | None, label: str) -> str:
    """``<mix>_<i>_<Label>.wav`` (2026, ``track`` the output index) or ``<mix>_<Label>.wav`` (2025, ``track`` None)."""
    return f"{soundscape}_{label}.wav" if track is None else f"{soundscape}_{track}_{label}.wav"


def eval_results_document(entries: Iterable[tuple[str, Sequence[EstimateEntry]]], nparams: int,
                          config: Any = None) -> dict[str, Any]:
    """``eval_results.json`` as the official ``generate_waveform.py`` writes it (one entry per soundscape)."""
    document: dict[str, Any] = {
        "nparams": int(nparams),
        "probabilities": [{"soundscape": soundscape,
                           "estimate": [{"filename": e.filename, "label": e.label, "probability": float(e.probability)}
                                        for e in estimates]}
                          for soundscape, estimates in entries],
    }
    if config is not None:
        document["config"] = config
    return document


def _write_official_json(path: Path, document: Any) -> Path:
    """JSON with indent 4, as the official scripts write it; atomically (temp file, then rename)."""
    from ..atomic import write_atomic
    write_atomic(path, lambda handle: json.dump(document, handle, indent=4, allow_nan=False))
    return path


def write_eval_results(package_root: str | Path, document: dict[str, Any]) -> Path:
    """Write ``eval_results.json`` into a package folder."""
    return _write_official_json(Path(package_root) / EVAL_RESULTS, document)


def write_dev_results(package_root: str | Path, document: dict[str, Any]) -> Path:
    """Write ``dev_set_test_results.json`` into a package folder."""
    return _write_official_json(Path(package_root) / DEV_RESULTS, document)


def write_meta(folder: str | Path, label: str, meta: dict[str, Any]) -> Path:
    """Write ``<folder>/<label>.meta.yaml`` (safe YAML, keys in the given order)."""
    import yaml

    from ..atomic import write_atomic
    path = Path(folder) / f"{label}{META_SUFFIX}"
    write_atomic(path, lambda handle: yaml.safe_dump(meta, handle, sort_keys=False, allow_unicode=True))
    return path


def estimate_dir(package_root: str | Path, clear: bool = False) -> Path:
    """``<package>/eval_out``, created; ``clear`` removes WAVs an earlier run left there."""
    folder = Path(package_root) / ESTIMATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if clear:
        for old in folder.glob("*.wav"):
            old.unlink()
    return folder


def zip_package(package_root: str | Path, zip_path: str | Path | None = None) -> Path:
    """Zip a package folder as ``zip -r NAME.zip NAME`` run from its parent does: one top folder, folder entries.

    ``zip_path`` defaults to ``<parent>/<folder name>.zip``. Members are stored in
    sorted order with deflate.
    """
    import zipfile

    root = Path(package_root)
    target = Path(zip_path) if zip_path is not None else root.with_name(root.name + ".zip")
    paths = [root, *sorted(root.rglob("*"))]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            arcname = path.relative_to(root.parent).as_posix()
            if path.is_dir():
                archive.write(path, arcname + "/")
            elif path.is_file():
                archive.write(path, arcname)
    return target
