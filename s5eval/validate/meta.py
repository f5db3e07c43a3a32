"""The meta YAML ``<label>.meta.yaml``: DCASE submission meta layout, read with the safe loader."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..findings import Finding, error, warning
from ..io.loaders import preview
from ..io.package import MAX_NPARAMS, find_meta, nested, read_meta
from .context import Context
from .schemas import describe, schema_errors

_CORRESPONDING_KEYWORDS = {"contains", "minContains", "maxContains"}


def _schema_code(err) -> str:
    path = [str(p) for p in err.absolute_path]
    if path[-1:] == ["authors"] and err.validator in _CORRESPONDING_KEYWORDS:
        return "E_META_CORRESPONDING"
    if path[-1:] == ["abbreviation"] or (path == ["submission"] and "'abbreviation'" in err.message):
        return "E_META_ABBREVIATION"
    if "total_parameters" in path or (path[-1:] == ["complexity"] and "'total_parameters'" in err.message):
        return "E_META_PARAMETERS"
    return "E_META_SCHEMA"


def _message(code: str, err, data: Any) -> str:
    if code == "E_META_CORRESPONDING":
        authors = nested(data, "submission", "authors")
        n = sum(isinstance(a, dict) and a.get("corresponding") is True for a in authors) if isinstance(authors, list) else 0
        return f"$.submission.authors: exactly one author must have 'corresponding: true'; {n} have"
    if code == "E_META_ABBREVIATION":
        return describe(err) + " (at most 10 characters)"
    return describe(err)


def meta_path(ctx: Context) -> Path | None:
    """The package's meta YAML (a misnamed one too: the layout check reports its name)."""
    return find_meta(ctx.root, ctx.label)


def check_meta(ctx: Context) -> tuple[Any, list[Finding]]:
    """Load the package's meta YAML (optional) safely, check its schema and that its label is the package name."""
    path = meta_path(ctx)
    if path is None:
        return None, []  # optional in an audio package; a misnamed one is reported by the layout check
    return check_meta_file(path, ctx.shown(path), ctx.label)


def check_meta_file(path: Path, where: str, expected_label: str) -> tuple[Any, list[Finding]]:
    """Load a meta YAML safely and check it: schema, one corresponding author, label equal to ``expected_label``.

    ``where`` is how findings name the file. Returns ``(data or None, findings)``.
    """
    data, findings = read_meta(path, where)
    if findings:
        return None, findings
    try:
        findings = [error(code, where, _message(code, err, data))
                    for err in schema_errors("meta", data) for code in [_schema_code(err)]]
    except ValueError as exc:
        return None, [error("E_YAML_SYNTAX", where, str(exc))]
    total = nested(data, "system", "complexity", "total_parameters")
    if isinstance(total, int) and not isinstance(total, bool) and total > MAX_NPARAMS:
        findings.append(error("E_META_PARAMETERS", where,
                              f"$.system.complexity.total_parameters: {preview(total, 30)} is not a plausible "
                              f"parameter count (at most {MAX_NPARAMS:.0e})"))
    label = nested(data, "submission", "label")
    if label == expected_label:  # a bad package name is reported once, as E_PACKAGE_NAME
        findings = [f for f in findings if not f.message.startswith("$.submission.label: ")]
    if isinstance(label, str) and label != expected_label:
        findings.append(error("E_META_LABEL", where,
                              f"$.submission.label is {preview(label)} but the package is named '{expected_label}'"))
    return data, findings


def check_nparams(ctx: Context, eval_results: Any, meta: Any) -> list[Finding]:
    """``nparams`` of eval_results.json equals the meta YAML's ``system.complexity.total_parameters``."""
    nparams = eval_results.get("nparams") if isinstance(eval_results, dict) else None
    total = nested(meta, "system", "complexity", "total_parameters")
    if isinstance(nparams, int) and isinstance(total, int) and not isinstance(nparams, bool) \
            and not isinstance(total, bool) and nparams != total:
        path = meta_path(ctx)
        return [warning("W_NPARAMS_MISMATCH", ctx.shown(path) if path else ctx.shown(ctx.root),
                        f"system.complexity.total_parameters is {preview(total, 30)} but eval_results.json says "
                        f"nparams {preview(nparams, 30)}")]
    return []
