"""``leaderboard.csv``: one row per system in rank order, stable column names, full precision.

The CSV holds every number at full precision (the shortest text that reads
back as the same float); the Markdown, HTML and terminal renderings round
with :func:`format_cell`. Every column is documented in
``docs/leaderboard_columns.md``, generated from :data:`COLUMN_DOCS`,
:data:`FIGURE_DOCS` and :data:`PER_SUBSET_DOCS`
(``python -m s5eval.leaderboard.render_csv > docs/leaderboard_columns.md``);
a test checks that every column written is described there.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TextIO

from ..atomic import write_atomic
from ..results import figures as catalogue
from .table import Leaderboard, decimals_for

INTEGER_COLUMNS = {"rank", "team_rank", "rank_ci_low", "rank_ci_high", "group", "nparams"}


def _is_integer_column(column: str) -> bool:
    return column in INTEGER_COLUMNS or column.startswith("n_mixtures")


def format_cell(column: str, value) -> str:
    """Display text of one cell: '' for missing, true/false, integers as they are, floats with the column's decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_integer_column(column):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.{decimals_for(column)}f}"
    return str(value)


def csv_cell(column: str, value) -> str:
    """CSV text of one cell: like :func:`format_cell` but floats at full precision (``repr``: reads back exactly)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_integer_column(column):
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def write_csv_rows(handle: TextIO, leaderboard: Leaderboard) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(leaderboard.columns)
    for row in leaderboard.rows:
        writer.writerow([csv_cell(c, row.get(c)) for c in leaderboard.columns])


def write_csv(path: str | Path, leaderboard: Leaderboard) -> Path:
    """Write the CSV atomically."""
    write_atomic(path, lambda handle: write_csv_rows(handle, leaderboard))
    return Path(path)


# --- column documentation ------------------------------------------------------------------------------

# Columns with a fixed name: (type, meaning)
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "rank": ("integer", "Rank of the system by the ranking figure (`--metric`) on the ranking subset (`--subset`, "
                        "default `ranking` when the results have it, else `all`); 1 is best. Ties share the best "
                        "rank (competition ranking: 1, 2, 2, 4); failed systems come last."),
    "code": ("text", "Short system code: the meta YAML's `submission.abbreviation`, else the label."),
    "label": ("text", "Submission label `<Author>_<Affil>_task4_<N>` (from the package or file name)."),
    "team": ("text", "Team of the system: as the inputs name it, else derived from the label (its "
                     "`<Author>_<Affil>` part)."),
    "team_rank": ("integer", "Rank of the team by its best system, ranked like `rank`."),
    "team_best": ("true/false", "`true` for the team's best system (the one that gives the team its rank)."),
    "name": ("text", "System name: the meta YAML's `submission.name`, else the label."),
    "report": ("text", "Technical report: the meta YAML's `technical_report`, else the report PDF of the "
                       "submission package; empty when unknown."),
    "status": ("text", "`ok` when scored; `failed` when the submission could not be scored (see its `failed.json`)."),
    "rank_ci_low": ("integer", "Lower end of the 95 % paired-bootstrap interval of the rank (best rank reached)."),
    "rank_ci_high": ("integer", "Upper end of the 95 % paired-bootstrap interval of the rank (worst rank reached)."),
    "group": ("integer", "Significance group, 1 for the best: a new group starts below a system whose difference to "
                         "the next ranked system is significant (`p_next_holm` < α, 0.05 by default)."),
    "diff_next": ("float", "Difference of the ranking figure to the next ranked system (same unit as the figure)."),
    "p_next": ("float", "Two-sided paired-bootstrap p-value of the difference to the next ranked system."),
    "p_next_holm": ("float", "`p_next` after Holm's correction over all adjacent pairs."),
    "nparams": ("integer", "Number of parameters of the system (`dev_set_test_results.json` or the meta YAML's "
                           "`system.complexity.total_parameters`); empty when unknown."),
    "dev_capi_sdri": ("float, dB", "CAPI-SDRi on the development test set as the submission reports it "
                                   "(`dev_set_test_results.json`, recomputed from its details, else the meta YAML)."),
    "dev_accuracy_mix": ("float, %", "Mixture label accuracy on the development test set, as the submission "
                                     "reports it (like `dev_capi_sdri`)."),
    "dev_accuracy_src": ("float, %", "Source label accuracy on the development test set, as the submission "
                                     "reports it (like `dev_capi_sdri`)."),
}

# Figures a row may carry: (unit, meaning), from the figure catalogue. ``F`` is the figure on the ranking subset,
# ``F_ci_low``/``F_ci_high`` its 95 % interval there and ``F_<subset>`` the figure on another subset (see
# PER_SUBSET_DOCS).
DOCUMENTED_FIGURES = ("capi_sdri", "accuracy_mix", "accuracy_src", "ca_sdri_2025", "casa_sdr_sb", "casa_sdr_eb",
                      "capi_si_sdri", "ca_si_sdri_2025", "tp_sdri", "count_accuracy", "zero_target_fp_rate",
                      "penalty_share", "penalty_mass", "label_accuracy_2025", "n_scored", "n_scored_2025", "tp",
                      "fp", "fn")
FIGURE_DOCS: dict[str, tuple[str, str]] = {
    key: (catalogue.figure(key).unit or "integer", catalogue.figure(key).description) for key in DOCUMENTED_FIGURES}

# Per-subset columns: pattern -> meaning. ``<subset>`` is the subset name with every character that is not a letter
# or a digit replaced by ``_`` (``n_ref=2`` -> ``n_ref_2``).
PER_SUBSET_DOCS: dict[str, tuple[str, str]] = {
    "n_mixtures_<subset>": ("integer", "Mixtures of the subset that the system was scored on."),
    "<figure>_<subset>": ("as the figure", "The figure `<figure>` (a name of the figures table) on the subset; "
                                           "empty when undefined there."),
}

SUBSET_NAMES_DOC = (
    "`all`; `zero_target`, `single`, `distinct`, `duplicate`, `nodup` and `n_ref_K` (K targets), computed from "
    "the reference labels; `ranking` and `analysis` of a preset (`--subsets dcase2026-eval`, `dcase2025-eval`); "
    "and any subset of the reference set's `subsets.csv` or of a `--subsets` file (e.g. `dupset`, `nodupset`)."
)


def describe_column(column: str) -> tuple[str, str] | None:
    """(type, meaning) of a ``leaderboard.csv`` column, or None when it is not documented."""
    if column in COLUMN_DOCS:
        return COLUMN_DOCS[column]
    if column in FIGURE_DOCS:
        unit, meaning = FIGURE_DOCS[column]
        return unit, f"{meaning} On the ranking subset."
    for end, which in (("_ci_low", "Lower"), ("_ci_high", "Upper")):
        if column.endswith(end) and column[: -len(end)] in FIGURE_DOCS:
            unit, _ = FIGURE_DOCS[column[: -len(end)]]
            return unit, f"{which} end of the 95 % bootstrap interval of `{column[: -len(end)]}` on the ranking subset."
    if column.startswith("n_mixtures_") and len(column) > len("n_mixtures_"):
        return PER_SUBSET_DOCS["n_mixtures_<subset>"]
    for figure in sorted(FIGURE_DOCS, key=len, reverse=True):
        if column.startswith(figure + "_") and len(column) > len(figure) + 1:
            unit, _ = FIGURE_DOCS[figure]
            return unit, f"`{figure}` on the subset `{column[len(figure) + 1:]}`."
    return None


def columns_markdown() -> str:
    """``docs/leaderboard_columns.md``."""
    lines = [
        "# `leaderboard.csv` columns",
        "",
        "Generated from `s5eval/leaderboard/render_csv.py` "
        "(`python -m s5eval.leaderboard.render_csv > docs/leaderboard_columns.md`); a test checks that every column "
        "`s5eval leaderboard` writes is described here.",
        "",
        "One row per system, in rank order. Numbers are written at **full precision** (the shortest decimal text "
        "that reads back as the same double); `leaderboard.md`, `leaderboard.html` and the terminal round them "
        "(3 decimals for dB, 2 for percentages, 4 for p-values). An empty cell is a missing or undefined value; "
        "booleans are `true`/`false`. Columns appear in this order: the fixed columns (the figure columns among "
        "them), then per subset `n_mixtures_<subset>` and the figures on it.",
        "",
        "## Fixed columns",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {meaning} |" for name, (kind, meaning) in COLUMN_DOCS.items()]
    lines += [
        "",
        "## Figures",
        "",
        "The leaderboard carries the ranking figure (`--metric`) and `capi_sdri`, `accuracy_mix`, `accuracy_src`. "
        "For each figure `F` it carries: `F` (on the ranking subset), `F_ci_low` and `F_ci_high` (its 95 % "
        "paired-bootstrap interval there; empty without `--bootstrap`) and `F_<subset>` for every subset.",
        "",
        "| figure | unit | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {unit} | {meaning} |" for name, (unit, meaning) in FIGURE_DOCS.items()]
    lines += [
        "",
        "## Per-subset columns",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {meaning} |" for name, (kind, meaning) in PER_SUBSET_DOCS.items()]
    lines += [
        "",
        "`<subset>` is the subset name with every character other than a letter or a digit replaced by `_`. "
        f"Subsets: {SUBSET_NAMES_DOC}",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(columns_markdown(), end="")
