"""``leaderboard.md``: the system ranking and the team ranking as Markdown tables."""
from __future__ import annotations

from .render_csv import format_cell
from ..results import figures as catalogue
from .table import Leaderboard


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _with_ci(row: dict, key: str) -> str:
    value = format_cell(key, row.get(key))
    low, high = row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high")
    if value and low is not None and high is not None:
        value += f" [{format_cell(key, low)}, {format_cell(key, high)}]"
    return value or "—"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return lines


def headline_keys(leaderboard: Leaderboard) -> list[str]:
    return list(dict.fromkeys([leaderboard.metric, "capi_sdri", "accuracy_mix", "accuracy_src"]))


def render_markdown(leaderboard: Leaderboard) -> str:
    """The whole Markdown document."""
    keys = headline_keys(leaderboard)
    has_dev = any(row.get("dev_capi_sdri") is not None for row in leaderboard.rows)
    title = catalogue.title(leaderboard.metric)
    lines = [f"# Leaderboard — {title} on subset `{leaderboard.subset}`", ""]
    stats = leaderboard.statistics
    if stats.get("n_mixtures"):
        lines += [f"95 % intervals: paired bootstrap, {stats['resamples']} resamples over "
                  f"{stats['n_mixtures']} mixtures (seed {stats['seed']}). Group: systems not significantly "
                  f"different from their neighbours (Holm-corrected adjacent tests, α = {stats['alpha']}).", ""]
    header = ["Rank", "Code", "Submission", "Team rank"] + [catalogue.label(k) for k in keys]
    if has_dev:
        header += ["Dev CAPI-SDRi (dB)", "Dev mixture acc. (%)"]
    header += ["Rank 95 % interval", "Group", "p vs next (Holm)", "Params", "Report"]
    body = []
    for row in leaderboard.rows:
        rank = str(row["rank"]) if row["status"] == "ok" else f"{row['rank']} (failed)"
        cells = [rank, row["code"], row["label"], str(row["team_rank"])] + [_with_ci(row, k) for k in keys]
        if has_dev:
            cells += [format_cell("dev_capi_sdri", row.get("dev_capi_sdri")) or "—",
                      format_cell("dev_accuracy_mix", row.get("dev_accuracy_mix")) or "—"]
        interval = "" if row.get("rank_ci_low") is None else f"{row['rank_ci_low']}–{row['rank_ci_high']}"
        cells += [interval, format_cell("group", row.get("group")),
                  format_cell("p_next_holm", row.get("p_next_holm")), format_cell("nparams", row.get("nparams")),
                  row.get("report") or ""]
        body.append(cells)
    lines += ["## Systems", ""] + _table(header, body) + [""]
    team_header = ["Rank", "Team", "Best system", catalogue.label(leaderboard.metric), "Systems"]
    team_body = [[str(t["rank"]), t["team"], t["best_system"] or "—",
                  format_cell(leaderboard.metric, t.get(leaderboard.metric)) or "—", str(len(t["systems"]))]
                 for t in leaderboard.teams]
    lines += ["## Teams", ""] + _table(team_header, team_body) + [""]
    if len(leaderboard.subsets) > 1:
        sub_header = ["Submission"] + [f"`{name}`" for name in leaderboard.subsets]
        sub_body = [[row["label"]] + [format_cell(leaderboard.metric, row.get(f"{leaderboard.metric}_{_slug(n)}")) or "—"
                                      for n in leaderboard.subsets] for row in leaderboard.rows]
        lines += [f"## {catalogue.label(leaderboard.metric)} per subset", ""] + _table(sub_header, sub_body) + [""]
    if leaderboard.skipped:
        lines += ["## Skipped inputs", ""] + [f"- `{p}`: {why}" for p, why in leaderboard.skipped] + [""]
    return "\n".join(lines)


def _slug(name: str) -> str:
    from .table import slug
    return slug(name)
