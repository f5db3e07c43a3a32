"""Outputs: never into the inputs, a full or read-only disk is a finding, umask, temporary leftovers, cache damage,
provenance of zips."""
from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import s5eval.atomic as atomic
import s5eval.io.archive as archive
import s5eval.scoring.batch as score_all_module
from s5eval.scoring.cache import _FIELD_CHECKS, _RECORD_FIELDS, FileDigests, RecordCache, record_to_dict
from s5eval.cli import cli
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.backends import iter_scores
from s5eval.results.store import COMPLETE, FAILED, read_complete, write_failure
from s5eval.scoring.batch import score_all
from s5fixtures import Counting, make_case

MIXTURES = {"mix_00": ["Speech"], "mix_01": ["Speech", "Dishes"], "mix_02": ["Cough"], "mix_03": ["Doorbell"]}
CONFIG = ScoreConfig(workers=1, n_resamples=20)
FAST = ["--bootstrap", "10", "--workers", "1"]


def invoke(*args: str):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture()
def case(tmp_path):
    ref, sub = make_case(tmp_path / "case", MIXTURES, seed=5)
    subs = tmp_path / "subs"
    shutil.copytree(sub, subs / "Alpha_Lab_task4_1")
    shutil.copytree(sub, subs / "Beta_Uni_task4_1")
    return ref, subs, tmp_path / "out"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def failing_write(monkeypatch, names: set[str], err: int = errno.ENOSPC):
    """Make the atomic write of any file named in ``names`` fail like a full disk, after its temp file exists."""
    real = atomic._write_temp

    def write_temp(path, writer, durable):
        if path.name in names:
            def broken(handle):
                handle.write("partial")
                raise OSError(err, os.strerror(err))
            return real(path, broken, durable)
        return real(path, writer, durable)

    monkeypatch.setattr(atomic, "_write_temp", write_temp)


# --- 1. output folder safety ---------------------------------------------------------------------------


def test_out_inside_an_input_is_refused_and_nothing_is_written(case, tmp_path):
    ref, subs, out = case
    victim = subs / "Alpha_Lab_task4_1" / "scores.json"
    victim.write_text('{"participant": "file"}')
    before = snapshot(subs), snapshot(ref)
    link = tmp_path / "link"
    link.symlink_to(subs / "Alpha_Lab_task4_1")
    attempts = [
        ["score-all", subs, "--ref", ref, "--out", subs],
        ["score-all", subs, "--ref", ref, "--out", subs / "Alpha_Lab_task4_1" / "x"],
        ["score-all", subs, "--ref", ref, "--out", ref / "results"],
        ["score-all", subs, "--ref", ref, "--out", out, "--cache", subs / ".cache"],
        ["score-all", subs, "--ref", ref, "--out", tmp_path / "elsewhere" / ".." / "subs"],
        ["score", subs / "Alpha_Lab_task4_1", "--ref", ref, "--out", subs / "Alpha_Lab_task4_1"],
        ["score", subs / "Alpha_Lab_task4_1", "--ref", ref, "--out", link],
        ["score", subs / "Alpha_Lab_task4_1", "--ref", ref, "--out", ref / "soundscape"],
    ]
    for args in attempts:
        result = invoke(*args, *FAST)
        assert result.exit_code == 2, (args, result.output)
        assert "E_OUT_INSIDE_INPUT" in result.output, args
    assert (snapshot(subs), snapshot(ref)) == before
    assert not out.exists()


def test_result_folder_of_a_label_may_not_hold_an_input(case, tmp_path):
    ref, subs, _ = case
    nested = tmp_path / "o" / "Alpha_Lab_task4_1"  # the submissions folder is OUT/<label of a submission in it>
    shutil.copytree(subs / "Alpha_Lab_task4_1", nested / "Alpha_Lab_task4_1")
    result = invoke("score-all", nested, "--ref", ref, "--out", tmp_path / "o", *FAST)
    assert result.exit_code == 2 and "E_OUT_INSIDE_INPUT" in result.output
    assert not (nested / "results.json").exists()


def test_out_next_to_a_zip_is_fine_and_inside_codabench_and_leaderboard_inputs_is_not(case, tmp_path):
    ref, subs, out = case
    zipped = subs / "Zip_Team_task4_1.zip"
    with zipfile.ZipFile(zipped, "w") as handle:
        for wav in sorted((subs / "Alpha_Lab_task4_1").glob("*.wav")):
            handle.write(wav, f"Zip_Team_task4_1/{wav.name}")
    result = invoke("score", zipped, "--ref", ref, "--out", subs / "zip_results", "--quiet", *FAST)
    assert result.exit_code == 0, result.output
    inp = tmp_path / "input"
    shutil.copytree(ref, inp / "ref")
    shutil.copytree(subs / "Alpha_Lab_task4_1", inp / "res")
    for output in (inp / "res" / "out", inp / "ref"):
        result = invoke("codabench", inp, output, *FAST)
        assert result.exit_code == 2 and "E_OUT_INSIDE_INPUT" in result.output
    assert not (inp / "res" / "out").exists() and not (inp / "ref" / "scores.json").exists()
    result = invoke("score-all", subs, "--ref", ref, "--out", out, "--quiet", *FAST)
    assert result.exit_code == 0, result.output
    result = invoke("leaderboard", out, "--out", out / "Alpha_Lab_task4_1", "--bootstrap", "0", "--quiet")
    assert result.exit_code == 2 and "E_OUT_INSIDE_INPUT" in result.output
    assert not (out / "Alpha_Lab_task4_1" / "leaderboard.json").exists()


def test_out_naming_a_file_is_a_usage_error(case, tmp_path):
    ref, subs, out = case
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    inp = tmp_path / "input"
    shutil.copytree(ref, inp / "ref")
    shutil.copytree(subs / "Alpha_Lab_task4_1", inp / "res")
    invoke("score-all", subs, "--ref", ref, "--out", out, "--quiet", *FAST)
    for args in (["score", subs / "Alpha_Lab_task4_1", "--ref", ref, "--out", existing, *FAST],
                 ["score", subs / "Alpha_Lab_task4_1", "--ref", ref, "--out", existing / "below", *FAST],
                 ["score-all", subs, "--ref", ref, "--out", existing, *FAST],
                 ["codabench", inp, existing, *FAST],
                 ["leaderboard", out, "--out", existing, "--bootstrap", "0"]):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "E_OUT_IS_FILE" in result.output, args
    assert existing.read_text() == "keep me"


# --- 2. full disk, read-only output ---------------------------------------------------------------------


def test_full_disk_in_score_keeps_the_earlier_results(case, monkeypatch):
    ref, subs, out = case
    sub = subs / "Alpha_Lab_task4_1"
    assert invoke("score", sub, "--ref", ref, "--out", out, "--quiet", *FAST).exit_code == 0
    before = snapshot(out)
    failing_write(monkeypatch, {"per_source.csv"})  # results.json and per_mixture.csv are written by then
    result = invoke("score", sub, "--ref", ref, "--out", out, "--quiet", "--bootstrap", "30", "--workers", "1")
    assert result.exit_code == 2 and "E_OUT_WRITE" in result.output and "disk is full" in result.output
    assert snapshot(out) == before  # nothing replaced, no temporary file left


def test_full_disk_in_score_all_is_no_failed_submission(case, monkeypatch):
    ref, subs, out = case
    assert invoke("score-all", subs, "--ref", ref, "--out", out, "--quiet", *FAST).exit_code == 0
    before = snapshot(out)
    failing_write(monkeypatch, {"scores.json"})
    result = invoke("score-all", subs, "--ref", ref, "--out", out, "--quiet", "--bootstrap", "30", "--workers", "1")
    assert result.exit_code == 2 and "E_OUT_WRITE" in result.output
    after = snapshot(out)
    for label in ("Alpha_Lab_task4_1", "Beta_Uni_task4_1"):
        assert not (out / label / FAILED).exists()
        assert read_complete(out / label) is not None
        assert {k: v for k, v in after.items() if k.startswith(label)} == \
            {k: v for k, v in before.items() if k.startswith(label)}
    assert not [p for p in out.rglob("*.tmp")]


def test_write_failure_keeps_the_old_result_until_failed_json_is_written(case, monkeypatch):
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    folder = out / "Alpha_Lab_task4_1"
    before = snapshot(folder)
    failing_write(monkeypatch, {FAILED})
    with pytest.raises(OSError):
        write_failure(folder, "Alpha_Lab_task4_1", [], 1)
    assert snapshot(folder) == before and read_complete(folder) is not None
    monkeypatch.undo()
    write_failure(folder, "Alpha_Lab_task4_1", [], 1)
    assert (folder / FAILED).exists() and not (folder / COMPLETE).exists() and not (folder / "results.json").exists()


def test_read_only_out_is_a_finding_before_any_scoring(case, monkeypatch):
    ref, subs, out = case

    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(atomic, "create_temporary", read_only)
    scored = []
    monkeypatch.setattr(score_all_module, "iter_scores", lambda *a: scored.append(1) or iter_scores(*a))
    for args in (["score-all", subs, "--ref", ref, "--out", out, *FAST],
                 ["score", subs / "Alpha_Lab_task4_1", "--ref", ref, "--out", out, *FAST]):
        result = invoke(*args)
        assert result.exit_code == 2 and "E_OUT_WRITE" in result.output and "read-only" in result.output, args
    assert not scored


def test_full_disk_in_codabench_and_leaderboard(case, tmp_path, monkeypatch):
    ref, subs, out = case
    inp = tmp_path / "input"
    shutil.copytree(ref, inp / "ref")
    shutil.copytree(subs / "Alpha_Lab_task4_1", inp / "res")
    invoke("score-all", subs, "--ref", ref, "--out", out, "--quiet", *FAST)
    board = tmp_path / "board"
    assert invoke("leaderboard", out, "--out", board, "--bootstrap", "0", "--quiet").exit_code == 0
    before = snapshot(board)
    failing_write(monkeypatch, {"leaderboard.html", "scores.json", "detailed_results.html"})
    result = invoke("leaderboard", out, "--out", board, "--bootstrap", "0", "--seed", "3", "--quiet")
    assert result.exit_code == 2 and "E_OUT_WRITE" in result.output
    assert snapshot(board) == before
    result = invoke("codabench", inp, tmp_path / "cb", *FAST)
    assert result.exit_code == 2 and "E_OUT_WRITE" in result.output
    assert not (tmp_path / "cb" / "scores.json").exists()


def test_full_temporary_folder_is_not_blamed_on_the_zip(case, monkeypatch):
    ref, subs, out = case
    with zipfile.ZipFile(subs / "Zip_Team_task4_1.zip", "w") as handle:
        for wav in sorted((subs / "Alpha_Lab_task4_1").glob("*.wav")):
            handle.write(wav, f"Zip_Team_task4_1/{wav.name}")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive, "open", full, raising=False)  # the extraction's writes
    result = invoke("score-all", subs, "--ref", ref, "--out", out, "--quiet", *FAST)
    assert result.exit_code == 2 and "E_TEMP_WRITE" in result.output and "E_ZIP_CORRUPT" not in result.output
    assert not (out / "Zip_Team_task4_1" / FAILED).exists()


# --- 3. permissions follow the umask -------------------------------------------------------------------


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_follow_the_umask(case, tmp_path, mask, mode):
    ref, subs, out = case
    old = os.umask(mask)
    try:
        invoke("score-all", subs, "--ref", ref, "--out", out, "--quiet", *FAST)
        invoke("leaderboard", out, "--out", tmp_path / "board", "--bootstrap", "0", "--quiet")
    finally:
        os.umask(old)
    files = [*(out / "Alpha_Lab_task4_1").iterdir(), *(tmp_path / "board").iterdir(), out / "score_all.json"]
    assert len(files) > 8
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {oct(mode)}


# --- 4. temporary leftovers ----------------------------------------------------------------------------


def test_stale_zip_folders_of_dead_processes_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = archive.host_tag()
    stale = tmp_path / f"s5eval-zip-{dead.pid}-{host}-abc123"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "x.wav").write_bytes(b"RIFF")
    alive = tmp_path / f"s5eval-zip-{os.getppid()}-{host}-def456"  # a running process: kept
    alive.mkdir()
    other = tmp_path / "s5eval-zip-notours"
    other.mkdir()
    elsewhere = tmp_path / f"s5eval-zip-{dead.pid}-0badf00d-x1"  # another machine's: kept for a day
    elsewhere.mkdir()
    elsewhere_old = tmp_path / f"s5eval-zip-{dead.pid}-0badf00d-x2"
    elsewhere_old.mkdir()
    long_ago = time.time() - 2 * archive.OTHER_HOST_STALE_S
    os.utime(elsewhere_old, (long_ago, long_ago))
    made = tmp_path / "Sub_task4_1.zip"
    with zipfile.ZipFile(made, "w") as handle:
        handle.writestr("Sub_task4_1/a.txt", "x")
    with archive.extracted_zip(made) as root:
        folder = root.parents[1]
        assert folder.name.startswith(f"s5eval-zip-{os.getpid()}-{host}-")
        assert not stale.exists() and alive.exists() and other.exists()
        assert elsewhere.exists() and not elsewhere_old.exists()
    assert not folder.exists()


def test_stale_temporary_files_are_removed_at_the_next_write(case):
    ref, subs, out = case
    out.mkdir()
    old = out / ".results.json.4242-deadbeef.tmp"
    old_mkstemp = out / ".scores.json.k2j4_9ax.tmp"
    fresh = out / ".per_source.csv.4243-cafe.tmp"
    foreign = out / "notes.tmp"
    for path in (old, old_mkstemp, fresh, foreign):
        path.write_text("partial")
    long_ago = time.time() - 2 * atomic.STALE_AFTER_S
    for path in (old, old_mkstemp, foreign):
        os.utime(path, (long_ago, long_ago))
    assert invoke("score", subs / "Alpha_Lab_task4_1", "--ref", ref, "--out", out, "--quiet", *FAST).exit_code == 0
    assert not old.exists() and not old_mkstemp.exists()
    assert fresh.exists() and foreign.exists()


# --- 5. cache robustness -------------------------------------------------------------------------------


def test_every_record_field_is_checked():
    assert set(_FIELD_CHECKS) == _RECORD_FIELDS


def test_damaged_cache_entries_are_recomputed_and_results_kept(case, monkeypatch):
    ref, subs, out = case
    first = score_all(subs, ref, out, CONFIG)
    headlines = {o.label: o.headline for o in first}
    cache = out / ".s5eval-cache"
    records = sorted((cache / "records").rglob("*.json"))
    references = sorted((cache / "references").rglob("*.json"))
    assert len(records) >= 4 and references
    stored_references = [json.loads(path.read_text()) for path in references]
    good = json.loads(records[0].read_text())
    other = json.loads(records[1].read_text())
    damages = [
        "[1, 2, 3]", '"a string"', "null", "42", records[0].read_text()[:40], "not json {", "\xff\xfe",
        json.dumps({"key": good["key"]}),
        json.dumps({"key": good["key"], "record": []}),
        json.dumps({"key": good["key"], "record": {**good["record"], "tp": "1"}}),
        json.dumps({"key": good["key"], "record": {**good["record"], "findings": ["x"]}}),
        json.dumps({"key": good["key"], "record": {**good["record"], "sources": [{"kind": "tp"}]}}),
        json.dumps({"key": good["key"], "record": {**good["record"], "casa_sdr": [1]}}),
        json.dumps({"key": good["key"], "record": {**good["record"], "extra": 1}}),
        json.dumps({"key": good["key"], "record": {**other["record"]}}),  # another mixture's record
        json.dumps({"key": good["key"], "record": {**good["record"], "capi_sdri": 10 ** 400}}),  # beyond float
    ]
    for damage in damages:
        for path in records:
            path.write_text(damage, encoding="utf-8", errors="surrogateescape") if damage != "\xff\xfe" else \
                path.write_bytes(b"\xff\xfe{")
        for path in references:
            path.write_text(damage if damage.startswith(("[", '"', "n", "4")) else '{"key": 1, "frames": "x"}')
        (cache / "file_digests.json").write_text(damage if not damage.startswith("\xff") else "{}")
        counter = Counting()
        monkeypatch.setattr(score_all_module, "iter_scores", counter)
        outcomes = score_all(subs, ref, out, CONFIG)
        assert {o.label: o.status for o in outcomes} == {label: "ok" for label in headlines}, damage
        assert {o.label: o.headline for o in outcomes} == headlines, damage
        assert counter.scored >= 1, damage
        for label in headlines:
            assert read_complete(out / label) is not None
    for path, stored in zip(references, stored_references):  # an energy is an integer no float can hold
        assert stored["target_energies"], "the case needs targets"
        path.write_text(json.dumps({**stored, "target_energies": [10 ** 400] + stored["target_energies"][1:]}))
    monkeypatch.setattr(score_all_module, "iter_scores", Counting())
    assert {o.label: o.headline for o in score_all(subs, ref, out, CONFIG)} == headlines
    for bad_index in ('{"format": 3, "files": []}', '{"format": 3, "files": {"x": "y"}}',
                      '{"format": 3, "files": {"/x": [1, 2, 3, 4, "zz"]}}', "[]", '{"format": 3'):
        (cache / "file_digests.json").write_text(bad_index)
        assert isinstance(FileDigests(cache / "file_digests.json").digest(records[0]), str)


def test_in_place_rewrite_with_the_old_mtime_is_noticed(case, monkeypatch):
    ref, subs, out = case
    sub = subs / "Alpha_Lab_task4_1"
    first = {o.label: o.headline for o in score_all(subs, ref, out, CONFIG)}
    victim = sorted(sub.glob("mix_01_*.wav"))[0]
    st = victim.stat()
    data = bytearray(victim.read_bytes())
    data[100:] = bytes(len(data) - 100)  # silence most of it: same size, other content
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (victim.stat().st_size, victim.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    counter = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", counter)
    second = {o.label: o.headline for o in score_all(subs, ref, out, CONFIG)}
    assert counter.scored == 1
    assert second["Alpha_Lab_task4_1"] != first["Alpha_Lab_task4_1"]
    assert second["Beta_Uni_task4_1"] == first["Beta_Uni_task4_1"]


def test_an_index_of_the_older_format_is_not_trusted(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    st = path.stat()
    (tmp_path / "index.json").write_text(json.dumps(
        {"format": 2, "files": {str(path.resolve()): [st.st_size, st.st_mtime_ns, st.st_ino, "0" * 64]}}))
    digests = FileDigests(tmp_path / "index.json")
    assert digests.digest(path) != "0" * 64 and digests.hashed == 1


def test_record_round_trip(case):
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    cache = RecordCache(out / ".s5eval-cache")
    stored = json.loads(next((out / ".s5eval-cache" / "records").rglob("*.json")).read_text())
    record = cache.get(stored["key"])
    assert record is not None and record_to_dict(record) == stored["record"]


# --- 6. provenance of zips -----------------------------------------------------------------------------


def test_provenance_names_the_zip_and_digests_the_files(case, tmp_path):
    ref, subs, out = case
    zipped = subs / "Zip_Team_task4_1.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as handle:
        for wav in sorted((subs / "Alpha_Lab_task4_1").glob("*.wav")):
            handle.write(wav, f"Zip_Team_task4_1/{wav.name}")
    score_all(subs, ref, out, CONFIG)
    from_zip = json.loads((out / "Zip_Team_task4_1" / "results.json").read_text())["provenance"]
    from_folder = json.loads((out / "Alpha_Lab_task4_1" / "results.json").read_text())["provenance"]
    assert from_zip["submission"] == str(zipped)
    assert from_folder["submission"] == str(subs / "Alpha_Lab_task4_1")
    assert from_zip["submission_digest"] == from_folder["submission_digest"]
    index = json.loads((out / "score_all.json").read_text())
    assert {s["label"]: s["source"] for s in index["submissions"]}["Zip_Team_task4_1"] == str(zipped)
    single = json.loads(invoke("score", zipped, "--ref", ref, "--json", *FAST).stdout)["provenance"]
    assert single["submission"] == str(zipped) and single["submission_digest"] == from_zip["submission_digest"]
    inp = tmp_path / "input"
    shutil.copytree(ref, inp / "ref")
    (inp / "res").mkdir(parents=True)
    shutil.copy(zipped, inp / "res" / zipped.name)
    assert invoke("codabench", inp, tmp_path / "cb", *FAST).exit_code == 0
    page = (tmp_path / "cb" / "detailed_results.html").read_text()
    assert "s5eval-zip-" not in page
    assert not any("s5eval-zip-" in json.dumps(json.loads(p.read_text()))
                   for p in (out / "Zip_Team_task4_1").glob("*.json"))


def test_findings_of_a_zip_name_the_zip(case):
    import numpy as np
    from s5fixtures import write_wav

    ref, subs, out = case
    broken = subs / "Beta_Uni_task4_1"
    victim = sorted(broken.glob("*.wav"))[0]
    samples = np.zeros(8000, np.float32)
    samples[5] = np.nan  # found only while decoding, by the engine
    write_wav(victim, samples, subtype="FLOAT")
    zipped = subs / "Zip_Team_task4_1.zip"
    with zipfile.ZipFile(zipped, "w") as handle:
        for wav in sorted(broken.glob("*.wav")):
            handle.write(wav, f"Zip_Team_task4_1/{wav.name}")
    for _ in range(2):  # the second run serves the record from the cache
        outcomes = {o.label: o for o in score_all(subs, ref, out, CONFIG)}
        files = {f.file for f in outcomes["Zip_Team_task4_1"].findings}
        assert files == {f"{zipped}/{victim.name}"}
        failed = json.loads((out / "Zip_Team_task4_1" / FAILED).read_text())
        assert {f["file"] for f in failed["findings"]} == files


def test_other_writers_never_write_into_their_inputs(case):
    ref, subs, _ = case
    sub = subs / "Alpha_Lab_task4_1"
    for args in (["reference", "oracle", "--ref", ref, "--out", ref / "Oracle_S5eval_task4_1"],
                 ["validate", sub, "--json", sub / "report.json"],
                 ["validate", sub, "--ref", ref, "--json", ref / "report.json"]):
        result = invoke(*args)
        assert result.exit_code == 2 and "E_OUT_INSIDE_INPUT" in result.output, (args, result.output)
    assert not (ref / "Oracle_S5eval_task4_1").exists() and not (sub / "report.json").exists()
    assert invoke("validate", sub, "--json", sub.parent.parent / "report.json").exit_code == 0


def test_baseline_infer_never_writes_into_the_reference_set(case):
    pytest.importorskip("torch")
    ref, _, _ = case
    result = invoke("baseline", "infer", "--ckpt", ref / "missing.pt", "--ref", ref, "--out", ref / "Base_S5_task4_1")
    assert result.exit_code == 2 and "E_OUT_INSIDE_INPUT" in result.output
