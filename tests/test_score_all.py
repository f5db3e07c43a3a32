"""score-all: every submission, failed ones recorded, content cache, resume after a kill."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

import s5eval.scoring.batch as score_all_module
from s5eval.cli import cli
from s5eval.scoring.mixture import score_mixture
from s5eval.leaderboard.inputs import load_inputs
from s5eval.results.files import write_outputs
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score
from s5eval.scoring.cache import RecordCache, reference_key
from s5eval.io.package import team_of
from s5eval.results.store import FAILED, read_complete
from s5eval.scoring.batch import score_all
from s5fixtures import Counting, make_case

MIXTURES = {f"mix_{i:02d}": labels for i, labels in enumerate(
    [["Speech"], ["Speech", "Dishes"], ["Cough", "Cough"], [], ["Doorbell"], ["Blender", "Typing", "Blender"],
     ["Pour"], ["Speech", "Speech"]])}
CONFIG = ScoreConfig(workers=1, n_resamples=50)
# mix_03 has no target and no estimate in any submission: the same content, scored once for all three
DISTINCT_MIXTURES = 3 * len(MIXTURES) - 2


def _noisier(src: Path, dst: Path, scale: float, seed: int) -> None:
    """A copy of a bare submission with extra noise on every estimate."""
    rng = np.random.default_rng(seed)
    dst.mkdir(parents=True)
    for wav in sorted(src.glob("*.wav")):
        data, rate = sf.read(wav, dtype="float32")
        sf.write(dst / wav.name, np.clip(data + scale * rng.standard_normal(data.shape), -1, 1), rate, subtype="PCM_16")


@pytest.fixture()
def case(tmp_path):
    ref, sub = make_case(tmp_path / "case", MIXTURES, seed=3)
    subs = tmp_path / "subs"
    shutil.copytree(sub, subs / "Alpha_Lab_task4_1")
    _noisier(sub, subs / "Alpha_Lab_task4_2", 0.2, 1)
    _noisier(sub, subs / "Beta_Uni_task4_1", 0.05, 2)
    broken = subs / "Gamma_X_task4_1"
    broken.mkdir()
    (broken / "mix_00_0_Speech.wav").write_bytes(b"not a wav at all")
    return ref, subs, tmp_path / "out"


def test_team_of():
    assert team_of("Alpha_Lab_task4_2") == "Alpha_Lab"
    assert team_of("Alpha_Lab_task4_2_out") == "Alpha_Lab"
    assert team_of("plain") == "plain"


def test_scores_every_submission_and_records_the_broken_one(case):
    ref, subs, out = case
    outcomes = score_all(subs, ref, out, CONFIG)
    status = {o.label: o.status for o in outcomes}
    assert status == {"Alpha_Lab_task4_1": "ok", "Alpha_Lab_task4_2": "ok", "Beta_Uni_task4_1": "ok",
                      "Gamma_X_task4_1": "failed"}
    failed = json.loads((out / "Gamma_X_task4_1" / FAILED).read_text())
    assert failed["status"] == "failed" and any(f["severity"] == "error" for f in failed["findings"])
    assert not (out / "Gamma_X_task4_1" / "results.json").exists()
    for label in ("Alpha_Lab_task4_1", "Alpha_Lab_task4_2", "Beta_Uni_task4_1"):
        assert read_complete(out / label) is not None
    # the same numbers as scoring the submission on its own
    alone = run_score(subs / "Beta_Uni_task4_1", ref, CONFIG)
    stored = json.loads((out / "Beta_Uni_task4_1" / "results.json").read_text())
    assert stored["summary"]["capi_sdri"] == pytest.approx(alone.results["summary"]["capi_sdri"], abs=1e-12)
    assert stored["subsets"] == json.loads(json.dumps(alone.results["subsets"]))
    index = json.loads((out / "score_all.json").read_text())
    assert [s["label"] for s in index["submissions"]] == sorted(status)


def test_second_run_recomputes_nothing(case, monkeypatch):
    ref, subs, out = case
    first = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", first)
    score_all(subs, ref, out, CONFIG)
    assert first.scored == DISTINCT_MIXTURES
    before = {p: p.read_bytes() for p in out.glob("*/results.json")}
    second = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", second)
    outcomes = score_all(subs, ref, out, CONFIG)
    assert second.scored == 0
    assert all(o.computed == 0 for o in outcomes)
    assert sum(o.reused for o in outcomes) == 3 * len(MIXTURES)
    assert {p: p.read_bytes() for p in out.glob("*/results.json")} == before


def test_only_changed_files_and_new_submissions_are_scored(case, monkeypatch):
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    # change one estimate of one submission, add a new submission identical to another
    wav = subs / "Alpha_Lab_task4_2" / "mix_01_1_Dishes.wav"
    data, rate = sf.read(wav, dtype="float32")
    sf.write(wav, data * 0.5, rate, subtype="PCM_16")
    shutil.copytree(subs / "Beta_Uni_task4_1", subs / "Delta_Co_task4_1")
    counter = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", counter)
    outcomes = {o.label: o for o in score_all(subs, ref, out, CONFIG)}
    # the changed mixture of Alpha, and every mixture of the new submission: its estimates are named by their
    # stamps, not hashed first, so a copy of Beta's files is scored again (to the same figures)
    delta = outcomes["Delta_Co_task4_1"]
    assert outcomes["Alpha_Lab_task4_2"].computed == 1 and outcomes["Alpha_Lab_task4_2"].reused > 0
    assert delta.status == "ok" and delta.computed > 0 and counter.scored == 1 + delta.computed  # (a mixture without
    # estimates has no file of the submission in its key: it is served from the cache)
    copied = json.loads((out / "Delta_Co_task4_1" / "results.json").read_text())
    original = json.loads((out / "Beta_Uni_task4_1" / "results.json").read_text())
    assert copied["subsets"] == original["subsets"]
    # and nothing is scored again when nothing changed
    again = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", again)
    score_all(subs, ref, out, CONFIG)
    assert again.scored == 0


def test_changed_options_are_not_served_from_cache(case, monkeypatch):
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    counter = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", counter)
    score_all(subs, ref, out, ScoreConfig(workers=1, n_resamples=50, penalty_fn=-10.0))
    assert counter.scored == DISTINCT_MIXTURES


def test_killed_while_scoring_resumes_with_the_rest(case, monkeypatch):
    ref, subs, out = case

    def dies_after_five(jobs, options, workers):
        for n, job in enumerate(jobs):
            if n == 5:
                raise KeyboardInterrupt  # the process is killed here
            yield score_mixture(job, options)

    monkeypatch.setattr(score_all_module, "iter_scores", dies_after_five)
    with pytest.raises(KeyboardInterrupt):
        score_all(subs, ref, out, CONFIG)
    assert not (out / "Alpha_Lab_task4_1" / "results.json").exists()
    counter = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", counter)
    score_all(subs, ref, out, CONFIG)
    assert counter.scored == DISTINCT_MIXTURES - 5


def test_killed_while_writing_is_never_read(case, monkeypatch):
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    import s5eval.results.store as store_module
    real_write = store_module.write_outputs

    def dies_half_way(folder, results, records, subsets):
        if Path(folder).name == "Beta_Uni_task4_1":
            results = dict(results, summary=dict(results["summary"], capi_sdri=-99.0))
            from s5eval.atomic import write_json_atomic
            write_json_atomic(Path(folder) / "results.json", results)  # new results.json, old CSVs
            raise KeyboardInterrupt
        return real_write(folder, results, records, subsets)

    monkeypatch.setattr(store_module, "write_outputs", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        score_all(subs, ref, out, ScoreConfig(workers=1, n_resamples=60))
    # new files are renamed into place only once all are written: the earlier complete result is intact
    assert read_complete(out / "Beta_Uni_task4_1") is not None
    assert json.loads((out / "Beta_Uni_task4_1" / "results.json").read_text())["summary"]["capi_sdri"] != -99.0
    assert not list((out / "Beta_Uni_task4_1").glob(".*.tmp"))
    loaded = load_inputs([out])
    assert "Beta_Uni_task4_1" in [s.label for s in loaded.systems]
    # a tampered file behind a marker is refused too
    marker = out / "Alpha_Lab_task4_1"
    (marker / "per_mixture.csv").write_text("soundscape\n")
    assert read_complete(marker) is None
    # the re-run repairs everything without scoring a mixture again
    monkeypatch.setattr(store_module, "write_outputs", real_write)
    counter = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", counter)
    score_all(subs, ref, out, CONFIG)
    assert counter.scored == 0
    labels = sorted(s.label for s in load_inputs([out]).systems)
    assert labels == ["Alpha_Lab_task4_1", "Alpha_Lab_task4_2", "Beta_Uni_task4_1", "Gamma_X_task4_1"]


def test_unreadable_cache_record_is_recomputed(case, monkeypatch):
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    records = sorted((out / ".s5eval-cache" / "records").rglob("*.json"))
    records[0].write_text('{"key": "trunc')  # a torn file
    counter = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", counter)
    score_all(subs, ref, out, CONFIG)
    assert counter.scored >= 1
    assert json.loads(records[0].read_text())["key"] == records[0].stem


def test_a_submission_that_was_fixed_drops_its_failed_marker(case):
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    shutil.rmtree(subs / "Gamma_X_task4_1")
    shutil.copytree(subs / "Alpha_Lab_task4_1", subs / "Gamma_X_task4_1")
    score_all(subs, ref, out, CONFIG)
    assert not (out / "Gamma_X_task4_1" / FAILED).exists()
    assert read_complete(out / "Gamma_X_task4_1") is not None


def test_command_line(case):
    ref, subs, out = case
    result = CliRunner().invoke(cli, ["score-all", str(subs), "--ref", str(ref), "--out", str(out),
                                      "--workers", "1", "--bootstrap", "20"])
    assert result.exit_code == 0, result.output
    assert "Gamma_X_task4_1" in result.output and "failed" in result.output
    bad = CliRunner().invoke(cli, ["score-all", str(subs / "nope"), "--ref", str(ref), "--out", str(out)])
    assert bad.exit_code == 2 and "E_SUBS_DIR" in bad.output and "Traceback" not in bad.output
    bad_ref = CliRunner().invoke(cli, ["score-all", str(subs), "--ref", str(ref / "nope"), "--out", str(out)])
    # a --ref path that does not exist is a usage error (exit 2, E_REF_MISSING), as in every command
    assert bad_ref.exit_code == 2 and "E_REF_MISSING" in bad_ref.output and "Traceback" not in bad_ref.output


def test_zip_submission_is_scored_like_its_folder_and_reuses_the_cache(case, monkeypatch):
    import zipfile
    ref, subs, out = case
    score_all(subs, ref, out, CONFIG)
    with zipfile.ZipFile(subs / "Zip_Team_task4_1.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for wav in sorted((subs / "Beta_Uni_task4_1").glob("*.wav")):
            archive.write(wav, f"Zip_Team_task4_1/{wav.name}")
    counter = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", counter)
    outcomes = {o.label: o for o in score_all(subs, ref, out, CONFIG)}
    assert outcomes["Zip_Team_task4_1"].status == "ok", outcomes["Zip_Team_task4_1"].findings
    assert counter.scored == outcomes["Zip_Team_task4_1"].computed > 0  # a new submission: scored
    zipped = json.loads((out / "Zip_Team_task4_1" / "results.json").read_text())
    folder = json.loads((out / "Beta_Uni_task4_1" / "results.json").read_text())
    assert zipped["subsets"] == folder["subsets"]
    digests = json.loads((out / ".s5eval-cache" / "file_digests.json").read_text())["files"]
    assert not any("s5eval-zip-" in path for path in digests)  # temporary extraction paths are not remembered
    # a second run extracts the zip to a new temporary folder, yet its members are known by the zip's stamp
    again = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", again)
    outcomes = {o.label: o for o in score_all(subs, ref, out, CONFIG)}
    assert again.scored == 0 and outcomes["Zip_Team_task4_1"].computed == 0
    # a rewritten zip (same name, other bytes) is scored again
    with zipfile.ZipFile(subs / "Zip_Team_task4_1.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for wav in sorted((subs / "Beta_Uni_task4_1").glob("*.wav")):
            data, rate = sf.read(wav, dtype="float32")
            buffer = io.BytesIO()
            sf.write(buffer, data * 0.5, rate, subtype="PCM_16", format="WAV")
            archive.writestr(f"Zip_Team_task4_1/{wav.name}", buffer.getvalue())
    third = Counting()
    monkeypatch.setattr(score_all_module, "iter_scores", third)
    outcomes = {o.label: o for o in score_all(subs, ref, out, CONFIG)}
    assert third.scored == outcomes["Zip_Team_task4_1"].computed > 0


def test_file_digests_threads_and_index_format(tmp_path):
    """Digests are BLAKE2b-256 of the bytes, the same with several threads; an index of another format is not trusted."""
    import hashlib

    from s5eval.scoring.cache import CACHE_FORMAT, FileDigests

    files = []
    for i in range(12):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(bytes([i]) * (1000 + 70_000 * i))
        files.append(path)
    threaded = FileDigests(tmp_path / "index.json")
    threaded.digest_all(files, threads=3)
    assert threaded.hashed == len(files)
    for path in files:
        assert threaded.digest(path) == hashlib.blake2b(path.read_bytes(), digest_size=32).hexdigest()
    threaded.save()
    saved = json.loads((tmp_path / "index.json").read_text())
    assert saved["format"] == CACHE_FORMAT and len(saved["files"]) == len(files)
    reloaded = FileDigests(tmp_path / "index.json")
    reloaded.digest_all(files, threads=2)
    assert reloaded.hashed == 0  # unchanged files are not read again
    old = {str(path.resolve()): [path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino, "0" * 64]
           for path in files}
    (tmp_path / "old.json").write_text(json.dumps(old))  # the layout of format 1 (SHA-256 digests)
    from_old = FileDigests(tmp_path / "old.json")
    assert from_old.digest(files[0]) != "0" * 64 and from_old.hashed == 1


class JobSpy(Counting):
    """Counting, and remembering which mixtures came with known reference figures."""

    def __init__(self):
        super().__init__()
        self.with_reference: list[str] = []

    def __call__(self, jobs, options, workers):
        self.with_reference += [job.name for job in jobs if job.reference is not None]
        yield from super().__call__(jobs, options, workers)


def test_later_submissions_reuse_the_reference_figures_and_score_the_same(case, monkeypatch):
    """The mixture is read for the first submission only; every score equals that of a standalone `score` run."""
    ref, subs, out = case
    spy = JobSpy()
    monkeypatch.setattr(score_all_module, "iter_scores", spy)
    outcomes = {o.label: o for o in score_all(subs, ref, out, CONFIG)}
    scored_with_targets = {name for name, labels in MIXTURES.items() if labels}
    assert set(spy.with_reference) == scored_with_targets  # each mixture reused by a later submission
    for label in ("Alpha_Lab_task4_1", "Alpha_Lab_task4_2", "Beta_Uni_task4_1"):
        assert outcomes[label].status == "ok"
        alone = run_score(subs / label, ref, CONFIG)
        write_outputs(out / "alone" / label, alone.results, alone.records, alone.subsets)
        for name in ("per_mixture.csv", "per_source.csv"):
            assert (out / label / name).read_bytes() == (out / "alone" / label / name).read_bytes()
        assert json.loads((out / label / "results.json").read_text())["summary"] == alone.results["summary"]


def test_known_reference_figures_give_the_same_record_without_reading_the_mixture(case, tmp_path):
    from dataclasses import fields, replace

    from s5eval.scoring.config import ScoreOptions
    from s5eval.scoring.mixture import jobs_for
    from s5eval.scoring.run import prepare

    ref, subs, _ = case
    reference, submission = prepare(subs / "Alpha_Lab_task4_2", ref, CONFIG)
    for job in jobs_for(reference, submission):
        first = score_mixture(job, ScoreOptions(selection="paper"))
        assert first.reference is not None
        again = score_mixture(replace(job, mixture_path=str(tmp_path / "gone.wav"), reference=first.reference),
                              ScoreOptions(selection="paper"))
        for f in fields(first):
            if f.name != "reference":
                assert getattr(again, f.name) == getattr(first, f.name), (job.name, f.name)
        assert again.reference is None  # figures the job was handed are not sent back


def test_reference_figures_are_kept_for_later_runs(case, monkeypatch, tmp_path):
    """A submission added after a run reuses the reference figures stored by that run."""
    ref, subs, out = case
    later = tmp_path / "later"
    later.mkdir()
    for name in ("Alpha_Lab_task4_2", "Beta_Uni_task4_1", "Gamma_X_task4_1"):
        shutil.move(str(subs / name), str(later / name))
    score_all(subs, ref, out, CONFIG)  # Alpha_Lab_task4_1 alone: computes and stores the figures
    stored = list((out / ".s5eval-cache" / "references").rglob("*.json"))
    assert len(stored) == len(MIXTURES)
    shutil.move(str(later / "Beta_Uni_task4_1"), str(subs / "Beta_Uni_task4_1"))
    spy = JobSpy()
    monkeypatch.setattr(score_all_module, "iter_scores", spy)
    outcomes = {o.label: o for o in score_all(subs, ref, out, CONFIG)}
    assert outcomes["Beta_Uni_task4_1"].computed == spy.scored > 0
    assert len(spy.with_reference) == spy.scored  # every mixture scored came with stored figures
    alone = run_score(subs / "Beta_Uni_task4_1", ref, CONFIG)
    assert json.loads((out / "Beta_Uni_task4_1" / "results.json").read_text())["summary"] == alone.results["summary"]
    from s5eval.scoring.mixture import jobs_for
    from s5eval.scoring.run import prepare
    cache = RecordCache(out / ".s5eval-cache")
    job = jobs_for(*prepare(subs / "Beta_Uni_task4_1", ref, CONFIG))[0]
    key = reference_key(job, cache.digests)
    assert cache.get_reference(key, job).target_energies  # stored, and read back for this job
    cache._path(key, "references").write_text("{not json")  # a damaged entry is ignored (computed again)
    assert cache.get_reference(key, job) is None
