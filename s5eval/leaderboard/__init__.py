"""Leaderboards: ranking, paired bootstrap statistics and the CSV/Markdown/HTML/terminal renderings."""
from __future__ import annotations

from pathlib import Path

from ..atomic import write_atomic, write_json_atomic
from .inputs import SystemResult, load_inputs
from .table import Leaderboard, build_leaderboard

OUTPUT_FILES = ("leaderboard.csv", "leaderboard.md", "leaderboard.html", "leaderboard.json")


def write_leaderboard(out_dir: str | Path, leaderboard: Leaderboard) -> list[Path]:
    """Write the four files (each atomically) and return their paths."""
    from .render_csv import write_csv
    from .render_html import render_html
    from .render_md import render_markdown
    out = Path(out_dir)
    write_csv(out / "leaderboard.csv", leaderboard)
    write_atomic(out / "leaderboard.md", lambda h: h.write(render_markdown(leaderboard)))
    write_atomic(out / "leaderboard.html", lambda h: h.write(render_html(leaderboard)))
    write_json_atomic(out / "leaderboard.json", leaderboard.to_json())
    return [out / name for name in OUTPUT_FILES]


__all__ = ["Leaderboard", "SystemResult", "build_leaderboard", "load_inputs", "write_leaderboard", "OUTPUT_FILES"]
