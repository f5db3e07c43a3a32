"""What a scoring run keeps in memory per mixture: jobs let go of, records sharing strings, compact entries.

The figures are checked elsewhere (the conformance test, the output files); here: that the memory-saving
forms hold the same content as before and that nothing is held past its use.
"""
from __future__ import annotations

import gc
import json

import pytest

from s5eval.results.record import MixtureRecord, SourceRow, pairing_text
from s5eval.scoring.backends import PoolScores
from s5eval.scoring.cache import record_from_dict, record_to_dict
from s5eval.scoring.config import ScoreConfig, ScoreOptions
from s5eval.scoring.mixture import MixtureJob, SourceJob, jobs_for, score_mixture, share_job_strings
from s5eval.scoring.run import prepare, run_score
from s5fixtures import make_case

MIXTURES = {"mix_00": ["Speech", "Dishes"], "mix_01": ["Speech", "Speech"], "mix_02": [], "mix_03": ["Blender"]}
ESTIMATED = {"mix_00": ["Speech", "Cough"], "mix_01": ["Speech"], "mix_03": ["Blender"]}
OPTIONS = ScoreOptions("official", -5.0, -3.0)


@pytest.fixture
def case(tmp_path):
    return make_case(tmp_path / "case", MIXTURES, seed=11, est_labels=ESTIMATED)


def _jobs(case) -> list[MixtureJob]:
    ref, sub = case
    reference, submission = prepare(sub, ref, ScoreConfig())
    return jobs_for(reference, submission)


def _alive_jobs() -> int:
    """Jobs that exist, reachable or not (without a collection: a reference cycle keeps its jobs)."""
    return sum(type(obj) is MixtureJob for obj in gc.get_objects())  # (isinstance would ask lazy modules)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_keeps_no_job_once_done(case, tmp_path, workers):
    """Also without the cycle collector, which a run pauses: nothing may hold the jobs in a cycle."""
    ref, sub = case
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = _alive_jobs()
        run = run_score(sub, ref, ScoreConfig(workers=workers, n_resamples=20), reference_cache=tmp_path / "cache")
        after = _alive_jobs()
    finally:
        if was_enabled:
            gc.enable()
    assert len(run.records) == len(MIXTURES)
    assert after == before
    assert all(r.reference is None for r in run.records), "the reference cache holds the figures, not the records"
    assert run.reference_cache is not None and run.reference_cache["stored"] == len(MIXTURES)


def test_each_job_is_let_go_of_once_its_record_is_taken(case):
    """The run drops a job from the list it gave the backend once the job's record came back."""
    ref, sub = case
    seen: list[list[bool]] = []

    def scorer(jobs, options, workers):
        for index in range(len(jobs)):
            seen.append([job is None for job in jobs])
            yield score_mixture(jobs[index], options)

    run = run_score(sub, ref, ScoreConfig(workers=1, n_resamples=20), scorer=scorer)
    assert len(run.records) == len(MIXTURES)
    n = len(MIXTURES)
    assert seen == [[k < index for k in range(n)] for index in range(n)]


def test_the_pool_lets_go_of_its_jobs_when_closed(case):
    jobs = _jobs(case)
    scores = PoolScores(jobs, OPTIONS, 2)
    records = list(scores)
    scores.close()
    assert [r.soundscape for r in records] == [job.name for job in jobs]
    assert not scores._jobs


def test_records_share_the_strings_of_their_job(case):
    jobs = _jobs(case)
    for job in jobs:
        fresh = score_mixture(job, OPTIONS)
        copied = score_mixture(job, OPTIONS)  # equal content, its own strings (as a worker's record is)
        copied.soundscape = "".join(job.name)
        shared = share_job_strings(copied, job)
        assert shared == fresh and shared.pairing == fresh.pairing
        assert shared.soundscape is job.name
        names = {id(source.filename) for source in (*job.targets, *job.estimates)}
        labels = {id(source.label) for source in (*job.targets, *job.estimates)}
        for row in shared.sources:
            assert row.soundscape is job.name and id(row.label) in labels
            assert row.estimate == "" or id(row.estimate) in names
            assert row.reference == "" or id(row.reference) in names


def test_pairing_text_lists_pairs_then_misses_then_false_estimates():
    rows = (SourceRow("m", "Speech", "tp", "m_0_Speech.wav", "m_1_Speech.wav", 3.0, 1.0, 2.0, 2.0),
            SourceRow("m", "Dishes", "fn", "", "m_0_Dishes.wav", None, None, None, -5.0),
            SourceRow("m", "Cough", "fp", "m_1_Cough.wav", "", None, None, None, -3.0))
    assert pairing_text(rows) == "m_0_Speech.wav->m_1_Speech.wav;FN:m_0_Dishes.wav;FP:m_1_Cough.wav"
    record = MixtureRecord("m", ["Speech", "Dishes"], ["Speech", "Cough"], sources=rows)
    assert record.pairing == pairing_text(rows)
    assert MixtureRecord("m", [], []).pairing == ""


def test_a_stored_record_keeps_the_earlier_layout_and_comes_back_equal(case):
    for job in _jobs(case):
        record = score_mixture(job, OPTIONS)
        record.reference = None
        data = record_to_dict(record)
        # as earlier versions stored it: the pairing text, and each entry a dict in the per_source.csv order
        assert list(data)[list(data).index("pairing") + 1] == "sources"
        assert data["pairing"] == record.pairing
        assert all(list(row) == list(SourceRow._fields) for row in data["sources"])
        back = record_from_dict(json.loads(json.dumps(data)), job)
        assert back == record and all(isinstance(row, SourceRow) for row in back.sources)


def test_a_stored_record_with_another_pairing_or_odd_entries_is_refused(case):
    job = next(j for j in _jobs(case) if j.name == "mix_00")
    data = json.loads(json.dumps(record_to_dict(score_mixture(job, OPTIONS))))
    assert data["sources"], "the case needs entries"
    with pytest.raises(ValueError):
        record_from_dict({**data, "pairing": data["pairing"] + ";FP:x.wav"}, job)
    extra = [dict(row, note="x") for row in data["sources"]]
    with pytest.raises(ValueError):
        record_from_dict({**data, "sources": extra}, job)
    missing = [{k: v for k, v in row.items() if k != "value"} for row in data["sources"]]
    with pytest.raises(ValueError):
        record_from_dict({**data, "sources": missing}, job)


def test_a_job_made_by_hand_still_scores():
    """SourceJob paths are plain text: a job needs no file model behind it (as score-all's cache makes them)."""
    job = MixtureJob("none", "/nonexistent/none.wav", (SourceJob("Speech", "/nonexistent/a.wav", "a.wav"),), ())
    record = score_mixture(job, OPTIONS)
    assert not record.scored and record.findings[0].code == "E_REF_UNREADABLE"


@pytest.mark.parametrize("shown_root", ["given/sub", "given/sub/", "sub.zip"])
@pytest.mark.parametrize("as_package", [False, True])
def test_estimates_show_as_the_submission_names_them(case, tmp_path, shown_root, as_package):
    """An estimate shares its folder's shown prefix; what it shows is what the context shows for its path."""
    import shutil

    from s5eval.io.submission import EstimateFile
    from s5eval.scoring.run import discover_submission

    ref, sub = case
    if as_package:
        package = tmp_path / "Team_Lab_task4_1_out"
        shutil.copytree(sub, package / "eval_out")
        sub = package
    prepared = discover_submission(sub, ref, ScoreConfig(), shown_root=shown_root)
    estimates = prepared.ctx.estimates
    assert estimates and len({id(e.shown_folder) for e in estimates}) == 1
    for estimate in estimates:
        assert estimate.shown == prepared.ctx.shown(estimate.path)
        again = EstimateFile.at(estimate.path, estimate.shown)
        assert (again.folder, again.filename, again.shown) == (estimate.folder, estimate.filename, estimate.shown)
    with pytest.raises(ValueError):
        EstimateFile.at(estimates[0].path, "elsewhere/other.wav")
