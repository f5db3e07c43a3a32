"""``leaderboard.csv``: one row per system in rank order, stable column names, fixed decimals."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from ..atomic import write_atomic
from .table import Leaderboard, decimals_for

INTEGER_COLUMNS = {"rank", "team_rank", "rank_ci_low", "rank_ci_high", "group", "nparams"}


def format_cell(column: str, value) -> str:
    """Text of one cell: '' for missing, true/false, integers as they are, floats with the column's decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in INTEGER_COLUMNS or column.startswith("n_mixtures"):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.{decimals_for(column)}f}"
    return str(value)


def write_csv_rows(handle: TextIO, leaderboard: Leaderboard) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(leaderboard.columns)
    for row in leaderboard.rows:
        writer.writerow([format_cell(c, row.get(c)) for c in leaderboard.columns])


def write_csv(path: str | Path, leaderboard: Leaderboard) -> Path:
    """Write the CSV atomically."""
    write_atomic(path, lambda handle: write_csv_rows(handle, leaderboard))
    return Path(path)
