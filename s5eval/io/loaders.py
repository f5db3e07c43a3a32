"""Safe loading of the JSON and YAML files of a package: findings, never exceptions.

JSON: strict (NaN/Infinity and repeated keys are refused), bounded in size and
in nesting depth.
YAML: the safe loader (the C loader when available), no custom tags, repeated
keys refused, bounded in size, in nesting depth, in the number of aliases and
in the number of nodes the document expands to once aliases are followed (the
billion-laughs pattern, also under the alias limit). The bounds are checked on
the event stream, which is read lazily, before anything is composed: a hostile
document is refused after a few events, never expanded.

Messages quote hostile input only through :func:`preview` (bounded length).
"""
from __future__ import annotations

import json
import math
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from ..findings import Finding, error

MAX_JSON_BYTES = 256 * 1024**2
MAX_YAML_BYTES = 1024**2
MAX_YAML_ALIASES = 100
MAX_YAML_NODES = 200_000  # scalars and collections, counted with every alias expanded
MAX_NESTING = 64  # levels of lists/objects, in JSON and (aliases expanded) in YAML

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300  # Python refuses to print longer integers
_MAX_INT_BITS = int(_MAX_INT_DIGITS * 3.3219)


def preview(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, without building the whole repr of a big value."""
    limit = max(limit, 8)
    if isinstance(value, (str, bytes, bytearray)):
        text = repr(value[: limit + 1])
    elif isinstance(value, (list, tuple, dict, set, frozenset)):
        opening, closing = "()" if isinstance(value, tuple) else "[]" if isinstance(value, list) else "{}"
        parts: list[str] = []
        used = 0
        items = value.items() if isinstance(value, dict) else value
        if isinstance(value, (set, frozenset)):  # an order that does not depend on the hash seed
            items = sorted(value, key=lambda item: (type(item).__name__, preview(item, limit)))
        for item in items:
            if used > limit:
                break
            part = (f"{preview(item[0], limit - used)}: {preview(item[1], limit - used)}" if isinstance(value, dict)
                    else preview(item, limit - used))
            parts.append(part)
            used += len(part) + 2
        more = ", ..." if len(parts) < len(value) else ""
        text = opening + ", ".join(parts) + more + closing
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        text = f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def cut(text: str, limit: int = 200) -> str:
    """``text`` cut to at most ``limit`` characters (for messages that quote input)."""
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def _value_message(exc: Exception) -> str:
    text = str(exc)
    if "integer string conversion" in text:  # Python's guard against quadratic int parsing
        return f"an integer has more than {_MAX_INT_DIGITS} digits"
    return cut(text)


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


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {cut(text, 40)} is out of range (too large for a double)")
    return value


def nesting_exceeds(data: Any, limit: int = MAX_NESTING) -> bool:
    """True when ``data`` (parsed JSON/YAML) nests lists and mappings more than ``limit`` levels deep.

    Iterative, so any depth is measured without recursion.
    """
    stack = [(data, 1)] if isinstance(data, (list, dict)) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False


def parse_json_text(text: str, where: str) -> tuple[Any, list[Finding]]:
    """Parse JSON text; return ``(data, findings)`` with ``data`` None on failure."""
    too_deep = [error("E_JSON_SYNTAX", where, f"the JSON is nested more than {MAX_NESTING} levels deep")]
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant,
                          parse_float=_finite_float)
    except _DuplicateKey as exc:
        return None, [error("E_JSON_DUPLICATE_KEY", where,
                            f"the key {preview(exc.args[0])} appears twice in one object")]
    except json.JSONDecodeError as exc:
        return None, [error("E_JSON_SYNTAX", where, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
    except RecursionError:
        return None, too_deep
    except ValueError as exc:
        return None, [error("E_JSON_SYNTAX", where, _value_message(exc))]
    if nesting_exceeds(data):
        return None, too_deep
    return data, []


def _read_text(path: str | Path, where: str, max_bytes: int, too_large_code: str,
               unreadable_code: str) -> tuple[str | None, list[Finding]]:
    """Read a UTF-8 file (optional BOM) of at most ``max_bytes``; findings carry the given codes."""
    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            return None, [error(unreadable_code, where, "is not a regular file")]
        if info.st_size > max_bytes:
            return None, [error(too_large_code, where, f"is {info.st_size} bytes; at most {max_bytes} are read")]
        with Path(path).open("rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:  # grew while being read
            return None, [error(too_large_code, where, f"is more than {max_bytes} bytes; at most {max_bytes} are read")]
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [error(unreadable_code, where, f"is not UTF-8 text (byte {exc.start})")]
    except OSError as exc:
        return None, [error(unreadable_code, where, f"cannot be read: {exc.strerror or exc}")]


def load_json_file(path: str | Path, where: str | None = None) -> tuple[Any, list[Finding]]:
    """Read and parse a JSON file (UTF-8, optional BOM); findings for every failure."""
    where = where or str(path)
    text, findings = _read_text(path, where, MAX_JSON_BYTES, "E_JSON_TOO_LARGE", "E_JSON_SYNTAX")
    return (None, findings) if text is None else parse_json_text(text, where)


class _YamlLimit(ValueError):
    """A YAML document over one of the bounds: ``(code, message)``."""


class _YamlDuplicateKey(ValueError):
    """A mapping repeats a key: ``(key, mark)``."""


def _check_yaml_events(text: str) -> None:
    """Walk the event stream lazily; raise :class:`_YamlLimit` as soon as a bound is passed.

    Every collection is measured as the number of nodes it stands for, with
    aliases expanded (an alias counts the nodes of its anchor), and as its
    depth; so the expansion is known without building it.
    """
    frames: list[list] = []  # [anchor, nodes, depth below]
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, depth)
    open_anchors: set[str] = set()
    aliases = 0

    def done(anchor: str | None, nodes: int, depth: int) -> None:
        if anchor:
            anchors[anchor] = (nodes, depth)
            open_anchors.discard(anchor)
        if len(frames) + depth > MAX_NESTING:
            raise _YamlLimit("E_YAML_SYNTAX", f"the YAML is nested more than {MAX_NESTING} levels deep"
                                              + (" once its aliases are followed" if depth > 1 else ""))
        if frames:
            frames[-1][1] += nodes
            frames[-1][2] = max(frames[-1][2], depth)
            if frames[-1][1] > MAX_YAML_NODES:
                raise _YamlLimit("E_YAML_ALIASES", f"expands to more than {MAX_YAML_NODES} values once its "
                                                   f"aliases are followed")

    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            frames.append([event.anchor, 1, 0])
            if event.anchor:
                open_anchors.add(event.anchor)
            if len(frames) > MAX_NESTING:
                raise _YamlLimit("E_YAML_SYNTAX", f"the YAML is nested more than {MAX_NESTING} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes, below = frames.pop()
            done(anchor, nodes, below + 1)
        elif isinstance(event, yaml.ScalarEvent):
            done(event.anchor, 1, 0)
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise _YamlLimit("E_YAML_ALIASES", f"uses more than {MAX_YAML_ALIASES} aliases")
            if event.anchor in open_anchors:
                raise _YamlLimit("E_YAML_ALIASES", f"the alias *{cut(event.anchor, 40)} "
                                                   f"refers to a value that contains it (a recursive structure)")
            nodes, depth = anchors.get(event.anchor, (1, 0))  # an undefined alias is a syntax error when loading
            done(None, nodes, depth)


class _StrictLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing a mapping that repeats a key (a merge ``<<`` may still be overridden)
    and integers too long to be printed (``0x…`` is not bound by Python's 4300-digit limit).
    """

    def construct_yaml_int(self, node):
        value = super().construct_yaml_int(node)
        if value.bit_length() > _MAX_INT_BITS:
            raise ValueError(f"an integer has more than {_MAX_INT_DIGITS} digits")
        return value

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        raise _YamlDuplicateKey(key, key_node.start_mark)
                    seen.add(key)
                except TypeError:  # an unhashable key: the constructor reports it
                    continue
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def parse_yaml_text(text: str, where: str) -> tuple[Any, list[Finding]]:
    """Parse YAML with the safe loader; return ``(data, findings)`` with ``data`` None on failure."""
    try:
        _check_yaml_events(text)
        return yaml.load(text, Loader=_StrictLoader), []
    except _YamlLimit as exc:
        return None, [error(exc.args[0], where, exc.args[1])]
    except _YamlDuplicateKey as exc:
        key, mark = exc.args
        at = f" at line {mark.line + 1}" if mark is not None else ""
        return None, [error("E_YAML_DUPLICATE_KEY", where, f"the key {preview(key)} appears twice in one mapping{at}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = cut(exc.problem or exc.context or "syntax error")
        return None, [error("E_YAML_SYNTAX", where, f"invalid YAML{at}: {what}")]
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "error"
        return None, [error("E_YAML_SYNTAX", where, f"invalid YAML: {cut(first)}")]
    except RecursionError:
        return None, [error("E_YAML_SYNTAX", where, "the YAML is nested too deeply to be read")]
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp out of range, a 5000-digit integer
        return None, [error("E_YAML_SYNTAX", where, f"invalid value in YAML: {_value_message(exc)}")]


def load_yaml_file(path: str | Path, where: str | None = None) -> tuple[Any, list[Finding]]:
    """Read and parse a YAML file (UTF-8); findings for every failure."""
    where = where or str(path)
    text, findings = _read_text(path, where, MAX_YAML_BYTES, "E_YAML_TOO_LARGE", "E_YAML_SYNTAX")
    return (None, findings) if text is None else parse_yaml_text(text, where)
