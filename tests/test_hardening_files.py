"""Hostile files and folders: links, FIFOs, unreadable folders, odd names, odd WAV headers, broken references.

Every case ends in findings (never a traceback, never a hang), and ``validate``
and ``score`` agree: what one refuses the other refuses, with the same code.
Reference-set faults are ``E_REF_`` findings with exit code 3.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.findings import S5InputError
from s5eval.io.audio import AudioReadError, NotRegularAudioError, header_facts, read_audio
from s5eval.io.refset import load_reference_set
from s5eval.io.wav import KSDATAFORMAT_SUBTYPE_PCM, wav_layout
from s5eval.labels import resolve_label_set
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score
from s5eval.validate import validate_submission
from s5fixtures import RATE, make_case

MIXTURES = {"mix_1": ["Speech", "Dishes"], "mix_2": ["Speech"]}
QUIET = {"W_NOT_A_PACKAGE", "E_MISSING_EVAL_RESULTS", "W_MISSING_DEV_RESULTS"}


class Blocked(BaseException):
    """Raised in the test when a read blocks: no ``except Exception``/``except OSError`` of the code can eat it."""


@contextlib.contextmanager
def no_hang(seconds: float = 20):
    """Fail instead of blocking forever (a FIFO opened for reading waits for a writer).

    The alarm repeats, so a blocking call in C that retries after the first
    interruption is interrupted again until Python code runs the handler.
    """
    def expired(signum, frame):
        raise Blocked("blocked: a file that is not a regular file was opened")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def validate_codes(sub, ref) -> tuple[int, set[str]]:
    report = validate_submission(sub, ref)
    return report.exit_code, {f.code for f in report.findings} - QUIET


def score_outcome(sub, ref) -> tuple[int, set[str]]:
    """(0, set()) when scored, else the exit code and the codes of the refusal."""
    try:
        run_score(sub, ref, ScoreConfig(workers=1, n_resamples=0))
    except S5InputError as exc:
        return exc.exit_code, {f.code for f in exc.findings} - QUIET
    return 0, set()


def capi(sub, ref) -> float:
    return run_score(sub, ref, ScoreConfig(workers=1, n_resamples=0)).results["summary"]["capi_sdri"]


@pytest.fixture()
def case(tmp_path):
    return make_case(tmp_path, MIXTURES)


# --- 1. links ------------------------------------------------------------------------------------------------


def _links_to_targets(ref: Path, sub: Path) -> Path:
    for wav in sub.iterdir():
        wav.unlink()
    for target in (ref / "oracle_target").iterdir():
        os.symlink(target, sub / target.name)
    return sub


def _eval_out_linked_to_targets(ref: Path, sub: Path) -> Path:
    package = sub.parent / "Smith_ACME_task4_1"
    package.mkdir()
    os.symlink(ref / "oracle_target", package / "eval_out")
    return package


def _top_level_file_linked_out(ref: Path, sub: Path) -> Path:
    package = sub.parent / "Smith_ACME_task4_1"
    shutil.copytree(sub, package / "eval_out")
    os.symlink(ref / "soundscape" / "mix_1.wav", package / "eval_results.json")
    return package


def _folder_linked_out(ref: Path, sub: Path) -> Path:
    os.symlink(ref, sub / "reference")
    return sub


@pytest.mark.parametrize("make", [_links_to_targets, _eval_out_linked_to_targets, _top_level_file_linked_out,
                                  _folder_linked_out])
def test_links_leaving_the_submission_are_refused_by_validate_and_score(case, make):
    ref, sub = case
    submission = make(ref, sub)
    assert validate_codes(submission, ref)[0] == 1
    assert "E_LINK_OUTSIDE" in validate_codes(submission, ref)[1]
    code, found = score_outcome(submission, ref)
    assert code == 1 and "E_LINK_OUTSIDE" in found


def test_links_inside_are_a_warning_and_a_link_loop_a_finding(case, tmp_path):
    ref, sub = case
    expected = capi(sub, ref)
    os.rename(sub / "mix_2_0_Speech.wav", sub / "real.bin")
    os.symlink("real.bin", sub / "mix_2_0_Speech.wav")  # inside the submission: followed
    assert validate_codes(sub, ref) == (0, {"W_LINK", "W_STRAY_FILE"})
    assert capi(sub, ref) == expected
    linked = tmp_path / "given_as_link"  # the submission named through a link: its target is the submission
    os.symlink(sub, linked)
    assert capi(linked, ref) == expected
    os.symlink("loop.wav", sub / "loop.wav")
    assert validate_codes(sub, ref) == (1, {"W_LINK", "W_STRAY_FILE", "E_UNREADABLE"})
    assert score_outcome(sub, ref) == (1, {"W_LINK", "W_STRAY_FILE", "E_UNREADABLE"})


# --- 2. files that are not regular files ----------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(signal, "setitimer"), reason="needs FIFOs and timers")
def test_a_fifo_named_like_a_wav_is_a_finding_never_a_hang(case):
    ref, sub = case
    fifo = sub / "mix_2_1_Dishes.wav"
    os.mkfifo(fifo)
    with no_hang():
        assert validate_codes(sub, ref) == (1, {"E_NOT_REGULAR_FILE"})
        assert score_outcome(sub, ref) == (1, {"E_NOT_REGULAR_FILE"})
        with pytest.raises(NotRegularAudioError):
            header_facts(fifo)
        with pytest.raises(NotRegularAudioError):
            read_audio(fifo)
        assert capi_forced(sub, ref) == capi_without(sub, ref, fifo)
        package = sub.parent / "Smith_ACME_task4_1"  # at the top of a package, e.g. as eval_results.json
        shutil.copytree(sub, package / "eval_out")
        os.mkfifo(package / "eval_results.json")
        assert validate_codes(package, ref) == (1, {"E_NOT_REGULAR_FILE"})
        assert score_outcome(package, ref) == (1, {"E_NOT_REGULAR_FILE"})
        for folder in ("soundscape", "oracle_target"):  # in the reference set: exit 3
            reference_fifo = ref / folder / "mix_3.wav"
            os.mkfifo(reference_fifo)
            assert validate_codes(sub, ref)[0] == 3
            assert score_outcome(sub, ref) == (3, {"E_REF_NOT_REGULAR_FILE"})
            reference_fifo.unlink()


def capi_forced(sub, ref) -> float:
    return run_score(sub, ref, ScoreConfig(workers=1, n_resamples=0, force=True)).results["summary"]["capi_sdri"]


def capi_without(sub, ref, path: Path) -> float:
    path.unlink()
    return capi(sub, ref)


# --- 3. unreadable folders and odd names ----------------------------------------------------------------------


def test_unreadable_folders_and_odd_names_are_findings(case, tmp_path, monkeypatch):
    ref, sub = case
    package = tmp_path / "Smith_ACME_task4_1"
    shutil.copytree(sub, package / "eval_out")
    real_scandir = os.scandir

    def refusing(names):
        def scandir(path="."):
            if Path(os.fsdecode(path)).name in names:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)
        return scandir

    monkeypatch.setattr(os, "scandir", refusing({"eval_out"}))  # chmod 000 eval_out/ (tests run as root)
    assert validate_codes(package, ref) == (1, {"E_UNREADABLE"})
    assert score_outcome(package, ref) == (1, {"E_UNREADABLE"})
    monkeypatch.setattr(os, "scandir", refusing({"soundscape"}))
    assert validate_codes(package, ref) == (3, {"E_REF_UNREADABLE"})
    assert score_outcome(package, ref) == (3, {"E_REF_UNREADABLE"})
    monkeypatch.setattr(os, "scandir", real_scandir)

    long_package = tmp_path / ("A" * 240 + "_B_task4_1")  # 250 bytes: '<name>.meta.yaml' cannot exist
    shutil.copytree(sub, long_package / "eval_out")
    assert validate_codes(long_package, ref) == (1, {"E_PACKAGE_NAME"})
    assert score_outcome(long_package, ref) == (1, {"E_PACKAGE_NAME"})
    too_long = tmp_path / ("x" * 300)
    assert validate_codes(sub, too_long)[0] == 3
    assert score_outcome(too_long, ref) == (1, {"E_SUB_MISSING"})

    # names that are not UTF-8: read (soundfile gets them as bytes), refused in the reference set
    odd = os.fsencode(sub) + b"/mix_2_0_Sp\xffeech.wav"
    sf.write(odd, np.zeros(RATE // 4, np.float32), RATE, subtype="FLOAT")
    assert read_audio(os.fsdecode(odd))[1].frames == RATE // 4
    assert validate_codes(sub, ref) == (1, {"E_UNKNOWN_LABEL", "W_SILENT_ESTIMATE"})
    os.unlink(odd)
    shutil.copyfile(ref / "soundscape" / "mix_2.wav", os.fsencode(ref / "soundscape") + b"/mix\xff_3.wav")
    assert validate_codes(sub, ref) == (3, {"E_REF_NAME_ENCODING"})
    assert score_outcome(sub, ref) == (3, {"E_REF_NAME_ENCODING"})


# --- 4. audio formats: validate and score read the same way ---------------------------------------------------


def _extensible_pcm16(samples: np.ndarray, subformat: bytes) -> bytes:
    """A mono 16-bit WAVE_FORMAT_EXTENSIBLE file, written by hand."""
    data = np.asarray(samples, dtype="<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 0xFFFE, 1, RATE, 2 * RATE, 2, 16)
    fmt += struct.pack("<HHI", 22, 16, 4) + subformat  # cbSize, valid bits, channel mask, SubFormat GUID
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_odd_subtypes_are_read_alike_by_validate_and_score(tmp_path):
    # GSM 6.10: libsndfile reads it but cannot seek in it; both commands now read exactly its announced frames
    ref, sub = make_case(tmp_path, MIXTURES, seconds=8320 / RATE)
    estimate = sub / "mix_1_0_Speech.wav"
    samples, _ = sf.read(estimate, dtype="float32")
    sf.write(estimate, samples[:8000], RATE, subtype="GSM610", format="WAV")
    assert sf.info(estimate).frames == 8320
    assert validate_codes(sub, ref)[0] == 0
    assert np.isfinite(capi(sub, ref))

    # WAVE_FORMAT_EXTENSIBLE, 16 bits: the PCM GUID takes the direct path; any other GUID goes to libsndfile
    pcm = np.arange(-4000, 4000, dtype=np.int16)
    good, bad = tmp_path / "pcm.wav", tmp_path / "float_guid.wav"
    good.write_bytes(_extensible_pcm16(pcm, KSDATAFORMAT_SUBTYPE_PCM))
    ieee_float = bytes.fromhex("0300000000001000800000aa00389b71")
    bad.write_bytes(_extensible_pcm16(pcm, ieee_float))
    assert wav_layout(good).plain_pcm16 and not wav_layout(bad).is_pcm16
    assert np.array_equal(read_audio(good, pcm16_as_int16=True)[0][:, 0], pcm)
    with pytest.raises(AudioReadError):
        read_audio(bad)
    with pytest.raises(AudioReadError):
        header_facts(bad)
    shutil.copyfile(bad, estimate)
    assert validate_codes(sub, ref) == (1, {"E_UNREADABLE"})
    assert score_outcome(sub, ref) == (1, {"E_UNREADABLE"})


# --- 5. reference faults are the reference set's ---------------------------------------------------------------


def _nan(path: Path) -> None:
    samples, rate = sf.read(path, dtype="float32", always_2d=True)
    samples[10, 0] = np.nan
    sf.write(path, samples, rate, subtype="FLOAT")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("fault,code", [(_nan, "E_REF_NONFINITE"), (_truncate, "E_REF_TRUNCATED")])
@pytest.mark.parametrize("which", ["soundscape/mix_1.wav", "oracle_target/mix_1_0_Speech.wav"])
def test_broken_reference_files_are_reference_findings(case, fault, code, which):
    ref, sub = case
    fault(ref / which)
    outcome = score_outcome(sub, ref)
    assert outcome == (3, {code}), outcome
    if which.startswith("soundscape"):  # validate --ref reads the mixtures (not the targets)
        assert validate_codes(sub, ref) == (3, {code})
    result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(ref), "--out", str(ref.parent / "out"),
                                      "--workers", "1", "--bootstrap", "0"])
    assert result.exit_code == 3 and code in result.output and "Traceback" not in result.output


def test_reference_set_listing_sees_broken_links(case):
    ref, _ = case
    os.symlink(ref / "missing.wav", ref / "soundscape" / "mix_9.wav")
    with pytest.raises(S5InputError) as raised:
        load_reference_set(ref, resolve_label_set(None))
    assert raised.value.exit_code == 3 and [f.code for f in raised.value.findings] == ["E_REF_UNREADABLE"]


def test_a_folder_named_like_an_estimate_in_a_bare_folder_is_a_finding(case):
    ref, sub = case
    (sub / "m1_2_Speech.wav").mkdir()
    assert "E_NOT_REGULAR_FILE" in validate_codes(sub, ref)[1]
    assert score_outcome(sub, ref)[0] == 1
