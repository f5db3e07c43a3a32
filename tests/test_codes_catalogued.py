"""Every finding code raised anywhere in ``s5eval/`` and ``baseline/`` is in the catalogue.

The catalogue (``s5eval/validate/codes.py``) generates ``docs/findings.md``, so a code
missing there is an undocumented code. The source is read with :mod:`ast`:

* every string literal that is a whole code (``"E_…"``/``"W_…"``) counts, wherever it
  stands (``error("E_X", …)``, ``code = "E_X" if … else "E_Y"``, a table of codes);
* a literal that ends in ``_`` (``"E_REF_"``) or is an argument of ``str.startswith``
  is a prefix, not a code; it must begin at least one catalogued code;
* codes built by concatenation (``prefix + "CHANNELS"``) are expanded: each side is
  resolved to the string literals assigned to that name in the same function
  (``prefix = "E_REF_" if … else "E_"``) or, for a function parameter, to
  :data:`PARAMETER_VALUES` below. A concatenation that cannot be resolved fails the
  test, so a new way of building codes has to be taught here.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from s5eval.validate.codes import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"[EW]_[A-Z][A-Z0-9_]*[A-Z0-9]")
PREFIX = re.compile(r"[EW]_(?:[A-Z][A-Z0-9_]*_)?")
SUFFIX = re.compile(r"[A-Z][A-Z0-9_]*")

# (file, function, parameter) -> the values callers pass; checked against the call sites below.
PARAMETER_VALUES = {
    ("s5eval/scoring/mixture.py", "read_problem", "prefix"): {"E_", "E_REF_"},
    ("s5eval/validate/audio.py", "shape_findings", "prefix"): {"E_", "E_REF_"},
}


def _sources():
    for top in ("s5eval", "baseline"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.relative_to(ROOT).as_posix() != "s5eval/validate/codes.py":
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _string(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _literals(node) -> set[str]:
    """String literals an expression may evaluate to (constants and both branches of ``a if c else b``)."""
    if _string(node) is not None:
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    return set()


def _functions(tree):
    """(function or None for the module, the nodes of its own scope, nested functions left out)."""
    scopes = [(None, tree)] + [(n, n) for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for func, root in scopes:
        nodes, todo = [], list(ast.iter_child_nodes(root))
        while todo:
            node = todo.pop()
            nodes.append(node)
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                todo.extend(ast.iter_child_nodes(node))
        yield func, nodes


def _assigned_literals(scope) -> dict[str, set[str]]:
    """The string literals assigned to each plain name in a function's body."""
    assigned: dict[str, set[str]] = {}
    for node in scope:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, set()).update(_literals(node.value))
    return assigned


def _built_codes(rel: str, tree) -> tuple[set[str], list[str]]:
    """Codes built with ``+`` in this file, and the concatenations that could not be resolved."""
    built, unresolved = set(), []
    for func, scope in _functions(tree):
        assigned = _assigned_literals(scope)
        params = {a.arg for a in func.args.args + func.args.kwonlyargs} if func else set()

        def values(side) -> set[str] | None:
            if _string(side) is not None or isinstance(side, ast.IfExp):
                return _literals(side) or None
            if isinstance(side, ast.Name):
                if side.id in params:
                    return PARAMETER_VALUES.get((rel, func.name, side.id))
                return assigned.get(side.id) or None
            return None

        for node in scope:
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
                continue
            left, right = values(node.left), values(node.right)
            codeish = any(PREFIX.fullmatch(v) for v in left or ()) or (
                func is not None and isinstance(node.left, ast.Name) and (rel, func.name, node.left.id)
                in PARAMETER_VALUES)
            if not codeish:
                continue
            if left is None or right is None:
                unresolved.append(f"{rel}:{node.lineno}")
                continue
            built |= {a + b for a in left for b in right if PREFIX.fullmatch(a) and SUFFIX.fullmatch(b)}
    return built, unresolved


def _prefix_arguments(tree) -> set[int]:
    """ids of the literals passed to ``.startswith`` (prefix tests, not codes)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "startswith":
            for arg in node.args:
                for sub in ast.walk(arg):
                    if _string(sub) is not None:
                        found.add(id(sub))
    return found


def scan() -> tuple[dict[str, set[str]], dict[str, set[str]], list[str]]:
    """(code -> files, prefix -> files, unresolved concatenations) over s5eval/ and baseline/."""
    codes: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    unresolved: list[str] = []
    for rel, tree in _sources():
        startswith = _prefix_arguments(tree)
        for node in ast.walk(tree):
            text = _string(node)
            if text is None:
                continue
            if id(node) in startswith and CODE.fullmatch(text) or PREFIX.fullmatch(text) and text.endswith("_"):
                prefixes.setdefault(text, set()).add(rel)
            elif CODE.fullmatch(text):
                codes.setdefault(text, set()).add(rel)
        built, missing = _built_codes(rel, tree)
        for code in built:
            codes.setdefault(code, set()).add(rel)
        unresolved += missing
    return codes, prefixes, unresolved


def test_every_finding_code_is_catalogued():
    codes, _, unresolved = scan()
    assert unresolved == [], f"codes built in a way this test cannot follow: {unresolved}"
    missing = {code: sorted(files) for code, files in codes.items() if code not in CATALOGUE}
    assert missing == {}, f"add these codes to s5eval/validate/codes.py: {missing}"
    assert all(code[0] == info.severity[0].upper() for code, info in CATALOGUE.items())


def test_the_scan_finds_codes_built_from_prefixes():
    codes, prefixes, _ = scan()
    # validate/audio.py shape_findings builds E_CHANNELS / E_REF_CHANNELS; scoring/mixture.py read_problem builds E_TRUNCATED / E_REF_TRUNCATED from prefixes
    assert {"E_CHANNELS", "E_REF_CHANNELS", "E_REF_NONFINITE", "E_TRUNCATED", "E_REF_TRUNCATED",
            "E_REF_NOT_REGULAR_FILE", "E_UNREADABLE", "E_REF_UNREADABLE"} <= set(codes)
    assert {"E_INTERNAL", "E_DUPLICATE_LABEL", "E_BASELINE_CKPT_UNTRUSTED", "E_SUBS_DIR"} <= set(codes)
    for prefix in prefixes:
        assert any(code.startswith(prefix) for code in CATALOGUE), prefix


def test_parameter_values_match_the_call_sites():
    """Every call of the function anywhere in the package passes one of the listed values (or its default)."""
    trees = [tree for _, tree in _sources()]
    for (rel, function, parameter), expected in PARAMETER_VALUES.items():
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        definition = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
        names = [a.arg for a in definition.args.args]
        position = names.index(parameter)
        defaults = dict(zip(names[len(names) - len(definition.args.defaults):], definition.args.defaults))
        seen: set[str] = set()
        for other in trees:
            for func, scope in _functions(other):
                assigned = _assigned_literals(scope)
                for node in scope:
                    if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                            == function):
                        continue
                    keyword = next((k.value for k in node.keywords if k.arg == parameter), None)
                    arg = node.args[position] if len(node.args) > position else keyword or defaults[parameter]
                    seen |= _literals(arg) or assigned.get(getattr(arg, "id", ""), set())
        assert seen == expected, (rel, function, parameter, seen)
