"""The official scale-invariant values (CAPI-SI-SDRi, CA-SI-SDRi) on the conformance set, reproduced by the scorer.

``expected_si.json`` holds the per-mixture values of the official 2026 class and
the official 2025 ``ca_metric`` called with torchmetrics' SI-SNR.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from s5eval.metrics.si_sdr import official_si_sdr32, si_sdr
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score

DATA = Path(__file__).parent / "data" / "conformance"
EXPECTED = json.loads((DATA / "expected_si.json").read_text())
TOL_DB = 1e-4
KEYS = ("capi_si_sdri", "ca_si_sdri_2025")


@pytest.fixture(scope="module")
def run():
    return run_score(DATA / "sub", DATA / "ref", ScoreConfig(metric="capi-si-sdri", workers=2, n_resamples=200))


def test_every_per_mixture_value(run):
    records = {r.soundscape: r for r in run.records}
    assert set(records) == set(EXPECTED["per_mixture"])
    worst = 0.0
    for name, expected in EXPECTED["per_mixture"].items():
        for key in KEYS:
            actual, want = getattr(records[name], key), expected[key]
            if want is None:
                assert actual is None, (name, key, actual)
            else:
                assert actual is not None, (name, key)
                worst = max(worst, abs(actual - want))
    assert worst <= TOL_DB, worst


def test_summary(run):
    summary = run.results["summary"]
    exp = EXPECTED["summary"]
    assert summary["metric"] == "capi_si_sdri"
    assert summary["capi_si_sdri"] == pytest.approx(exp["capi_si_sdri"], abs=TOL_DB)
    assert summary["ca_si_sdri_2025"] == pytest.approx(exp["ca_si_sdri_2025"], abs=TOL_DB)
    assert summary["n_scored_si"] == exp["n_capi"]
    assert summary["n_scored_si_2025"] == exp["n_ca"]
    for key in KEYS:
        assert summary[f"{key}_ci_low"] <= summary[key] <= summary[f"{key}_ci_high"]
        assert key in run.results["subsets"]["single"]


def test_outputs(tmp_path):
    from s5eval.results.files import flat_scores, write_outputs

    config = ScoreConfig(metric="ca-si-sdri", workers=1, n_resamples=0)
    run = run_score(DATA / "sub", DATA / "ref", config)
    assert run.headline_key == "ca_si_sdri_2025"
    write_outputs(tmp_path, run.results, run.records, run.subsets)
    with open(tmp_path / "per_mixture.csv") as handle:
        rows = {row["soundscape"]: row for row in csv.DictReader(handle)}
    for name, expected in EXPECTED["per_mixture"].items():
        if name in rows:
            for key in KEYS:
                cell = rows[name][key]
                assert (cell == "") == (expected[key] is None)
                if cell:
                    assert float(cell) == pytest.approx(expected[key], abs=1e-5)
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["ca_si_sdri_2025"] == pytest.approx(EXPECTED["summary"]["ca_si_sdri_2025"], abs=TOL_DB)
    assert scores["capi_si_sdri"] == pytest.approx(EXPECTED["summary"]["capi_si_sdri"], abs=TOL_DB)
    assert set(scores) == set(flat_scores(run.results))


def test_default_metric_leaves_si_out():
    run = run_score(DATA / "sub", DATA / "ref", ScoreConfig(workers=1, n_resamples=0))
    assert all(r.capi_si_sdri is None and r.ca_si_sdri_2025 is None for r in run.records)
    assert "capi_si_sdri" not in run.results["summary"]


def test_si_sdr_matches_a_direct_computation():
    rng = np.random.default_rng(3)
    for _ in range(20):
        s = (rng.standard_normal(16000) * rng.uniform(0.05, 1) + rng.uniform(-0.2, 0.2)).astype(np.float32)
        e = (rng.uniform(-2, 2) * s + 10 ** rng.uniform(-3, 0) * rng.standard_normal(16000) + 0.1).astype(np.float32)
        a, b = s.astype(np.float64) - s.mean(dtype=np.float64), e.astype(np.float64) - e.mean(dtype=np.float64)
        eps = float(np.finfo(np.float32).eps)
        alpha = (a @ b + eps) / (a @ a + eps)
        direct = 10 * np.log10((alpha ** 2 * (a @ a) + eps) / (np.sum((alpha * a - b) ** 2) + eps))
        assert si_sdr(e, s) == pytest.approx(direct, abs=1e-5)
        assert si_sdr(e, s) == pytest.approx(float(official_si_sdr32(e, s)), abs=1e-3)


def test_leaderboard_ranks_by_the_scale_invariant_figures(tmp_path):
    from click.testing import CliRunner

    from s5eval.cli import cli
    from s5eval.leaderboard.render_csv import describe_column

    ref = Path(__file__).parent / "data" / "conformance" / "ref"
    sub = Path(__file__).parent / "data" / "conformance" / "sub"
    runner = CliRunner()
    oracle = tmp_path / "Oracle_S5eval_task4_1"
    assert runner.invoke(cli, ["reference", "oracle", "--ref", str(ref), "--out", str(oracle), "--quiet"]).exit_code == 0
    for name, submission in (("official", sub), ("oracle", oracle)):
        result = runner.invoke(cli, ["score", str(submission), "--ref", str(ref), "--out", str(tmp_path / "res" / name),
                                     "--metric", "capi-si-sdri", "--workers", "1", "--bootstrap", "0", "--quiet"])
        assert result.exit_code == 0, result.output
    for metric, key in (("capi-si-sdri", "capi_si_sdri"), ("ca-si-sdri", "ca_si_sdri_2025")):
        lb = tmp_path / f"lb_{key}"
        result = runner.invoke(cli, ["leaderboard", str(tmp_path / "res" / "official"), str(tmp_path / "res" / "oracle"),
                                     "--out", str(lb), "--metric", metric, "--bootstrap", "50", "--quiet"])
        assert result.exit_code == 0, result.output
        rows = json.loads((lb / "leaderboard.json").read_text())["rows"]
        assert rows[0]["label"] == "Oracle_S5eval_task4_1" and rows[0][key] > rows[1][key]
        assert rows[1][f"{key}_ci_low"] is not None
        with (lb / "leaderboard.csv").open() as handle:
            header = next(csv.reader(handle))
        assert key in header and not [c for c in header if describe_column(c) is None]
    # without SI figures in the results, a sentence says how to get them
    plain = tmp_path / "plain"
    runner.invoke(cli, ["score", str(sub), "--ref", str(ref), "--out", str(plain), "--workers", "1", "--bootstrap", "0",
                        "--quiet"])
    result = runner.invoke(cli, ["leaderboard", str(plain), "--out", str(tmp_path / "lb_plain"),
                                 "--metric", "capi-si-sdri", "--bootstrap", "0"])
    assert result.exit_code == 2 and "--metric capi-si-sdri" in result.output


def test_explain_shows_the_si_pairing_with_the_official_values():
    from click.testing import CliRunner

    from s5eval.cli import cli
    from s5eval.scoring.explain import explain_mixture

    data_dir = Path(__file__).parent / "data" / "conformance"
    expected = json.loads((data_dir / "expected_si.json").read_text())["per_mixture"]
    for mix in ("soundscape_0003", "soundscape_0011", "soundscape_0020"):
        data = explain_mixture(data_dir / "sub", data_dir / "ref", mix, ScoreConfig(metric="capi-si-sdri", workers=1))
        assert data["measure"] == "SI-SDR"
        assert data["official"]["capi_sdri"] == pytest.approx(expected[mix]["capi_si_sdri"], abs=1e-4)
    result = CliRunner().invoke(cli, ["explain", str(data_dir / "sub"), "soundscape_0003", "--ref", str(data_dir / "ref"),
                                      "--metric", "capi-si-sdri"])
    assert result.exit_code == 0 and "CAPI-SI-SDRi = " in result.output and "max mean SI-SDR" in result.output
