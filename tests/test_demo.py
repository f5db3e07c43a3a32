"""``s5eval demo`` runs the whole workflow end to end on a tiny set."""
from __future__ import annotations

import importlib.util
import json

from click.testing import CliRunner

from s5eval.cli import cli

HAS_TORCH = importlib.util.find_spec("torch") is not None
REFERENCES = ["Oracle_S5eval_task4_1", "OracleLabelsNoisy_S5eval_task4_1", "Mixture_S5eval_task4_1",
              "RandomLabels_S5eval_task4_1", "Silence_S5eval_task4_1"]


def test_demo_writes_set_submissions_results_and_leaderboard(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--n", "4", "--seconds", "1", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert len(list((out / "reference_set" / "soundscape").glob("*.wav"))) == 4
    packages = sorted(p.name for p in (out / "submissions").iterdir())
    # with torch, the shipped tiny checkpoint makes the baseline a participant
    assert packages == sorted(REFERENCES + (["Baseline_S5eval_task4_1"] if HAS_TORCH else []))
    summaries = {p: json.loads((out / "results" / p / "results.json").read_text())["summary"] for p in packages}
    assert summaries["Mixture_S5eval_task4_1"]["capi_sdri"] == 0.0
    assert summaries["Oracle_S5eval_task4_1"]["capi_sdri"] > summaries["OracleLabelsNoisy_S5eval_task4_1"]["capi_sdri"] > 0
    assert ("baseline skipped" in result.output) is not HAS_TORCH
    assert "invalid" not in result.output
    assert "Oracle_S5eval_task4_1" in result.output  # the ranking is printed
    if HAS_TORCH:
        assert "Baseline_S5eval_task4_1" in (out / "leaderboard" / "leaderboard.csv").read_text()


def test_demo_without_torch_names_the_extra(tmp_path, monkeypatch):
    from baseline import TORCH_MISSING_MESSAGE
    from s5eval.commands import baseline as baseline_command
    from s5eval.commands import demo

    monkeypatch.setattr(demo, "baseline_available", lambda: False)
    monkeypatch.setattr(baseline_command, "torch_missing", lambda: TORCH_MISSING_MESSAGE)
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--n", "2", "--seconds", "1",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "baseline skipped" in result.output
    assert 'pip install "s5eval[baseline]"' in " ".join(result.output.split())  # rich markup keeps [baseline]
    assert not (tmp_path / "demo" / "submissions" / "Baseline_S5eval_task4_1").exists()
