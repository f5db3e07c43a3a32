"""``s5eval demo`` runs the whole workflow end to end on a tiny set."""
from __future__ import annotations

import json

from click.testing import CliRunner

from s5eval.cli import cli


def test_demo_writes_set_submissions_results_and_leaderboard(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--n", "4", "--seconds", "1", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert len(list((out / "reference_set" / "soundscape").glob("*.wav"))) == 4
    packages = sorted(p.name for p in (out / "submissions").iterdir())
    assert packages == sorted(["Oracle_S5eval_task4_1", "OracleLabelsNoisy_S5eval_task4_1", "Mixture_S5eval_task4_1",
                               "RandomLabels_S5eval_task4_1", "Silence_S5eval_task4_1"])
    summaries = {p: json.loads((out / "results" / p / "results.json").read_text())["summary"] for p in packages}
    assert summaries["Mixture_S5eval_task4_1"]["capi_sdri"] == 0.0
    assert summaries["Oracle_S5eval_task4_1"]["capi_sdri"] > summaries["OracleLabelsNoisy_S5eval_task4_1"]["capi_sdri"] > 0
    assert "baseline skipped" in result.output
    assert "invalid" not in result.output
    assert "Oracle_S5eval_task4_1" in result.output  # the ranking is printed
