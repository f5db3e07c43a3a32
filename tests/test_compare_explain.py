"""compare (paired per-subset differences) and explain (pairing under both selections)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.scoring.explain import explain_mixture

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


def _score_output(folder: Path, shift: float) -> Path:
    """A score output by hand: 6 mixtures; the 2 zero_target ones have no estimate (CAPI-SDRi and source
    accuracy undefined there)."""
    folder.mkdir()
    lines = ["soundscape,subsets,n_ref,n_est,tp,fp,fn,mixture_correct,capi_sdri,ca_sdri_2025"]
    for i in range(6):
        if i < 2:
            lines.append(f"m{i},all|zero_target,0,0,0,0,0,True,,")
        else:
            lines.append(f"m{i},all|single,1,1,1,0,0,True,{i + shift},{i + shift}")
    (folder / "per_mixture.csv").write_text("\n".join(lines) + "\n")
    (folder / "results.json").write_text(json.dumps({"subsets": {"all": {}, "zero_target": {}, "single": {}}}))
    return folder


def test_compare_undefined_rows_print_a_dash_and_null_in_json(tmp_path):
    """Undefined on zero_target (no mixture scored for CAPI-SDRi, no source entry): no difference, interval
    or p-value (null in JSON, "—" in the table), never p = 1."""
    a, b = _score_output(tmp_path / "A", 1.0), _score_output(tmp_path / "B", 0.0)
    data = _compare(str(a), str(b))
    zero = {r["metric"]: r for r in data["rows"] if r["subset"] == "zero_target"}
    for key in ("capi_sdri", "accuracy_src"):
        assert zero[key]["a"] is None and zero[key]["diff"] is None
        assert zero[key]["p_value"] is None and zero[key]["ci_low"] is None and zero[key]["ci_high"] is None
    assert zero["accuracy_mix"]["p_value"] == 1.0  # defined there (equal: 100 % both)
    single = {r["metric"]: r for r in data["rows"] if r["subset"] == "single"}
    assert abs(single["capi_sdri"]["diff"] - 1.0) < 1e-12 and single["capi_sdri"]["p_value"] < 0.05
    text = CliRunner().invoke(cli, ["compare", str(a), str(b), "--bootstrap", "200"], env={"COLUMNS": "200"})
    assert text.exit_code == 0, text.output
    line = next(ln for ln in text.output.splitlines() if "zero_target" in ln and "CAPI-SDRi" in ln)
    assert "1.0000" not in line and line.count("—") == 5, line  # A, B, A − B, interval and p
    assert "— undefined" in text.output


def test_compare_metric_spellings_as_in_score(tmp_path):
    out = tmp_path / "a"
    scored = CliRunner().invoke(cli, ["score", str(DATA / "sub"), "--ref", str(DATA / "ref"), "--out", str(out),
                                      "--bootstrap", "0", "--quiet", "--workers", "1"])
    assert scored.exit_code == 0, scored.output
    for spelling in ("ca-sdri", "ca_sdri_2025"):  # score's spelling, and the old key (a hidden alias)
        data = _compare(str(out), str(out), "--metric", spelling)
        assert data["metric"] == "ca-sdri"
        assert {r["metric"] for r in data["rows"]} == {"ca_sdri_2025", "accuracy_mix", "accuracy_src"}
    help_text = CliRunner().invoke(cli, ["compare", "--help"]).output
    assert "capi-sdri|ca-sdri|casa-sdr" in help_text and "ca_sdri_2025" not in help_text
    casa = CliRunner().invoke(cli, ["compare", str(out), str(out), "--metric", "casa-sdr"])
    assert casa.exit_code == 2 and "casa-sdr" in casa.output and "Traceback" not in casa.output


def test_missing_paths_are_usage_errors(tmp_path):
    """A path given on the command line that does not exist: exit 2 and the finding code, for every command."""
    missing, ref = str(tmp_path / "nope"), str(DATA / "ref")
    for args, code in ((["compare", missing, str(DATA / "sub"), "--ref", ref], "E_SUB_MISSING"),
                       (["compare", str(DATA / "sub"), str(DATA / "sub"), "--ref", missing], "E_REF_MISSING"),
                       (["explain", missing, "soundscape_0057", "--ref", ref], "E_SUB_MISSING"),
                       (["explain", str(DATA / "sub"), "soundscape_0057", "--ref", missing], "E_REF_MISSING"),
                       (["score", missing, "--ref", ref], "E_SUB_MISSING"),
                       (["score", str(tmp_path / ("x" * 300)), "--ref", ref], "E_SUB_MISSING"),  # name too long
                       (["validate", missing], "E_SUB_MISSING"),
                       (["validate", str(DATA / "sub"), "--dev-ref", missing], "E_REF_MISSING"),
                       (["score-all", missing, "--ref", ref, "--out", str(tmp_path / "o")], "E_SUBS_DIR")):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2 and code in result.output and "Traceback" not in result.output, (args, result.output)
    assert not (tmp_path / "o").exists()


def test_help_says_a_zip_works():
    for command in ("score", "validate", "score-all", "explain", "compare"):
        text = " ".join(CliRunner().invoke(cli, [command, "--help"]).output.split())
        assert ".zip" in text, command
