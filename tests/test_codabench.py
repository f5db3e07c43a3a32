"""The Codabench scoring program: scores.json only on success, a results page always."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.outputs import flat_scores
from s5eval.score import ScoreConfig, run_score

DATA = Path(__file__).parent / "data" / "conformance"


def _input(tmp_path: Path, nested: bool) -> Path:
    inp = tmp_path / "input"
    shutil.copytree(DATA / "ref", inp / "ref")
    shutil.copytree(DATA / "sub", inp / "res" / "My_Sub_task4_1" if nested else inp / "res")
    return inp


def test_success_writes_scores_and_page(tmp_path):
    inp = _input(tmp_path, nested=True)
    out = tmp_path / "output"
    result = CliRunner().invoke(cli, ["codabench", str(inp), str(out), "--bootstrap", "20", "--workers", "1"])
    assert result.exit_code == 0, result.output
    scores = json.loads((out / "scores.json").read_text())
    expected = flat_scores(run_score(DATA / "sub", DATA / "ref", ScoreConfig(workers=1, n_resamples=20)).results)
    assert scores == expected
    page = (out / "detailed_results.html").read_text()
    assert "duplicate" in page and "CAPI-SDRi" in page


def test_failure_leaves_no_scores_json(tmp_path):
    inp = _input(tmp_path, nested=False)
    victim = sorted((inp / "res" / "eval_out").glob("*.wav"))[0]
    victim.write_bytes(b"RIFF....garbage")
    out = tmp_path / "output"
    out.mkdir()
    (out / "scores.json").write_text('{"capi_sdri": 99}')  # stale, from an earlier run
    result = CliRunner().invoke(cli, ["codabench", str(inp), str(out), "--bootstrap", "0", "--workers", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (out / "scores.json").exists()
    assert not list(out.glob(".scores.json*"))
    assert "E_UNREADABLE" in (out / "detailed_results.html").read_text()


def test_missing_reference_is_exit_3(tmp_path):
    inp = tmp_path / "input"
    shutil.copytree(DATA / "sub", inp / "res")
    result = CliRunner().invoke(cli, ["codabench", str(inp), str(tmp_path / "out")])
    assert result.exit_code == 3 and not (tmp_path / "out" / "scores.json").exists()
    assert (tmp_path / "out" / "detailed_results.html").is_file()
