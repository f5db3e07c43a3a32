"""leaderboard.csv: every column documented in docs/leaderboard_columns.md, numbers at full precision."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from s5eval.leaderboard import build_leaderboard, load_inputs, write_leaderboard
from s5eval.leaderboard.render_csv import (COLUMN_DOCS, FIGURE_DOCS, columns_markdown, csv_cell, describe_column,
                                           format_cell)
from s5eval.leaderboard.table import RANKABLE
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.batch import score_all
from s5fixtures import make_case

DOC = Path(__file__).resolve().parents[1] / "docs" / "leaderboard_columns.md"
MIXTURES = {"eval_0000": [], "eval_0001": ["Speech", "Speech"], "eval_0002": ["Dishes", "Cough"],
            "eval_0003": ["Pour"], "eval_1600": ["Cough", "Typing", "Typing"], "eval_1601": []}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    root = tmp_path_factory.mktemp("lb")
    ref, sub = make_case(root / "case", MIXTURES, seed=4)
    (ref / "subsets.csv").write_text("soundscape,subset\neval_0001,hard-ones\neval_1600,hard-ones\n")
    subs = root / "subs"
    shutil.copytree(sub, subs / "Doe_Lab_task4_1")
    shutil.copytree(sub, subs / "Doe_Lab_task4_2")
    for wav in sorted((subs / "Doe_Lab_task4_2").glob("*_1_*.wav")):
        wav.unlink()  # a weaker system: misses every second source
    (subs / "Roe_Uni_task4_1").mkdir()  # a failed one
    # --metric casa-sdr: every figure is there, so the leaderboard can rank by each
    config = ScoreConfig(metric="casa-sdr", workers=1, n_resamples=30, subsets="dcase2025-eval")
    score_all(subs, ref, root / "scores", config)
    return load_inputs([root / "scores"]).systems


def test_docs_are_generated_from_the_code():
    assert DOC.read_text() == columns_markdown(), \
        "regenerate: python -m s5eval.leaderboard.render_csv > docs/leaderboard_columns.md"
    for name in [*COLUMN_DOCS, *FIGURE_DOCS]:
        assert f"`{name}`" in DOC.read_text()


@pytest.mark.parametrize("metric", [m for m in RANKABLE if "_si_" not in m])  # SI: tests/test_conformance_si.py
def test_every_column_written_is_documented(scored, tmp_path, metric):
    board = build_leaderboard(scored, metric=metric, n_resamples=50)
    write_leaderboard(tmp_path, board)
    with (tmp_path / "leaderboard.csv").open() as handle:
        header = next(csv.reader(handle))
    assert {"n_mixtures_hard_ones", "capi_sdri_n_ref_3", "capi_sdri_ranking", "capi_sdri_zero_target"} <= set(header)
    undocumented = [c for c in header if describe_column(c) is None]
    assert not undocumented, f"document these columns in s5eval/leaderboard/render_csv.py: {undocumented}"
    assert describe_column("no_such_column") is None


def test_csv_has_full_precision_and_the_display_rounds(scored, tmp_path):
    board = build_leaderboard(scored, n_resamples=50)
    write_leaderboard(tmp_path, board)
    with (tmp_path / "leaderboard.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    checked = 0
    for written, row in zip(rows, board.rows):
        for column in board.columns:
            value = row.get(column)
            if isinstance(value, float) and not isinstance(value, bool):
                assert float(written[column]) == value, column  # reads back exactly
                checked += 1
            elif value is None:
                assert written[column] == ""
    assert checked > 20
    assert any(len(r["capi_sdri"].split(".")[-1]) > 3 for r in rows if r["capi_sdri"])  # not cut to 3 decimals
    assert csv_cell("capi_sdri", 1 / 3) == repr(1 / 3) and format_cell("capi_sdri", 1 / 3) == "0.333"
    assert csv_cell("accuracy_mix", 200 / 3) == repr(200 / 3) and format_cell("accuracy_mix", 200 / 3) == "66.67"
    assert csv_cell("rank", 2) == "2" and csv_cell("n_mixtures_all", 6.0) == "6"
    assert csv_cell("team_best", True) == "true"
    assert csv_cell("capi_sdri", float("nan")) == "" and csv_cell("p_next", None) == ""
    markdown = (tmp_path / "leaderboard.md").read_text()
    assert rows[0]["capi_sdri"] not in markdown  # the display rounds
