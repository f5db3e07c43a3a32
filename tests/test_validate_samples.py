"""The sample submissions raise exactly their documented codes; score refuses the broken ones."""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.io.package import summary_from_details
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score
from s5eval.validate import ValidateOptions, validate_submission
from s5eval.validate.schemas import schema_errors

SAMPLES = Path(__file__).resolve().parent.parent / "sample_submissions"
REF = SAMPLES / "ref"
EXPECTED: dict[str, list[str]] = json.loads((SAMPLES / "expected_codes.json").read_text())
VALID = SAMPLES / "valid" / "Smith_ACME_task4_1"
OFFICIAL_2026 = SAMPLES / "official" / "Smith_ACME_task4_1.zip"
OFFICIAL_2025 = SAMPLES / "official" / "Smith_ACME_task4_2_out.zip"
SOUNDSCAPES = [f"sample_{i}" for i in range(6)]


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_raises_exactly_its_codes(sample):
    report = validate_submission(SAMPLES / sample, REF, ValidateOptions(workers=1))
    assert sorted(set(f.code for f in report.findings)) == sorted(EXPECTED[sample]), report.findings
    has_error = any(code.startswith("E_") for code in EXPECTED[sample])
    assert report.exit_code == (1 if has_error else 0)


def test_readme_table_lists_every_sample_with_its_codes():
    readme = (SAMPLES / "README.md").read_text()
    for sample, codes in EXPECTED.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{sample}` |"))
        for code in codes:
            assert f"`{code}`" in row


def test_valid_package_passes_clean_from_the_command_line(tmp_path):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["validate", str(VALID), "--ref", str(REF), "--json", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["findings"] == []
    assert data["summary"]["valid"] is True and data["summary"]["n_estimates"] == 10


def test_valid_package_has_the_official_dev_results_layout():
    dev = json.loads((VALID / "dev_set_test_results.json").read_text())
    assert list(schema_errors("dev_set_test_results", dev)) == []
    assert list(dev) == ["CAPI-SDRi", "label_metrics", "nparams", "details", "config"]
    assert (dev["CAPI-SDRi"], dev["label_metrics"]) == summary_from_details(dev["details"])
    assert [d["soundscape"] for d in dev["details"]] == SOUNDSCAPES
    # ref/ plays the development test set: the figures are the package's scores on it
    summary = run_score(VALID, REF, ScoreConfig(workers=1, n_resamples=0)).results["summary"]
    assert summary["capi_sdri"] == pytest.approx(dev["CAPI-SDRi"]["mean"], abs=1e-9)
    assert summary["accuracy_src"] == pytest.approx(dev["label_metrics"]["accuracy_src"])


def test_valid_package_without_reference_passes_clean():
    report = validate_submission(VALID, None, ValidateOptions(workers=1))
    assert report.findings == [] and report.exit_code == 0


def test_json_report_holds_every_finding(tmp_path):
    out = tmp_path / "audio.json"
    result = CliRunner().invoke(cli, ["validate", str(SAMPLES / "broken/audio/Smith_ACME_task4_3"), "--ref", str(REF),
                                      "--json", str(out)])
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert {"code", "severity", "file", "message"} == set(data["findings"][0])
    assert sum(data["summary"]["by_code"].values()) == len(data["findings"]) == 11
    assert data["summary"]["n_errors"] == 9 and data["summary"]["n_warnings"] == 2
    assert "E_LENGTH" in result.output and "findings per code" in result.output


def test_strict_turns_warnings_into_errors():
    bare = SAMPLES / "bare"
    assert validate_submission(bare, REF).exit_code == 0
    strict = validate_submission(bare, REF, ValidateOptions(strict=True))
    assert strict.exit_code == 1
    assert [(f.code, f.severity) for f in strict.findings] == [("W_NOT_A_PACKAGE", "error")]


def test_zip_of_the_valid_package_validates_and_scores_like_the_folder(tmp_path):
    archive = tmp_path / "Smith_ACME_task4_1.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(VALID.rglob("*")):
            z.write(path, f"Smith_ACME_task4_1/{path.relative_to(VALID).as_posix()}")
    report = validate_submission(archive, REF)
    assert report.findings == [] and report.n_estimates == 10
    config = ScoreConfig(workers=1, n_resamples=0)
    from_zip = run_score(archive, REF, config)
    from_folder = run_score(VALID, REF, config)
    assert from_zip.results["summary"] == from_folder.results["summary"]
    assert from_zip.results["provenance"]["submission"] == str(archive)
    assert from_zip.results["provenance"]["submission_digest"] == from_folder.results["provenance"]["submission_digest"]


def test_zip_holding_the_package_contents_directly_takes_the_zip_name(tmp_path):
    archive = tmp_path / "Smith_ACME_task4_1.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(VALID.rglob("*")):
            z.write(path, path.relative_to(VALID).as_posix())
    assert validate_submission(archive, REF).findings == []


@pytest.mark.parametrize("sample", ["broken/names/Smith_ACME_task4_2", "broken/audio/Smith_ACME_task4_3",
                                    "broken/archive/traversal.zip"])
def test_score_refuses_a_broken_submission_and_leaves_no_scores(tmp_path, sample):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["score", str(SAMPLES / sample), "--ref", str(REF), "--out", str(out),
                                      "--workers", "1", "--bootstrap", "0"])
    assert result.exit_code == 1, result.output
    assert "E_" in result.output
    assert not (out / "scores.json").exists() and not (out / "results.json").exists()


def test_score_ignores_package_metadata_problems(tmp_path):
    """score checks what bears on the numbers; metadata problems are for validate."""
    result = CliRunner().invoke(cli, ["score", str(SAMPLES / "broken/meta/Smith_ACME_task4_2"), "--ref", str(REF),
                                      "--workers", "1", "--bootstrap", "0", "--json"])
    assert result.exit_code == 0, result.output


def test_force_scores_what_is_valid_and_says_what_was_skipped(tmp_path):
    sub = tmp_path / "Smith_ACME_task4_3"
    shutil.copytree(SAMPLES / "broken/audio/Smith_ACME_task4_3", sub)
    (sub / "eval_out" / "sample_1_1_FootSteps.wav").unlink()  # the NaN file fails only on decoding, in the engine
    run = run_score(sub, REF, ScoreConfig(workers=1, n_resamples=0, force=True))
    assert run.skipped_files == sorted(["sample_0_0_Speech.wav", "sample_0_1_Doorbell.wav", "sample_1_0_FootSteps.wav",
                                        "sample_4_1_Dishes.wav", "sample_4_2_Cough.wav", "sample_5_0_AlarmClock.wav"])
    assert run.results["summary"]["n_scored"] == 5  # sample_2 has no target and only a silence file: excluded
    assert run.results["provenance"]["forced"] is True
    result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(REF), "--workers", "1", "--bootstrap", "0",
                                      "--force"])
    assert result.exit_code == 0, result.output
    assert "6 estimate files with errors were left out" in result.output


# --- the packages the official DCASE tools write ---------------------------------------------------------


def _members(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as z:
        return z.namelist()


def test_official_2026_zip_is_laid_out_as_the_official_scripts_write_it():
    members = _members(OFFICIAL_2026)
    assert {m.split("/")[0] for m in members} == {"Smith_ACME_task4_1"}  # one top folder, as `zip -r NAME.zip NAME`
    assert "Smith_ACME_task4_1/" in members and "Smith_ACME_task4_1/eval_out/" in members
    top = sorted(m.split("/", 1)[1] for m in members if m.count("/") == 1 and not m.endswith("/"))
    assert top == ["dev_set_test_results.json", "eval_results.json"]  # no meta YAML inside
    wavs = [m.rsplit("/", 1)[1] for m in members if m.endswith(".wav")]
    assert "sample_3_1_Typing.wav" in wavs and not any(w.startswith("sample_3_0_") for w in wavs)  # skipped index
    assert "sample_0_2_Doorbell.wav" in wavs and not any(w.startswith("sample_0_1_") for w in wavs)
    with zipfile.ZipFile(OFFICIAL_2026) as z:
        text = z.read("Smith_ACME_task4_1/eval_results.json").decode()
        results = json.loads(text)
        dev = json.loads(z.read("Smith_ACME_task4_1/dev_set_test_results.json"))
        info = z.getinfo("Smith_ACME_task4_1/eval_out/sample_0_0_Speech.wav")
        import io
        import soundfile as sf
        assert sf.info(io.BytesIO(z.read(info))).subtype == "PCM_16"
    assert text.startswith('{\n    "nparams"')  # json.dump(..., indent=4)
    assert list(schema_errors("eval_results", results)) == []
    assert [e["soundscape"] for e in results["probabilities"]] == SOUNDSCAPES
    assert next(e for e in results["probabilities"] if e["soundscape"] == "sample_2")["estimate"] == []
    assert sorted(e["filename"] for p in results["probabilities"] for e in p["estimate"]) == sorted(wavs)
    assert list(schema_errors("dev_set_test_results", dev)) == []
    assert (dev["CAPI-SDRi"], dev["label_metrics"]) == summary_from_details(dev["details"])
    sample_0 = dev["details"][0]
    assert sample_0["est_labels"] == ["Speech", "silence", "Doorbell"] and len(sample_0["probabilities"]) == 3


def test_official_2025_zip_holds_only_its_estimates():
    members = _members(OFFICIAL_2025)
    assert {m.split("/")[0] for m in members} == {"Smith_ACME_task4_2_out"}
    files = [m for m in members if not m.endswith("/")]
    assert files and all(m.startswith("Smith_ACME_task4_2_out/eval_out/") and m.endswith(".wav") for m in files)
    assert all(m.rsplit("/", 1)[1].count("_") == 2 for m in files)  # <mix>_<Label>.wav: sample_0_Speech.wav


@pytest.mark.parametrize("archive", [OFFICIAL_2026, OFFICIAL_2025], ids=["2026", "2025"])
def test_official_zips_validate_with_exit_0(tmp_path, archive):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["validate", str(archive), "--ref", str(REF), "--json", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["findings"] == []


@pytest.mark.parametrize("archive", [OFFICIAL_2026, OFFICIAL_2025], ids=["2026", "2025"])
def test_official_zips_score_against_the_sample_reference(tmp_path, archive):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["score", str(archive), "--ref", str(REF), "--out", str(out),
                                      "--workers", "1", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert (out / "results.json").is_file()
    summary = run_score(archive, REF, ScoreConfig(workers=1, n_resamples=0)).results["summary"]
    assert summary["n_mixtures"] == 6
    # the 2025 form holds one file per label: one of sample_1's two FootSteps is missed (8 TP, 1 FN)
    assert summary["accuracy_src"] == pytest.approx(100.0 if archive == OFFICIAL_2026 else 800 / 9)
    if archive == OFFICIAL_2026:  # ref/ plays the development test set: dev figures are these scores
        with zipfile.ZipFile(archive) as z:
            dev = json.loads(z.read("Smith_ACME_task4_1/dev_set_test_results.json"))
        assert summary["capi_sdri"] == pytest.approx(dev["CAPI-SDRi"]["mean"], abs=1e-9)
