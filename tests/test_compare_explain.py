"""compare (paired per-subset differences) and explain (pairing under both selections)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.explain import explain_mixture

DATA = Path(__file__).parent / "data" / "conformance"
EXPECTED = {m["soundscape"]: m for m in json.loads((DATA / "expected.json").read_text())["per_mixture"]}


def _compare(*args):
    result = CliRunner().invoke(cli, ["compare", *args, "--json", "--bootstrap", "300"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_compare_a_submission_with_itself_and_with_a_paper_selection_output(tmp_path):
    same = _compare(str(DATA / "sub"), str(DATA / "sub"), "--ref", str(DATA / "ref"))
    rows = {(r["subset"], r["metric"]): r for r in same["rows"]}
    assert rows[("all", "capi_sdri")]["diff"] == 0.0 and rows[("all", "capi_sdri")]["p_value"] == 1.0
    assert rows[("all", "capi_sdri")]["n_mixtures"] == 96
    assert {"all", "duplicate", "zero_target"} <= {r["subset"] for r in same["rows"]}
    # a score output (paper selection) against the submission scored on the fly (official selection)
    out = tmp_path / "paper"
    scored = CliRunner().invoke(cli, ["score", str(DATA / "sub"), "--ref", str(DATA / "ref"), "--out", str(out),
                                      "--selection", "paper", "--bootstrap", "0", "--quiet", "--workers", "1"])
    assert scored.exit_code == 0, scored.output
    diff = _compare(str(out / "results.json"), str(DATA / "sub"), "--ref", str(DATA / "ref"))
    rows = {(r["subset"], r["metric"]): r for r in diff["rows"]}
    paper = [m["capi_sdri_paper_selection"] for m in EXPECTED.values() if m["capi_sdri_paper_selection"] is not None]
    official = [m["capi_sdri"] for m in EXPECTED.values() if m["capi_sdri"] is not None]
    expected = sum(paper) / len(paper) - sum(official) / len(official)
    assert abs(rows[("all", "capi_sdri")]["diff"] - expected) < 1e-5
    assert rows[("all", "capi_sdri")]["ci_low"] <= rows[("all", "capi_sdri")]["diff"] <= rows[("all", "capi_sdri")]["ci_high"]
    assert rows[("all", "accuracy_mix")]["diff"] == 0.0


def test_compare_needs_ref_for_submissions():
    result = CliRunner().invoke(cli, ["compare", str(DATA / "sub"), str(DATA / "sub")])
    assert result.exit_code == 2 and "--ref" in result.output and "Traceback" not in result.output


def test_explain_reports_both_selections_and_what_changes():
    data = explain_mixture(DATA / "sub", DATA / "ref", "soundscape_0057")
    expected = EXPECTED["soundscape_0057"]
    assert abs(data["official"]["capi_sdri"] - expected["capi_sdri"]) < 1e-4
    assert abs(data["paper"]["capi_sdri"] - expected["capi_sdri_paper_selection"]) < 1e-4
    assert data["pairs_only_paper"] and data["pairs_only_official"]
    assert abs(data["paper_minus_official"] - (expected["capi_sdri_paper_selection"] - expected["capi_sdri"])) < 1e-4
    official = data["official"]
    assert official["n_entries"] == len(official["pairs"]) + len(official["missed"]) + len(official["spurious"])
    for pair in official["pairs"]:
        assert abs(pair["sdri"] - (pair["sdr"] - pair["sdr_mixture"])) < 1e-9
    assert (data["tp"], data["fp"], data["fn"]) == (expected["tp"], expected["fp"], expected["fn"])


def test_explain_command_text_and_unknown_mixture():
    result = CliRunner().invoke(cli, ["explain", str(DATA / "sub"), "soundscape_0057", "--ref", str(DATA / "ref")])
    assert result.exit_code == 0, result.output
    assert "paper selection" in result.output and "FN" in result.output
    bad = CliRunner().invoke(cli, ["explain", str(DATA / "sub"), "soundscape_57", "--ref", str(DATA / "ref")])
    assert bad.exit_code == 2 and "E_UNKNOWN_MIXTURE" in bad.output and "Traceback" not in bad.output
