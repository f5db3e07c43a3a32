"""`s5eval score` end to end: outputs, exit codes, findings for bad input, never a traceback."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from s5eval.cli import cli
from s5fixtures import RATE, make_case, write_wav

DATA = Path(__file__).parent / "data" / "conformance"


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture()
def case(tmp_path):
    return make_case(tmp_path, {"mix_1": ["Speech", "Dishes"], "mix_10": ["Speech", "Speech"], "mix_2": []})


def test_writes_the_four_outputs(tmp_path):
    out = tmp_path / "out"
    result = invoke("score", DATA / "sub", "--ref", DATA / "ref", "--out", out, "--workers", "1", "--bootstrap", "100")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert {"summary", "subsets", "per_class", "provenance"} <= set(results)
    summary = results["summary"]
    for key in ("capi_sdri", "accuracy_mix", "accuracy_src", "n_mixtures", "n_scored", "capi_sdri_ci_low",
                "capi_sdri_ci_high", "accuracy_src_ci_low", "count_accuracy", "zero_target_fp_rate", "tp_sdri"):
        assert key in summary
    assert summary["capi_sdri_ci_low"] <= summary["capi_sdri"] <= summary["capi_sdri_ci_high"]
    assert set(results["subsets"]) >= {"all", "zero_target", "single", "distinct", "duplicate", "nodup"}
    scores = json.loads((out / "scores.json").read_text())
    assert scores["capi_sdri"] == pytest.approx(6.48400589463475, abs=1e-4)
    assert "capi_sdri_duplicate" in scores
    with (out / "per_mixture.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 96
    assert list(rows[0])[:9] == ["soundscape", "subsets", "n_ref", "n_est", "tp", "fp", "fn", "mixture_correct",
                                 "capi_sdri"]
    assert rows[10]["capi_sdri"] == ""  # zero-target mixture without estimate: excluded
    with (out / "per_source.csv").open() as handle:
        sources = list(csv.DictReader(handle))
    kinds = {row["kind"] for row in sources}
    assert kinds == {"tp", "fp", "fn"}
    # one row per CAPI-SDRi entry: per class max(n_est, n_ref) = TP + FP + FN
    assert len(sources) == sum(results["summary"][k] for k in ("tp", "fp", "fn"))
    assert not list(out.glob(".*.tmp"))


def test_json_to_stdout(case):
    ref, sub = case
    result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(ref), "--json", "--workers", "1"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["summary"]["n_mixtures"] == 3
    assert data["summary"]["accuracy_mix"] == 100.0


def test_exact_soundscape_matching(case):
    """mix_1_0_Speech.wav belongs to mix_1 even though mix_10 exists."""
    ref, sub = case
    result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(ref), "--json", "--workers", "1"])
    data = json.loads(result.stdout)
    assert data["summary"]["tp"] == 4 and data["summary"]["fp"] == 0


def test_missing_submission_folder(case, tmp_path):
    ref, _ = case
    result = invoke("score", tmp_path / "nope", "--ref", ref)
    assert result.exit_code == 2  # a path that does not exist is a usage error
    assert "E_SUB_MISSING" in result.output


def test_missing_reference(case, tmp_path):
    _, sub = case
    result = invoke("score", sub, "--ref", tmp_path / "nowhere")
    assert result.exit_code == 2  # a path that does not exist is a usage error, not a bad reference set
    assert "E_REF_MISSING" in result.output


@pytest.mark.parametrize("problem, code", [
    ("unreadable", "E_UNREADABLE"),
    ("length", "E_LENGTH"),
    ("rate", "E_SAMPLE_RATE"),
    ("channels", "E_CHANNELS"),
    ("nan", "E_NONFINITE"),
    ("label", "E_UNKNOWN_LABEL"),
    ("soundscape", "E_UNKNOWN_SOUNDSCAPE"),
])
def test_bad_estimate_gives_a_finding_and_exit_1(case, tmp_path, problem, code):
    ref, sub = case
    out = tmp_path / "out"
    out.mkdir()
    (out / "scores.json").write_text("{}")  # stale output of an earlier run must not survive
    target = sub / "mix_1_0_Speech.wav"
    n = int(0.25 * RATE)
    if problem == "unreadable":
        target.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    elif problem == "length":
        write_wav(target, np.zeros(n - 5, np.float32) + 0.1)
    elif problem == "rate":
        write_wav(target, np.zeros(n // 2, np.float32) + 0.1, rate=RATE // 2)
    elif problem == "channels":
        write_wav(target, np.zeros((n, 2), np.float32) + 0.1)
    elif problem == "nan":
        samples = np.full(n, 0.1, np.float32)
        samples[3] = np.nan
        write_wav(target, samples, subtype="FLOAT")
    elif problem == "label":
        write_wav(sub / "mix_1_2_Speach.wav", np.zeros(n, np.float32))
    elif problem == "soundscape":
        write_wav(sub / "mix_3_0_Speech.wav", np.zeros(n, np.float32))
    result = invoke("score", sub, "--ref", ref, "--out", out, "--workers", "1")
    assert result.exit_code == 1, result.output
    assert code in result.output
    assert not (out / "scores.json").exists()


def test_bad_reference_target_exits_3(case):
    ref, sub = case
    (ref / "oracle_target" / "mix_1_0_Speech.wav").write_bytes(b"not a wav")
    result = invoke("score", sub, "--ref", ref, "--workers", "1")
    assert result.exit_code == 3
    assert "E_REF_UNREADABLE" in result.output


def test_no_traceback_from_the_console_script(case, tmp_path):
    ref, _ = case
    proc = subprocess.run([sys.executable, "-m", "s5eval.cli", "score", str(tmp_path / "missing"), "--ref", str(ref)],
                          capture_output=True, text=True)
    assert proc.returncode == 2  # a missing submission path: usage error
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "E_SUB_MISSING" in proc.stderr


def test_usage_error_exits_2(case):
    ref, sub = case
    result = invoke("score", sub, "--ref", ref, "--selection", "best")
    assert result.exit_code == 2


def test_dcase_dataset_root_layout(tmp_path):
    root = tmp_path / "DCASE2026T4"
    ref, sub = make_case(tmp_path / "case", {"soundscape_0000": ["Speech"], "soundscape_0001": ["Dishes", "Dishes"]})
    target = root / "dev_set" / "synthesized" / "test"
    target.parent.mkdir(parents=True)
    ref.rename(target)
    result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(root), "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["n_mixtures"] == 2
    (root / "eval_set" / "synthesized" / "eval" / "soundscape").mkdir(parents=True)
    ambiguous = invoke("score", sub, "--ref", root)
    assert ambiguous.exit_code == 3 and "E_REF_AMBIGUOUS" in ambiguous.output


def test_subsets_file_and_preset(case, tmp_path):
    ref, sub = case
    (tmp_path / "subsets.csv").write_text("soundscape,subset\nmix_1,hard\nmix_10,hard\n")
    result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(ref), "--json", "--workers", "1",
                                      "--subsets", str(tmp_path / "subsets.csv")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["subsets"]["hard"]["n_mixtures"] == 2
    (tmp_path / "bad.csv").write_text("soundscape,subset\nmix_99,hard\n")
    bad = invoke("score", sub, "--ref", ref, "--subsets", tmp_path / "bad.csv")
    assert bad.exit_code == 3 and "E_SUBSETS_UNKNOWN_SOUNDSCAPE" in bad.output
