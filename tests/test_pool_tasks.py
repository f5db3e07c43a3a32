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
    import os
    import signal

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
