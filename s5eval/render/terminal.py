"""Terminal rendering with rich: result tables and findings."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..findings import Finding
from ..results.figures import figure, label


def _console(to_stderr: bool) -> Console:
    console = Console(stderr=to_stderr, highlight=False)
    if not console.is_terminal:  # files and pipes: wide enough for every column
        console = Console(stderr=to_stderr, highlight=False, width=160)
    return console


stdout = _console(False)
stderr = _console(True)


def _num(key: str, fig: dict) -> str:
    return figure(key).format(fig.get(key))


def _ci(fig: dict, key: str) -> str:
    low, high = fig.get(f"{key}_ci_low"), fig.get(f"{key}_ci_high")
    return "" if low is None or high is None else f" [{low:.2f}, {high:.2f}]"


def results_table(results: Mapping[str, Any], headline: str = "capi_sdri", title: str | None = None) -> Table:
    """One row per subset: the headline figure with its interval, CAPI-SDRi, the accuracies, TP-only SDRi, counts.

    Titles, units and decimals come from the figure catalogue (:mod:`s5eval.results.figures`).
    """
    table = Table(title=title or f"{results['provenance'].get('submission_label', '')}", title_justify="left")
    keys = [headline] + [k for k in ("capi_sdri", "accuracy_mix", "accuracy_src", "tp_sdri") if k != headline]
    with_interval = {headline, "accuracy_mix", "accuracy_src"}
    table.add_column("subset")
    table.add_column("mixtures", justify="right")
    for key in keys:
        table.add_column(label(key), justify="right")
    table.add_column("TP/FP/FN", justify="right")
    for subset, fig in results["subsets"].items():
        row = [subset, f"{fig['n_scored']}/{fig['n_mixtures']}"]
        row += [_num(key, fig) + (_ci(fig, key) if key in with_interval else "") for key in keys]
        row.append(f"{fig['tp']}/{fig['fp']}/{fig['fn']}")
        table.add_row(*row)
    return table


def print_package_findings(findings: Iterable[Finding], console: Console | None = None) -> None:
    """Findings about the package around the estimates, which scoring reports without refusing."""
    findings = list(findings)
    if not findings:
        return
    console = console or stderr
    n_errors = sum(f.is_error for f in findings)
    console.print(f"package: {n_errors} error(s), {len(findings) - n_errors} warning(s) that do not change the "
                  "scores (s5eval validate refuses a package with errors before upload):")
    print_findings(findings, console)


def print_findings(findings: Iterable[Finding], console: Console | None = None, per_code: int = 10) -> None:
    """One line per finding, errors first; at most ``per_code`` lines per code, then a count."""
    console = console or stderr
    ordered = sorted(findings, key=lambda f: (not f.is_error, f.code, f.file))
    shown: dict[str, int] = {}
    for f in ordered:
        shown[f.code] = shown.get(f.code, 0) + 1
        if shown[f.code] > per_code:
            continue
        style = "bold red" if f.is_error else "yellow"
        where = f"{f.file}: " if f.file else ""
        console.print(f"[{style}]{f.code}[/] {escape(where + f.message)}", soft_wrap=True)
    for code, count in shown.items():
        if count > per_code:
            console.print(f"… and {count - per_code} more {code} (use --json to get them all)")
