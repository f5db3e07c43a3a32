"""``eval_results.json`` against its schema and against the files; ``dev_set_test_results.json`` structure."""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..findings import Finding, error, warning
from ..io.submission import DEV_RESULTS, ESTIMATE_DIR, EVAL_RESULTS
from .context import Context
from ..io.loaders import load_json_file
from .schemas import describe, schema_errors

_MAX_LISTED = 5


def _schema_code(err) -> str:
    path = list(err.absolute_path)
    if path[:1] == ["nparams"] or (not path and err.validator == "required" and "'nparams'" in err.message):
        return "E_NPARAMS"
    if path and path[-1] == "probability":
        return "E_PROBABILITY"
    return "E_RESULTS_SCHEMA"


def _schema_findings(schema: str, data: Any, where: str, code_for) -> list[Finding]:
    try:
        return [error(code_for(err), where, describe(err)) for err in schema_errors(schema, data)]
    except ValueError as exc:
        return [error("E_JSON_SYNTAX", where, str(exc))]


def load_eval_results(ctx: Context) -> tuple[Any, list[Finding]]:
    """Parse ``eval_results.json`` and check it against its schema; ``(data, findings)``."""
    path = ctx.root / EVAL_RESULTS
    if not path.is_file():
        return None, []  # reported by the layout check
    where = ctx.shown(path)
    data, findings = load_json_file(path, where)
    if findings:
        return None, findings
    return data, _schema_findings("eval_results", data, where, _schema_code)


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
    on_disk = {e.path.name: e for e in ctx.estimates}
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


def check_dev_results(ctx: Context) -> list[Finding]:
    """Structure of the optional ``dev_set_test_results.json`` (the layout of ``eval_results.json``)."""
    path = ctx.root / DEV_RESULTS
    if not path.is_file():
        return []
    where = ctx.shown(path)
    data, findings = load_json_file(path, where)
    if findings:
        return findings
    return _schema_findings("dev_set_test_results", data, where, lambda err: "E_DEV_RESULTS_SCHEMA")
