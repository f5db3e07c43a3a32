"""Checks not covered by the sample submissions, exit codes, the code catalogue and its documentation."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.io.wav import wav_layout
from s5eval.validate import ValidateOptions, validate_submission
from s5eval.validate.codes import render_markdown

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_submissions"
REF = SAMPLES / "ref"
VALID = SAMPLES / "valid" / "Smith_ACME_task4_1"
RATE = 32000
FRAMES = 16000


def codes(report) -> list[str]:
    return sorted({f.code for f in report.findings})


def write(path: Path, samples, rate: int = RATE, subtype: str = "PCM_16") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples, rate, subtype=subtype)
    return path


@pytest.fixture
def package(tmp_path) -> Path:
    dest = tmp_path / VALID.name
    shutil.copytree(VALID, dest)
    return dest


def test_names_equal_up_to_case_collide(tmp_path):
    sub = tmp_path / "bare"
    write(sub / "sample_0_0_Speech.wav", np.zeros(FRAMES) + 0.1)
    write(sub / "sample_0_0_Speech.WAV", np.zeros(FRAMES) + 0.1)
    report = validate_submission(sub, REF, ValidateOptions(metadata=False))
    assert "E_DUPLICATE_FILE" in codes(report)


def test_ambiguous_name_between_the_two_forms(tmp_path):
    ref = tmp_path / "ref"
    for mix in ("a", "a_0"):
        write(ref / "soundscape" / f"{mix}.wav", np.zeros((FRAMES, 4)) + 0.1)
    (ref / "oracle_target").mkdir()
    sub = tmp_path / "sub"
    write(sub / "a_0_Speech.wav", np.zeros(FRAMES) + 0.1)
    report = validate_submission(sub, ref, ValidateOptions(metadata=False))
    assert codes(report) == ["E_AMBIGUOUS_NAME"]


def test_misnamed_meta_file(package):
    (package / "Smith_ACME_task4_1.meta.yaml").rename(package / "Smith_ACME_task4_9.meta.yaml")
    report = validate_submission(package, REF)
    assert codes(report) == ["E_META_FILENAME"]


def test_empty_submission_has_no_estimates(tmp_path):
    (tmp_path / "empty").mkdir()
    report = validate_submission(tmp_path / "empty", REF, ValidateOptions(metadata=False))
    assert codes(report) == ["E_NO_ESTIMATES"] and report.exit_code == 1


def test_without_reference_rate_and_lengths_are_checked_against_each_other(tmp_path):
    sub = tmp_path / "sub"
    for i in range(4):
        write(sub / f"m{i}_0_Speech.wav", np.zeros(FRAMES) + 0.1)
    write(sub / "m0_1_Typing.wav", np.zeros(FRAMES - 10) + 0.1)   # differs from its mixture's other estimate
    write(sub / "m4_0_Typing.wav", np.zeros(FRAMES + 5) + 0.1)    # differs from the package's usual length
    write(sub / "m5_0_Cough.wav", np.zeros(FRAMES) + 0.1, rate=44100)
    report = validate_submission(sub, None, ValidateOptions(metadata=False))
    found = {(f.code, Path(f.file).name) for f in report.findings}
    assert found == {("E_LENGTH_MISMATCH", "m0_1_Typing.wav"), ("W_LENGTH_UNCOMMON", "m4_0_Typing.wav"),
                     ("E_SAMPLE_RATE", "m5_0_Cough.wav")}
    assert codes(validate_submission(sub, None, ValidateOptions(metadata=False, rate=44100))).count("E_SAMPLE_RATE")


def test_no_decode_skips_only_the_sample_checks():
    audio = SAMPLES / "broken/audio/Smith_ACME_task4_3"
    report = validate_submission(audio, REF, ValidateOptions(decode=False))
    assert codes(report) == ["E_CHANNELS", "E_EMPTY_AUDIO", "E_LENGTH", "E_SAMPLE_RATE", "E_TRUNCATED", "E_UNREADABLE"]


def test_max_estimates_is_settable():
    report = validate_submission(VALID, REF, ValidateOptions(max_estimates=2))
    assert codes(report) == ["W_TOO_MANY_ESTIMATES"]
    assert len(report.findings) == 1  # only sample_4 has three estimates


def test_low_coverage_is_a_warning(package):
    for wav in sorted((package / "eval_out").glob("sample_[0-3]_*.wav")):
        wav.unlink()
    report = validate_submission(package, REF, ValidateOptions(metadata=False))
    assert codes(report) == ["W_UNCOVERED_SOUNDSCAPES"] and report.exit_code == 0


def test_float_wav_checks_clipping_and_silence(tmp_path):
    sub = tmp_path / "sub"
    loud = np.full(FRAMES, 0.1, np.float32)
    loud[:100] = 1.0
    write(sub / "sample_0_0_Speech.wav", loud, subtype="FLOAT")
    write(sub / "sample_0_1_Doorbell.wav", np.zeros(FRAMES, np.float32), subtype="FLOAT")
    write(sub / "sample_2_0_silence.wav", np.zeros(FRAMES, np.float32), subtype="PCM_24")
    report = validate_submission(sub, None, ValidateOptions(metadata=False))
    assert {(f.code, Path(f.file).name) for f in report.findings} == {
        ("W_CLIPPING", "sample_0_0_Speech.wav"), ("W_SILENT_ESTIMATE", "sample_0_1_Doorbell.wav")}


def test_wav_layout_finds_the_data_chunk(tmp_path):
    path = write(tmp_path / "x.wav", np.zeros(FRAMES, np.float32) + 0.1)
    layout = wav_layout(path)
    assert layout.is_pcm16 and layout.data_size == 2 * FRAMES and not layout.truncated
    assert layout.data_offset + layout.data_size == path.stat().st_size
    (tmp_path / "y.wav").write_bytes(b"RIFF")
    assert wav_layout(tmp_path / "y.wav") is None


def test_unknown_label_set_is_a_usage_error():
    result = CliRunner().invoke(cli, ["validate", str(VALID), "--label-set", "nope"])
    assert result.exit_code == 2 and "E_LABEL_SET" in result.output


def test_custom_label_set_file(tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("Speech\nDoorbell\n")
    report = validate_submission(VALID, REF, ValidateOptions(label_set=str(labels)))
    assert report.exit_code == 3  # the reference targets use other classes: a reference-set problem
    assert "E_REF_TARGET_NAME" in codes(report)


def test_missing_paths():
    runner = CliRunner()
    # A path given on the command line that does not exist is a usage error (exit 2, as for every
    # command), under the finding code that names it.
    missing = runner.invoke(cli, ["validate", "/nonexistent/sub"])
    assert missing.exit_code == 2 and "E_SUB_MISSING" in missing.output  # as `score` reports it
    result = runner.invoke(cli, ["validate", str(VALID), "--ref", "/nonexistent/ref"])
    assert result.exit_code == 2 and "E_REF_MISSING" in result.output
    assert validate_submission(VALID, "/nonexistent/ref").exit_code == 3  # the Python API: a reference problem


def test_unreadable_reference_mixture_exits_3(tmp_path):
    ref = tmp_path / "ref"
    shutil.copytree(REF, ref)
    (ref / "soundscape" / "sample_0.wav").write_bytes(b"RIFF0000WAVEjunk")
    report = validate_submission(VALID, ref)
    assert report.exit_code == 3 and "E_REF_UNREADABLE" in codes(report)


def test_a_plain_file_is_not_a_submission(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("x")
    report = validate_submission(path)
    assert codes(report) == ["E_SUB_NOT_FOLDER"] and report.exit_code == 1


def test_console_script_never_shows_a_traceback(tmp_path):
    bad = tmp_path / "Smith_ACME_task4_1"
    (bad / "eval_out").mkdir(parents=True)
    (bad / "eval_out" / "x_0_Speech.wav").write_bytes(b"\x00" * 10)
    (bad / "eval_results.json").write_bytes(b"\xff\xfe{")
    (bad / "Smith_ACME_task4_1.meta.yaml").write_text("a: [" * 3000)
    proc = subprocess.run([sys.executable, "-m", "s5eval.cli", "validate", str(bad), "--json", str(tmp_path / "r.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    found = {f["code"] for f in json.loads((tmp_path / "r.json").read_text())["findings"]}
    assert {"E_UNREADABLE", "E_JSON_SYNTAX", "E_YAML_SYNTAX"} <= found


# Every code raised anywhere is catalogued: tests/test_codes_catalogued.py.


def test_findings_doc_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "findings.md").read_text() == render_markdown()


def test_bad_package_name_is_reported_once(tmp_path):
    import yaml
    sub = tmp_path / "mysystem"
    shutil.copytree(VALID, sub)
    meta = yaml.safe_load((sub / "Smith_ACME_task4_1.meta.yaml").read_text())
    meta["submission"]["label"] = "mysystem"
    (sub / "Smith_ACME_task4_1.meta.yaml").unlink()
    (sub / "mysystem.meta.yaml").write_text(yaml.safe_dump(meta))
    assert codes(validate_submission(sub, REF)) == ["E_PACKAGE_NAME"]
