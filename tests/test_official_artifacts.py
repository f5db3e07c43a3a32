"""What the official DCASE tooling writes and distributes works with s5eval unchanged.

Two sources of official-layout artifacts:

* ``tests/data/official_examples/``: a 2026 and a 2025 audio package made by the
  official scripts' layout from the conformance set, with their official figures;
* ``official_fixtures``: an independent writer of the same layouts (folders, zips,
  evaluation sets without references, the dev test set), checked here to
  reproduce the shipped examples file for file.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import official_fixtures as F
from s5eval.cli import cli
from s5eval.io.package import DevDetail, dev_results_document, dev_summary, package_label, summary_from_details
from s5eval.validate import validate_submission

OFFICIAL_2026_ZIP = F.OFFICIAL / "Nguyen_NTT_task4_1.zip"
OFFICIAL_2025_ZIP = F.OFFICIAL / "Nguyen_NTT_task4_2_out.zip"


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Evaluation sets (2026 and 2025 layouts, with and without references), the dev test set, packages."""
    root = tmp_path_factory.mktemp("official")
    sets = {
        "eval2026": F.write_eval_set(root / "eval2026", 2026),
        "eval2025": F.write_eval_set(root / "eval2025", 2025),
        "scoring": F.write_eval_set(root / "scoring", 2026, with_references=True),
        "dev": F.write_dev_test_set(root / "dev"),
    }
    packages = root / "packages"
    packages.mkdir()
    sets["pkg2026"] = F.write_package_2026(packages)
    sets["zip2026"] = F.write_package_2026(root / "zipped", zipped=True)
    sets["pkg2025"] = F.write_package_2025(packages)
    sets["zip2025"] = F.write_package_2025(root / "zipped", zipped=True)
    return sets


def codes(report) -> set[str]:
    return {f.code for f in report.findings}


# --- the fixture writer reproduces the shipped official examples ------------------------------------------


def _members(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_fixture_writer_reproduces_the_official_2026_package(world):
    ours, theirs = _members(world["zip2026"]), _members(OFFICIAL_2026_ZIP)
    assert sorted(ours) == sorted(theirs)  # one top folder, folder entries, the same files
    label = "Nguyen_NTT_task4_1"
    for name, content in theirs.items():
        if name.endswith(".wav") or name.endswith("eval_results.json"):
            assert ours[name] == content, name
    dev_ours = json.loads(ours[f"{label}/dev_set_test_results.json"])
    dev_theirs = json.loads(theirs[f"{label}/dev_set_test_results.json"])
    assert list(dev_ours) == list(dev_theirs) == ["CAPI-SDRi", "label_metrics", "nparams", "details", "config"]
    for mine, official in zip(dev_ours["details"], dev_theirs["details"]):
        assert {k: v for k, v in mine.items() if k != "metrics"} == {k: v for k, v in official.items() if k != "metrics"}
        assert mine["metrics"][1] == official["metrics"][1]
        if official["metrics"][0]["value"] is None:
            assert mine["metrics"][0]["value"] is None
        else:  # two official runs (conformance and example) differ by float32 rounding only
            assert mine["metrics"][0]["value"] == pytest.approx(official["metrics"][0]["value"], abs=1e-5)


def test_fixture_writer_reproduces_the_official_2025_package(world):
    ours, theirs = _members(world["zip2025"]), _members(OFFICIAL_2025_ZIP)
    assert ours == theirs


def test_package_writer_gives_the_official_dev_results_layout():
    """s5eval's writer produces the Evaluator's file from the same per-mixture facts, byte for byte."""
    official = F.official_dev_results()
    details = [DevDetail(d["soundscape"], [x for x in d["ref_labels"] if x != "silence"],
                         [x for x in d["est_labels"] if x != "silence"],
                         [p for x, p in zip(d["est_labels"], d["probabilities"]) if x != "silence"],
                         d["metrics"][0]["value"]) for d in official["details"]]
    ours = dev_results_document(details, F.NPARAMS, F.CONFIG)
    assert json.dumps(ours, indent=4) == json.dumps(official, indent=4)


# --- validate: packages as the official scripts make them ----------------------------------------------


@pytest.mark.parametrize("which", ["official2026zip", "official2025zip", "pkg2026", "zip2026", "pkg2025", "zip2025"])
def test_official_packages_are_valid_against_the_eval_set_as_distributed(world, which):
    sub = {"official2026zip": OFFICIAL_2026_ZIP, "official2025zip": OFFICIAL_2025_ZIP}.get(which) or world[which]
    year = 2025 if "2025" in which else 2026
    report = validate_submission(sub, world[f"eval{year}"])
    assert report.exit_code == 0, [f.one_line() for f in report.errors]
    assert not {"E_MISSING_META", "E_MISSING_EVAL_RESULTS", "E_PACKAGE_NAME", "E_DEV_RESULTS_SCHEMA"} & codes(report)
    assert report.n_estimates == (193 if year == 2026 else 140)
    assert "W_UNCOVERED_SOUNDSCAPES" not in codes(report)


def test_official_2026_package_dev_results_are_consistent_and_cover_the_dev_set(world):
    report = validate_submission(OFFICIAL_2026_ZIP, world["eval2026"], dev_ref_path=world["dev"])
    assert report.exit_code == 0
    assert not {c for c in codes(report) if c.startswith("W_DEV_RESULTS") or c.startswith("E_DEV_RESULTS")}


@pytest.mark.parametrize("where", ["root", "eval_set", "soundscape_parent"])
@pytest.mark.parametrize("year", [2026, 2025])
def test_eval_set_without_references_in_every_form(world, where, year):
    root = world[f"eval{year}"]
    given = {"root": root, "eval_set": root / "eval_set",
             "soundscape_parent": root / "eval_set" / ("synthesized/eval" if year == 2026 else "")}[where]
    sub = OFFICIAL_2026_ZIP if year == 2026 else OFFICIAL_2025_ZIP
    result = invoke("validate", sub, "--ref", given, "--quiet")
    assert result.exit_code == 0, result.output


def test_validate_against_the_eval_set_checks_names_and_lengths(world, tmp_path):
    package = shutil.copytree(world["pkg2026"], tmp_path / "Nguyen_NTT_task4_1")
    (package / "eval_out" / "eval_0000_0_Percussion.wav").rename(package / "eval_out" / "eval_9999_0_Percussion.wav")
    short = package / "eval_out" / "eval_0002_0_FootSteps.wav"
    short.write_bytes(short.read_bytes()[:-200])
    report = validate_submission(package, world["eval2026"])
    assert report.exit_code == 1
    assert {"E_UNKNOWN_SOUNDSCAPE", "E_TRUNCATED"} <= codes(report) or {"E_UNKNOWN_SOUNDSCAPE", "E_LENGTH"} <= codes(report)


def test_score_on_an_eval_set_without_references_exits_3_with_a_sentence(world):
    result = invoke("score", OFFICIAL_2026_ZIP, "--ref", world["eval2026"], "--quiet")
    assert result.exit_code == 3
    assert "E_REF_NO_TARGETS" in result.output and "no references" in result.output


# --- score: the official figures -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["official2026zip", "zip2026", "pkg2026"])
def test_official_2026_package_scores_the_official_figures(world, which, tmp_path):
    sub = OFFICIAL_2026_ZIP if which == "official2026zip" else world[which]
    out = tmp_path / "out"
    result = invoke("score", sub, "--ref", world["scoring"], "--out", out, "--quiet", "--workers", "1",
                    "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "results.json").read_text())["summary"]
    official = F.expected()["eval"]
    assert summary["capi_sdri"] == pytest.approx(official["capi_sdri"], abs=1e-4)
    assert summary["accuracy_mix"] == pytest.approx(official["accuracy_mix"], abs=1e-12)
    assert summary["accuracy_src"] == pytest.approx(official["accuracy_src"], abs=1e-12)
    per_mixture = (out / "per_mixture.csv").read_text()
    assert "eval_0095" in per_mixture


def test_shared_output_index_is_scored_with_a_warning(world, tmp_path):
    """Two estimates ``<mix>_<i>_…`` with one index and different labels: scored, as the official code does."""
    package = shutil.copytree(world["pkg2026"], tmp_path / "Nguyen_NTT_task4_1")
    eval_out = package / "eval_out"
    (eval_out / "eval_0003_1_Dishes.wav").rename(eval_out / "eval_0003_0_Dishes.wav")
    results = json.loads((package / "eval_results.json").read_text())
    for entry in results["probabilities"]:
        for estimate in entry["estimate"]:
            if estimate["filename"] == "eval_0003_1_Dishes.wav":
                estimate["filename"] = "eval_0003_0_Dishes.wav"
    (package / "eval_results.json").write_text(json.dumps(results, indent=4))
    report = validate_submission(package, world["eval2026"])
    assert report.exit_code == 0 and "W_SHARED_OUTPUT_INDEX" in codes(report)
    out = tmp_path / "out"
    result = invoke("score", package, "--ref", world["scoring"], "--out", out, "--quiet", "--workers", "1",
                    "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "results.json").read_text())["summary"]
    assert summary["capi_sdri"] == pytest.approx(F.expected()["eval"]["capi_sdri"], abs=1e-4)


def test_2025_package_scores_with_either_metric(world, tmp_path):
    for metric in ("capi-sdri", "ca-sdri"):
        out = tmp_path / metric
        result = invoke("score", OFFICIAL_2025_ZIP, "--ref", world["scoring"], "--out", out, "--quiet",
                        "--workers", "1", "--bootstrap", "0", "--metric", metric)
        assert result.exit_code == 0, result.output
        results = json.loads((out / "results.json").read_text())
        assert results["provenance"]["submission_label"] == "Nguyen_NTT_task4_2"
        assert results["summary"]["n_mixtures"] == 96


def test_score_prints_the_package_findings_it_does_not_refuse_on(world, tmp_path):
    package = shutil.copytree(world["pkg2026"], tmp_path / "Nguyen_NTT_task4_1")
    (package / "dev_set_test_results.json").unlink()
    results = json.loads((package / "eval_results.json").read_text())
    results["probabilities"][0]["estimate"].pop()  # eval_0000_1_Speech.wav no longer listed
    (package / "eval_results.json").write_text(json.dumps(results, indent=4))
    assert validate_submission(package, world["eval2026"]).exit_code == 1
    result = invoke("score", package, "--ref", world["scoring"], "--quiet", "--workers", "1", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert "E_RESULTS_UNLISTED_FILE" in result.output and "W_MISSING_DEV_RESULTS" in result.output
    assert "do not change the scores" in result.output


# --- dev_set_test_results.json: consistency findings ------------------------------------------------------


def _tampered(world, tmp_path, change) -> set[str]:
    package = shutil.copytree(world["pkg2026"], tmp_path / "Nguyen_NTT_task4_1")
    path = package / "dev_set_test_results.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=4))
    report = validate_submission(package, world["eval2026"], dev_ref_path=world["dev"])
    return codes(report), report


def test_dev_results_summary_mismatch_is_a_warning_with_numbers(world, tmp_path):
    found, report = _tampered(world, tmp_path, lambda d: d["CAPI-SDRi"].update(mean=9.0))
    assert "W_DEV_RESULTS_SUMMARY" in found and report.exit_code == 0
    message = next(f.message for f in report.findings if f.code == "W_DEV_RESULTS_SUMMARY")
    assert "9.000000 dB" in message and "6.484006 dB" in message


def test_dev_results_detail_and_label_problems(world, tmp_path):
    def change(d):
        d["details"][0]["metrics"][1]["value"]["tp"] = 3
        d["details"][1]["est_labels"][0] = "Guitar"
        d["details"].append(dict(d["details"][2]))
    found, report = _tampered(world, tmp_path, change)
    assert {"W_DEV_RESULTS_DETAIL", "E_DEV_RESULTS_LABEL", "E_DEV_RESULTS_DUPLICATE_SOUNDSCAPE"} <= found
    assert report.exit_code == 1


def test_dev_results_coverage_with_dev_ref(world, tmp_path):
    found, _ = _tampered(world, tmp_path, lambda d: d["details"].pop(5))
    assert "W_DEV_RESULTS_COVERAGE" in found


def test_dev_results_in_the_eval_results_layout_are_refused(world, tmp_path):
    found, _ = _tampered(world, tmp_path, lambda d: d.clear() or d.update(nparams=1, probabilities=[]))
    assert "E_DEV_RESULTS_SCHEMA" in found


def test_summary_helpers_agree_with_the_official_file():
    document = F.official_dev_results()
    capi, labels = summary_from_details(document["details"])
    assert capi == document["CAPI-SDRi"] and labels == document["label_metrics"]
    assert dev_summary(document) == {"capi_sdri": document["CAPI-SDRi"]["mean"], **document["label_metrics"]}


# --- names, labels and the leaderboard ------------------------------------------------------------------------


def test_labels_drop_the_2025_out_suffix():
    assert package_label("Nguyen_NTT_task4_2_out") == "Nguyen_NTT_task4_2"
    assert package_label("Nguyen_NTT_task4_1") == "Nguyen_NTT_task4_1"


def test_score_all_and_leaderboard_show_the_dev_figures(world, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(OFFICIAL_2026_ZIP, subs)
    shutil.copy(OFFICIAL_2025_ZIP, subs)
    scores = tmp_path / "scores"
    result = invoke("score-all", subs, "--ref", world["scoring"], "--out", scores, "--quiet", "--workers", "1",
                    "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    info = json.loads((scores / "Nguyen_NTT_task4_1" / "submission.json").read_text())
    dev = F.expected()["dev"]
    assert info["dev_results"]["capi_sdri"] == dev["capi_sdri"]
    assert info["dev_results"]["accuracy_mix"] == dev["accuracy_mix"]
    assert "details" not in json.dumps(info) and "config" not in info["dev_results"]
    assert info["team"] == "Nguyen_NTT" and info["nparams"] == F.NPARAMS
    assert {f["code"] for f in info["package_findings"]} == set()  # the official 2026 package is clean
    assert (scores / "Nguyen_NTT_task4_2" / "complete.json").is_file()
    lb = tmp_path / "lb"
    result = invoke("leaderboard", scores, "--out", lb, "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    rows = {row["label"]: row for row in json.loads((lb / "leaderboard.json").read_text())["rows"]}
    assert rows["Nguyen_NTT_task4_1"]["dev_capi_sdri"] == pytest.approx(dev["capi_sdri"])
    assert rows["Nguyen_NTT_task4_1"]["dev_accuracy_mix"] == pytest.approx(dev["accuracy_mix"])
    assert rows["Nguyen_NTT_task4_2"]["dev_capi_sdri"] is None
    assert rows["Nguyen_NTT_task4_1"]["capi_sdri"] == pytest.approx(F.expected()["eval"]["capi_sdri"], abs=1e-4)


def test_codabench_scores_an_official_zip(world, tmp_path):
    inp = tmp_path / "input"
    (inp / "res").mkdir(parents=True)
    shutil.copytree(world["scoring"] / "eval_set" / "synthesized" / "eval", inp / "ref")
    shutil.copy(OFFICIAL_2026_ZIP, inp / "res")
    result = invoke("codabench", inp, tmp_path / "output")
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "output" / "scores.json").read_text())
    assert scores["capi_sdri"] == pytest.approx(F.expected()["eval"]["capi_sdri"], abs=1e-4)
    page = (tmp_path / "output" / "detailed_results.html").read_text()
    assert "Package findings" in page and "W_TOO_MANY_ESTIMATES" in page  # scored past, but said
