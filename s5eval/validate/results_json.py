"""``eval_results.json`` against its schema and against the files; ``dev_set_test_results.json`` in the official layout.

The development-set file is the one the official DCASE 2026 ``Evaluator``
writes. Beyond its schema it is checked for what a hand edit or a broken run
would leave: soundscapes listed twice, labels outside the label set, per-mixture
label metrics that disagree with the labels, a summary that differs from what
``details`` give, and (with ``--dev-ref``) coverage of the development test set.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import math

from ..findings import Finding, error, warning
from ..io.loaders import preview
from ..io.package import (DEV_METRIC, DEV_RESULTS, ESTIMATE_DIR, EVAL_RESULTS, LABEL_METRIC, MAX_NPARAMS, SILENCE,
                          finite_number, label_metric, read_dev_results, read_eval_results, summary_from_details)
from .context import Context
from .schemas import describe, schema_errors

_MAX_LISTED = 5


def _schema_code(err) -> str:
    path = list(err.absolute_path)
    if path[:1] == ["nparams"] or (not path and err.validator == "required" and "'nparams'" in err.message):
        return "E_NPARAMS"
    if path and path[-1] == "probability":
        return "E_PROBABILITY"
    return "E_RESULTS_SCHEMA"


def _schema_findings(schema: str, data: Any, where: str, code_for, nparams_code: str) -> list[Finding]:
    try:
        findings = [error(code_for(err), where, describe(err)) for err in schema_errors(schema, data)]
    except ValueError as exc:
        return [error("E_JSON_SYNTAX", where, str(exc))]
    nparams = data.get("nparams") if isinstance(data, dict) else None
    if isinstance(nparams, int) and not isinstance(nparams, bool) and nparams > MAX_NPARAMS:
        findings.append(error(nparams_code, where, f"$.nparams: {preview(nparams, 30)} is not a plausible "
                                                   f"parameter count (at most {MAX_NPARAMS:.0e})"))
    return findings


def load_eval_results(ctx: Context) -> tuple[Any, list[Finding]]:
    """Parse ``eval_results.json`` and check it against its schema; ``(data, findings)``."""
    path = ctx.root / EVAL_RESULTS
    if not path.is_file():
        return None, []  # reported by the layout check
    where = ctx.shown(path)
    data, findings = read_eval_results(path, where)
    if findings:
        return None, findings
    return data, _schema_findings("eval_results", data, where, _schema_code, "E_NPARAMS")


def _entries(data: Any):
    """The well-formed ``(index, soundscape, estimate list)`` entries; malformed ones were reported by the schema."""
    if not isinstance(data, dict) or not isinstance(data.get("probabilities"), list):
        return
    for i, entry in enumerate(data["probabilities"]):
        if isinstance(entry, dict) and isinstance(entry.get("soundscape"), str):
            estimates = entry.get("estimate")
            yield i, entry["soundscape"], estimates if isinstance(estimates, list) else []


def check_against_files(ctx: Context, data: Any) -> list[Finding]:
    """Every WAV listed once, every listed file present, labels and soundscapes agree with the names."""
    where = ctx.shown(ctx.root / EVAL_RESULTS)
    findings: list[Finding] = []
    on_disk = {e.filename: e for e in ctx.estimates}
    listed: Counter[str] = Counter()
    seen_soundscapes: Counter[str] = Counter()
    for i, soundscape, estimates in _entries(data):
        seen_soundscapes[soundscape] += 1
        if seen_soundscapes[soundscape] == 2:
            findings.append(error("E_RESULTS_DUPLICATE_SOUNDSCAPE", where,
                                  f"$.probabilities[{i}]: soundscape '{soundscape}' has more than one entry"))
        if ctx.reference is not None and soundscape not in ctx.reference.mixtures:
            findings.append(error("E_RESULTS_UNKNOWN_SOUNDSCAPE", where,
                                  f"$.probabilities[{i}]: soundscape '{soundscape}' is not in the reference set"))
        for j, item in enumerate(estimates):
            if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
                continue
            filename = item["filename"]
            at = f"$.probabilities[{i}].estimate[{j}]"
            listed[filename] += 1
            if listed[filename] == 2:
                findings.append(error("E_RESULTS_DUPLICATE_ENTRY", where, f"{at}: '{filename}' is listed more than once"))
                continue
            est = on_disk.get(filename)
            if est is None:
                findings.append(error("E_RESULTS_MISSING_FILE", where,
                                      f"{at}: '{filename}' is listed but not in {ESTIMATE_DIR}/"))
                continue
            if est.name is None:
                continue
            label = item.get("label")
            if isinstance(label, str) and label != est.name.label:
                findings.append(error("E_RESULTS_LABEL_MISMATCH", where,
                                      f"{at}: label '{label}' but the filename '{filename}' says '{est.name.label}'"))
            if est.name.soundscape != soundscape:
                findings.append(error("E_RESULTS_SOUNDSCAPE_MISMATCH", where,
                                      f"{at}: '{filename}' is listed under '{soundscape}' but belongs to "
                                      f"'{est.name.soundscape}'"))
    for name, est in sorted(on_disk.items()):
        if name not in listed:
            findings.append(error("E_RESULTS_UNLISTED_FILE", est.shown, f"is not listed in {EVAL_RESULTS}"))
    if ctx.reference is not None and seen_soundscapes:
        missing = [m for m in ctx.reference.mixtures if m not in seen_soundscapes]
        if missing:
            shown = ", ".join(missing[:_MAX_LISTED]) + (" …" if len(missing) > _MAX_LISTED else "")
            findings.append(warning("W_RESULTS_MISSING_SOUNDSCAPE", where,
                                    f"{len(missing)} of {len(ctx.reference.mixtures)} reference soundscapes have no "
                                    f"entry: {shown}"))
    return findings


def check_eval_results(ctx: Context) -> tuple[Any, list[Finding]]:
    """Schema and file agreement of ``eval_results.json``; returns the data for cross-checks."""
    data, findings = load_eval_results(ctx)
    if data is not None and not any(f.code.startswith("E_JSON") for f in findings):
        findings += check_against_files(ctx, data)
    return data, findings


SUMMARY_TOLERANCE = 1e-6  # absolute, in dB or %: the official summary is a plain mean of the same numbers


def check_dev_results(ctx: Context) -> list[Finding]:
    """``dev_set_test_results.json`` (optional): official layout, then its consistency and coverage."""
    path = ctx.root / DEV_RESULTS
    if not path.is_file():
        return []
    where = ctx.shown(path)
    data, findings = read_dev_results(path, where)
    if findings:
        return findings
    findings = _schema_findings("dev_set_test_results", data, where, lambda err: "E_DEV_RESULTS_SCHEMA",
                                "E_DEV_RESULTS_SCHEMA")
    if findings:
        return findings
    details = data["details"]
    findings += _dev_detail_findings(details, ctx.labels, where)
    findings += _dev_summary_findings(data, details, where)
    if ctx.dev_reference is not None:
        findings += _dev_coverage_findings(details, ctx.dev_reference.names, where)
    return findings


def _dev_detail_findings(details: list, labels: tuple[str, ...], where: str) -> list[Finding]:
    """Unique soundscapes, known labels, label metrics that agree with the labels."""
    findings: list[Finding] = []
    known = set(labels) | {SILENCE}
    seen: set[str] = set()
    unknown: dict[str, str] = {}
    for i, entry in enumerate(details):
        at = f"$.details[{i}]"
        soundscape = entry["soundscape"]
        if soundscape in seen:
            findings.append(error("E_DEV_RESULTS_DUPLICATE_SOUNDSCAPE", where,
                                  f"{at}: soundscape '{soundscape}' has more than one entry"))
        seen.add(soundscape)
        for key in ("ref_labels", "est_labels"):
            for label in entry[key]:
                if label not in known and label not in unknown:
                    unknown[label] = f"{at}.{key}"
        stated = next((m["value"] for m in entry["metrics"] if m.get("metric") == LABEL_METRIC), None)
        if isinstance(stated, dict):
            derived = label_metric(entry["est_labels"], entry["ref_labels"])
            if any(stated.get(k) != v for k, v in derived.items()):
                findings.append(warning("W_DEV_RESULTS_DETAIL", where,
                                        f"{at}: label_metrics says {_counts(stated)} but its labels give "
                                        f"{_counts(derived)}"))
    for label, at in unknown.items():
        findings.append(error("E_DEV_RESULTS_LABEL", where,
                              f"{at}: '{label}' is neither a class of the label set nor 'silence'"))
    return findings


def _counts(value: dict) -> str:
    return ", ".join(f"{k}={value.get(k)}" for k in ("acc", "tp", "fp", "fn"))


def _dev_summary_findings(data: dict, details: list, where: str) -> list[Finding]:
    """The summary must be what the official metric classes compute from ``details``."""
    capi, labels = summary_from_details(details)
    pairs = [
        (f"$.{DEV_METRIC}.mean", (data.get(DEV_METRIC) or {}).get("mean"), (capi or {}).get("mean"), "dB"),
        (f"$.{LABEL_METRIC}.accuracy_mix", (data.get(LABEL_METRIC) or {}).get("accuracy_mix"),
         (labels or {}).get("accuracy_mix"), "%"),
        (f"$.{LABEL_METRIC}.accuracy_src", (data.get(LABEL_METRIC) or {}).get("accuracy_src"),
         (labels or {}).get("accuracy_src"), "%"),
    ]
    findings = []
    for path, raw, derived, unit in pairs:
        stated = finite_number(raw)
        if raw is not None and stated is None:
            findings.append(warning("W_DEV_RESULTS_SUMMARY", where, f"{path} is not a finite number"))
            continue
        if stated is None and derived is None:
            continue
        if stated is None or derived is None or not math.isclose(stated, derived, rel_tol=0, abs_tol=SUMMARY_TOLERANCE):
            findings.append(warning("W_DEV_RESULTS_SUMMARY", where,
                                    f"{path} is {_shown(stated, unit)} but the {len(details)} details give "
                                    f"{_shown(derived, unit)}"))
    return findings


def _shown(value: float | None, unit: str) -> str:
    return "null" if value is None else f"{value:.6f} {unit}"


def _dev_coverage_findings(details: list, soundscapes: list[str], where: str) -> list[Finding]:
    """``details`` must cover exactly the soundscapes of the development test set (``--dev-ref``)."""
    listed = {entry["soundscape"] for entry in details}
    expected = set(soundscapes)
    findings = []
    missing = sorted(expected - listed)
    extra = sorted(listed - expected)
    if missing:
        findings.append(warning("W_DEV_RESULTS_COVERAGE", where,
                                f"{len(missing)} of {len(expected)} development test soundscapes have no details "
                                f"entry: {_listing(missing)}"))
    if extra:
        findings.append(warning("W_DEV_RESULTS_COVERAGE", where,
                                f"{len(extra)} details entries name soundscapes that are not in the development "
                                f"test set: {_listing(extra)}"))
    return findings


def _listing(names: list[str]) -> str:
    return ", ".join(names[:_MAX_LISTED]) + (" …" if len(names) > _MAX_LISTED else "")
