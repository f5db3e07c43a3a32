"""How the process pool splits a run's mixtures into tasks."""
from __future__ import annotations

import pytest

from s5eval.scoring.backends import MAX_CHUNK, MIN_CHUNK, chunk_bounds


@pytest.mark.parametrize("n_jobs", [0, 1, 3, 4, 5, 63, 300, 2567, 10_000])
@pytest.mark.parametrize("workers", [2, 3, 16])
def test_tasks_cover_every_job_once_in_order(n_jobs, workers):
    bounds = chunk_bounds(n_jobs, workers)
    assert [i for start, stop in bounds for i in range(start, stop)] == list(range(n_jobs))
    sizes = [stop - start for start, stop in bounds]
    assert all(1 <= size <= MAX_CHUNK for size in sizes)
    assert all(size >= MIN_CHUNK for size in sizes[:-1])  # only the last may be short
    assert sizes == sorted(sizes, reverse=True)  # large first, small at the end


def test_few_tasks_at_the_evaluation_sets_size():
    """2,567 mixtures on 2 workers: tens of tasks, not hundreds (each costs the parent a round trip),
    and the last ones small so that both workers finish together."""
    sizes = [stop - start for start, stop in chunk_bounds(2567, 2)]
    assert len(sizes) < 100
    assert sizes[0] == MAX_CHUNK and sizes[-2] == MIN_CHUNK


def _killed(job, options):
    import faulthandler
    import os
    import signal

    faulthandler.disable()
    os.kill(os.getpid(), signal.SIGKILL)  # as the system's out-of-memory killer would


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the workers inherit the patch by fork")
def test_a_killed_worker_is_a_finding_not_a_traceback(monkeypatch):
    import multiprocessing

    from s5eval.findings import S5InputError
    from s5eval.scoring import backends
    from s5eval.scoring.config import ScoreOptions
    from s5eval.scoring.mixture import MixtureJob

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the workers inherit the patch only when forked")
    monkeypatch.setattr(backends, "score_mixture", _killed)
    jobs = [MixtureJob(f"mix_{i}", "unused.wav", (), ()) for i in range(8)]
    scores = backends.PoolScores(jobs, ScoreOptions(), 2)
    with pytest.raises(S5InputError) as caught:
        list(scores)
    assert [f.code for f in caught.value.findings] == ["E_WORKER_LOST"]
    assert caught.value.exit_code == 1


def _collector_enabled(job, options):
    import gc

    return gc.isenabled()


def test_workers_run_with_the_cycle_collector_on(monkeypatch):
    """A run pauses the collector in the parent; forked workers must not inherit the pause for a whole run."""
    import gc

    from s5eval.scoring import backends
    from s5eval.scoring.config import ScoreOptions
    from s5eval.scoring.mixture import MixtureJob

    monkeypatch.setattr(backends, "score_mixture", _collector_enabled)
    jobs = [MixtureJob(f"mix_{i}", "unused.wav", (), ()) for i in range(4)]
    was = gc.isenabled()
    gc.disable()
    try:
        assert list(backends.PoolScores(jobs, ScoreOptions(), 2)) == [True] * 4
    finally:
        if was:
            gc.enable()


def _lost_while_mapping(job, options):
    """Ends the worker with SIGBUS, as a mapped file that shrinks does, but only while the worker maps files."""
    import faulthandler
    import os
    import signal

    from s5eval.io.audio import maps_files_here
    from s5eval.scoring.mixture import score_mixture

    if maps_files_here():
        faulthandler.disable()  # pytest's fault handler would print the expected crash
        os.kill(os.getpid(), signal.SIGBUS)
    return score_mixture(job, options)


def _counting_pools(monkeypatch) -> list[bool]:
    """Records whether each pool a PoolScores starts maps files."""
    from s5eval.scoring import backends

    started: list[bool] = []
    start = backends.PoolScores._start_pool

    def counted(self, map_files):
        started.append(map_files)
        return start(self, map_files)

    monkeypatch.setattr(backends.PoolScores, "_start_pool", counted)
    return started


def _forked_workers() -> bool:
    import multiprocessing
    import os

    return hasattr(os, "fork") and multiprocessing.get_start_method() == "fork"


@pytest.mark.skipif(not _forked_workers(), reason="the workers inherit the patch only when forked")
def test_a_worker_lost_while_mapping_files_is_scored_again_by_reading(monkeypatch, tmp_path):
    """The first pool maps files; its loss (SIGBUS) makes a fresh pool score the tasks not done, reading the
    files: every record comes back, in job order, with the same figures as scoring in this process."""
    from s5eval.scoring import backends
    from s5eval.scoring.config import ScoreOptions
    from s5eval.scoring.config import ScoreConfig
    from s5eval.scoring.mixture import jobs_for, score_mixture
    from s5eval.scoring.run import prepare
    from s5fixtures import make_case

    ref, sub = make_case(tmp_path, {f"mix_{i}": ["Speech", "Dishes"][: 1 + i % 2] for i in range(9)})
    reference, submission = prepare(sub, ref, ScoreConfig())
    jobs = jobs_for(reference, submission)
    monkeypatch.setattr(backends, "score_mixture", _lost_while_mapping)
    pools = _counting_pools(monkeypatch)
    records = list(backends.PoolScores(jobs, ScoreOptions(), 2))
    assert pools == [True, False]
    assert records == [score_mixture(job, ScoreOptions()) for job in jobs]


def _shrinks_under_the_mapping(job, options):
    """Maps the mixture's first estimate, cuts the file short and reads the mapping: a real SIGBUS."""
    import faulthandler
    import os

    from s5eval.io.audio import maps_files_here, read_audio
    from s5eval.scoring.mixture import score_mixture

    if maps_files_here() and job.name == "mix_3":
        samples, _ = read_audio(job.estimates[0].path, pcm16_as_int16=True)
        os.truncate(job.estimates[0].path, 100)
        faulthandler.disable()  # pytest's fault handler would print the expected crash
        int(samples.astype("int64").sum())  # touches the pages that are gone
    return score_mixture(job, options)


@pytest.mark.skipif(not _forked_workers(), reason="the workers inherit the patch only when forked")
def test_a_file_cut_short_while_mapped_becomes_a_finding(monkeypatch, tmp_path):
    from s5eval.scoring import backends
    from s5eval.scoring.config import ScoreConfig, ScoreOptions
    from s5eval.scoring.mixture import jobs_for
    from s5eval.scoring.run import prepare
    from s5fixtures import make_case

    ref, sub = make_case(tmp_path, {f"mix_{i}": ["Speech"] for i in range(6)})
    reference, submission = prepare(sub, ref, ScoreConfig())
    jobs = jobs_for(reference, submission)
    monkeypatch.setattr(backends, "score_mixture", _shrinks_under_the_mapping)
    pools = _counting_pools(monkeypatch)
    records = list(backends.PoolScores(jobs, ScoreOptions(), 2))
    assert pools == [True, False]  # the mapping pool was lost, a reading one took over
    assert [r.soundscape for r in records] == [job.name for job in jobs]
    by_name = {r.soundscape: r for r in records}
    assert [f.code for f in by_name["mix_3"].findings] == ["E_TRUNCATED"] and not by_name["mix_3"].scored
    assert all(by_name[name].scored for name in by_name if name != "mix_3")
