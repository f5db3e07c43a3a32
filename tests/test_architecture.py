"""The import rules of ``docs/architecture.md``, enforced.

Every module of ``s5eval/`` and ``baseline/`` is parsed with :mod:`ast`; every import
counts, at module level or inside a function, absolute or relative. Each module
belongs to one layer (:data:`LAYERS`, first matching prefix wins) and may import
only the layers :data:`ALLOWED` lists for it. Known exceptions are in
:data:`EXCEPTIONS`, each with its reason; an exception that no longer occurs fails
the test too, so the list only shrinks.

A second rule: no module imports another module's private names (``from x import _y``).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# module prefix -> layer; the longest matching prefix wins
LAYERS = {
    "s5eval.findings": "base",
    "s5eval.labels": "base",
    "s5eval.atomic": "base",
    "s5eval.stats": "base",
    "s5eval.io": "io",
    "s5eval.metrics": "metrics",
    "s5eval.results": "results",
    "s5eval.render": "render",
    "s5eval.validate": "checks",
    "s5eval.scoring": "scoring",
    "s5eval.leaderboard": "runs",
    "s5eval.codabench": "runs",
    "s5eval.calibration": "runs",
    "s5eval.mixture_report": "runs",
    "s5eval.synth": "synth",
    "s5eval.commands": "commands",
    "s5eval.cli": "cli",
    "s5eval": "api",  # the package itself: __version__ and the public metric API
    "baseline": "baseline",
}

# layer -> the layers its modules may import (its own layer always included)
ALLOWED = {
    "base": {"base"},
    "io": {"base"},
    "metrics": {"base"},  # plus s5eval.io.wav (PCM16_SCALE), see SINGLE_MODULES
    "api": {"metrics"},
    "results": {"base", "io"},
    "render": {"base", "results"},
    "checks": {"base", "io", "results", "render"},
    "scoring": {"base", "io", "metrics", "results", "render", "checks"},
    "runs": {"base", "io", "metrics", "results", "render", "checks", "scoring"},
    "synth": {"base", "io"},
    "commands": {"base", "io", "metrics", "results", "render", "checks", "scoring", "runs", "synth"},
    "cli": {"commands"},
    "baseline": {"base", "io", "metrics", "api", "results", "render", "checks", "scoring", "runs", "synth"},
}

# The leaderboard reads result folders through s5eval.results; of the scoring wing it may use only the
# public entry of a scoring run (``compare A B --ref`` scores a submission side), never its internals.
LEADERBOARD_MAY_USE_FROM_SCORING = {"s5eval.scoring.run", "s5eval.scoring.config"}

# (importing layer, imported module): allowed although the imported module's layer is not
SINGLE_MODULES = {
    ("metrics", "s5eval.io.wav"),  # the sample format (PCM16_SCALE) is defined once, beside the RIFF reader
}

# (importer, imported) -> why it is allowed for now
EXCEPTIONS = {
    ("s5eval.commands.demo", "s5eval.cli"):
        "the demo drives the real click group for `baseline infer` and `leaderboard` (inside functions).",
    ("s5eval.commands.baseline", "baseline.config"): "the CLI front of the baseline (inside functions: torch stays lazy)",
    ("s5eval.commands.baseline", "baseline.train"): "the CLI front of the baseline (inside functions)",
    ("s5eval.commands.baseline", "baseline.infer"): "the CLI front of the baseline (inside functions)",
    ("s5eval.commands.baseline", "baseline"): "TORCH_MISSING_MESSAGE, defined once in the torch-free package",
}

# (importer, imported module, private name) -> why it is allowed for now
PRIVATE_EXCEPTIONS: dict[tuple[str, str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for top in ("s5eval", "baseline") for p in sorted((ROOT / top).rglob("*.py"))}


def imports(path: Path, known: set[str]) -> list[tuple[str, str | None, int, bool]]:
    """(imported module, imported name or None, line, at module level) for every import of a file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in known:  # `from . import rooms`: the module itself
                    found.append((submodule, None, node.lineno, id(node) in top_level))
                else:
                    found.append((target, alias.name, node.lineno, id(node) in top_level))
    return [f for f in found if f[0].split(".")[0] in ("s5eval", "baseline")]


def layer_of(module: str) -> str:
    best = max((prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")), key=len)
    return LAYERS[best]


def test_every_module_has_a_layer():
    for module in modules():
        assert layer_of(module) in ALLOWED, module


def test_imports_follow_the_layers():
    known = modules()
    violations, used_exceptions = [], set()
    for module, path in known.items():
        mine = layer_of(module)
        for target, name, line, _ in imports(path, set(known)):
            if target == "s5eval" and name == "__version__":
                continue  # the version string: anyone may read it
            theirs = layer_of(target)
            if theirs == mine or theirs in ALLOWED[mine] or (mine, target) in SINGLE_MODULES:
                continue
            if (module, target) in EXCEPTIONS:
                used_exceptions.add((module, target))
                continue
            violations.append(f"{module}:{line} ({mine}) imports {target} ({theirs})")
    assert violations == [], "imports against docs/architecture.md:\n" + "\n".join(violations)
    assert set(EXCEPTIONS) - used_exceptions == set(), "exceptions that no longer occur: remove them"


def test_s5eval_imports_the_baseline_only_lazily_from_its_cli_front():
    known = modules()
    for module, path in known.items():
        if not module.startswith("s5eval"):
            continue
        for target, _, line, top in imports(path, set(known)):
            if target.split(".")[0] == "baseline":
                assert module == "s5eval.commands.baseline" and not top, f"{module}:{line} imports {target}"


def test_no_module_imports_another_modules_private_names():
    known = modules()
    found, used = [], set()
    for module, path in known.items():
        for target, name, line, _ in imports(path, set(known)):
            if name and name.startswith("_") and not name.startswith("__") and target != module:
                if (module, target, name) in PRIVATE_EXCEPTIONS:
                    used.add((module, target, name))
                else:
                    found.append(f"{module}:{line} imports {target}.{name}")
    assert found == [], "private names imported from another module:\n" + "\n".join(found)
    assert set(PRIVATE_EXCEPTIONS) - used == set(), "exceptions that no longer occur: remove them"


def test_the_synthesizer_has_no_import_cycle():
    known = modules()
    graph = {m: {t for t, _, _, _ in imports(p, set(known)) if t.startswith("s5eval.synth") and t != m}
             for m, p in known.items() if m.startswith("s5eval.synth.")}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and (seen.add(nxt) or reaches(nxt, goal, seen))):
                return True
        return False

    assert [m for m in graph if reaches(m, m, set())] == []


def test_the_leaderboard_reads_results_not_scoring_internals():
    known = modules()
    for module, path in known.items():
        if not module.startswith("s5eval.leaderboard"):
            continue
        for target, _, line, _ in imports(path, set(known)):
            if target.startswith("s5eval.scoring"):
                assert target in LEADERBOARD_MAY_USE_FROM_SCORING, f"{module}:{line} imports {target}"
