"""The leaderboard as a rich table for the terminal."""
from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from .render_csv import format_cell
from .render_md import headline_keys
from ..results import figures as catalogue
from .table import Leaderboard


def terminal_table(leaderboard: Leaderboard) -> Table:
    """Rank, code, submission, the headline figures with 95 % intervals, rank interval, group."""
    keys = headline_keys(leaderboard)
    table = Table(title=f"Leaderboard: {catalogue.title(leaderboard.metric)} on '{leaderboard.subset}'", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("code")
    table.add_column("submission")
    for k in keys:
        table.add_column(catalogue.label(k), justify="right")
    table.add_column("rank CI", justify="right")
    table.add_column("group", justify="right")
    table.add_column("p next (Holm)", justify="right")
    for row in leaderboard.rows:
        ok = row["status"] == "ok"
        cells = [str(row["rank"]), escape(str(row["code"])), escape(row["label"])]
        for k in keys:
            value = format_cell(k, row.get(k)) or "—"
            lo, hi = row.get(f"{k}_ci_low"), row.get(f"{k}_ci_high")
            if lo is not None and hi is not None:
                value += f" [{format_cell(k, lo)}, {format_cell(k, hi)}]"
            cells.append(value)
        interval = "" if row.get("rank_ci_low") is None else f"{row['rank_ci_low']}–{row['rank_ci_high']}"
        cells += [interval, format_cell("group", row.get("group")), format_cell("p_next_holm", row.get("p_next_holm"))]
        if not ok:
            cells[2] += " [red](failed)[/]"
        table.add_row(*cells, style=None if ok else "dim")
    return table
