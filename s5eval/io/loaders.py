"""Safe loading of the JSON and YAML files of a package: findings, never exceptions.

JSON: strict (NaN/Infinity and repeated keys are refused), bounded in size.
YAML: ``yaml.safe_load`` (the C loader when available), no custom tags,
bounded in size and in the number of aliases (the billion-laughs pattern).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..findings import Finding, error

MAX_JSON_BYTES = 256 * 1024**2
MAX_YAML_BYTES = 1024**2
MAX_YAML_ALIASES = 100

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (use null or a finite number)")


def parse_json_text(text: str, where: str) -> tuple[Any, list[Finding]]:
    """Parse JSON text; return ``(data, findings)`` with ``data`` None on failure."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant), []
    except _DuplicateKey as exc:
        return None, [error("E_JSON_DUPLICATE_KEY", where, f"the key {str(exc)!r} appears twice in one object")]
    except json.JSONDecodeError as exc:
        return None, [error("E_JSON_SYNTAX", where, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
    except RecursionError:
        return None, [error("E_JSON_SYNTAX", where, "the JSON is nested too deeply to be read")]
    except ValueError as exc:
        return None, [error("E_JSON_SYNTAX", where, str(exc))]


def _read_text(path: str | Path, where: str, max_bytes: int, too_large_code: str,
               unreadable_code: str) -> tuple[str | None, list[Finding]]:
    """Read a UTF-8 file (optional BOM) of at most ``max_bytes``; findings carry the given codes."""
    try:
        size = Path(path).stat().st_size
        if size > max_bytes:
            return None, [error(too_large_code, where, f"is {size} bytes; at most {max_bytes} are read")]
        return Path(path).read_bytes().decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [error(unreadable_code, where, f"is not UTF-8 text (byte {exc.start})")]
    except OSError as exc:
        return None, [error(unreadable_code, where, f"cannot be read: {exc.strerror or exc}")]


def load_json_file(path: str | Path, where: str | None = None) -> tuple[Any, list[Finding]]:
    """Read and parse a JSON file (UTF-8, optional BOM); findings for every failure."""
    where = where or str(path)
    text, findings = _read_text(path, where, MAX_JSON_BYTES, "E_JSON_TOO_LARGE", "E_JSON_SYNTAX")
    return (None, findings) if text is None else parse_json_text(text, where)


def _count_aliases(text: str) -> int:
    return sum(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_SafeLoader))


def parse_yaml_text(text: str, where: str) -> tuple[Any, list[Finding]]:
    """Parse YAML with the safe loader; return ``(data, findings)`` with ``data`` None on failure."""
    try:
        if "*" in text and _count_aliases(text) > MAX_YAML_ALIASES:
            return None, [error("E_YAML_ALIASES", where, f"uses more than {MAX_YAML_ALIASES} aliases")]
        return yaml.load(text, Loader=_SafeLoader), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [error("E_YAML_SYNTAX", where, f"invalid YAML{at}: {exc.problem or exc.context or 'syntax error'}")]
    except yaml.YAMLError as exc:
        return None, [error("E_YAML_SYNTAX", where, f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else 'error'}")]
    except RecursionError:
        return None, [error("E_YAML_SYNTAX", where, "the YAML is nested too deeply to be read")]
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp out of range
        return None, [error("E_YAML_SYNTAX", where, f"invalid value in YAML: {exc}")]


def load_yaml_file(path: str | Path, where: str | None = None) -> tuple[Any, list[Finding]]:
    """Read and parse a YAML file (UTF-8); findings for every failure."""
    where = where or str(path)
    text, findings = _read_text(path, where, MAX_YAML_BYTES, "E_YAML_TOO_LARGE", "E_YAML_SYNTAX")
    return (None, findings) if text is None else parse_yaml_text(text, where)
