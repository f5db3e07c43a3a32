"""The terminal report of ``s5eval validate``: a verdict, counts per code grouped by family, then the findings."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..render.terminal import print_findings, stdout
from .codes import CATALOGUE, FAMILY_TITLES, family_of
from .runner import ValidationReport


def counts_table(report: ValidationReport) -> Table:
    """One row per code, grouped by family: severity, count, what it means."""
    table = Table(title="findings per code", title_justify="left")
    table.add_column("family")
    table.add_column("code")
    table.add_column("severity")
    table.add_column("count", justify="right")
    table.add_column("meaning")
    order = list(FAMILY_TITLES) + ["other"]
    counts = report.counts()
    severity = {f.code: f.severity for f in report.findings}
    rows = sorted(counts.items(), key=lambda kv: (order.index(family_of(kv[0])), kv[0]))
    for code, count in rows:
        info = CATALOGUE.get(code)
        style = "red" if severity[code] == "error" else "yellow"
        table.add_row(family_of(code), f"[{style}]{code}[/]", severity[code], str(count), info.meaning if info else "")
    return table


def print_report(report: ValidationReport, console: Console | None = None, per_code: int = 10) -> None:
    """Findings (at most ``per_code`` lines per code), the table of counts and a one-line verdict."""
    console = console or stdout
    if report.findings and per_code > 0:
        print_findings(report.findings, console=console, per_code=per_code)
        console.print(counts_table(report))
    n_err, n_warn = len(report.errors), len(report.warnings)
    where = escape(report.submission + (f" against {report.reference}" if report.reference else ""))
    if report.exit_code == 0:
        verdict = "[bold green]valid[/]" + (f" with {n_warn} warning(s)" if n_warn else "")
    elif report.exit_code == 3:
        verdict = f"[bold red]reference-set problem[/] ({n_err} error(s))"
    elif report.exit_code == 2:
        verdict = "[bold red]usage error[/]"
    else:
        verdict = f"[bold red]invalid[/]: {n_err} error(s), {n_warn} warning(s)"
    checked = (f"submission package: {report.n_systems} system{'s' if report.n_systems != 1 else ''} checked"
               if report.n_systems is not None else f"{report.n_estimates} estimate files checked")
    console.print(f"{where}: {verdict} — {checked} in {report.elapsed_s:.1f} s",
                  soft_wrap=True, markup=True, highlight=False)
