"""Where mixtures are scored: inline, in a local process pool, or on a Dask cluster.

A backend (:data:`Scorer`) takes the jobs, the options and a worker count and
yields one :class:`~s5eval.results.record.MixtureRecord` per job, in job order.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Generator, Iterator, Protocol, Sequence

from ..findings import S5InputError, error
from ..results.record import MixtureRecord
from .config import ScoreOptions
from .mixture import MixtureJob, score_mixture

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor


class Records(Protocol):
    """What a backend returns: the records in job order, and ``close()`` that drops the work not yet started."""

    def __iter__(self) -> Iterator[MixtureRecord]: ...

    def __next__(self) -> MixtureRecord: ...

    def close(self) -> None: ...


def iter_scores(jobs: Sequence[MixtureJob], options: ScoreOptions, workers: int) -> Records:
    """Score jobs in order, inline for one worker, else in a process pool that starts work at once.

    The result has ``close()``: call it when stopping early, so that work not
    yet started is dropped rather than finished.
    """
    if workers <= 1 or len(jobs) < 2:
        return (score_mixture(job, options) for job in jobs)
    return PoolScores(jobs, options, workers)


MIN_CHUNK = 4    # mixtures per task at the end of a run: no worker idles long while another finishes
MAX_CHUNK = 64   # mixtures per task at the start: few tasks, so little work for the parent process
_SHARE = 4       # a task takes 1/(_SHARE × workers) of the mixtures not yet handed out


def chunk_bounds(n_jobs: int, workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the tasks for ``n_jobs`` jobs: large first, shrinking towards the end (guided scheduling).

    Each task takes a share of what is left, between :data:`MIN_CHUNK` and
    :data:`MAX_CHUNK` mixtures. Every task costs the parent process a round
    trip (about 0.3 ms with its threads), which at thousands of tasks takes a
    noticeable share of a core; small tasks at the end keep the workers
    finishing together.
    """
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < n_jobs:
        size = max(MIN_CHUNK, min(MAX_CHUNK, (n_jobs - start) // (_SHARE * workers)))
        bounds.append((start, min(n_jobs, start + size)))
        start += size
    return bounds


def score_chunk(jobs: Sequence[MixtureJob], options: ScoreOptions) -> list[MixtureRecord]:
    """Score a task's jobs in order (what a pool worker runs)."""
    return [score_mixture(job, options) for job in jobs]


def _start_worker(map_files: bool = True) -> None:
    """A forked worker inherits the parent's paused cycle collector (see :mod:`.run`) and its objects: the
    inherited objects are set aside for good (never scanned, so their pages are never copied) and the collector
    runs again for the worker's own. ``map_files``: the worker maps the WAV files it reads rather than copying
    them (:func:`s5eval.io.audio.map_files_here`); the pool recovers from its loss."""
    import gc

    from ..io.audio import map_files_here

    gc.freeze()
    gc.enable()
    map_files_here(map_files)


def _worker_lost() -> S5InputError:
    return S5InputError([error("E_WORKER_LOST", "", "a scoring process ended without reporting back (killed "
                               "by the system, e.g. out of memory, or by a signal); no results were "
                               "written. Run again, with fewer --workers if memory is short")])


class PoolScores:
    """Records of jobs scored by a process pool, in job order; the pool starts working when this is created.

    The workers map the files they read (a copy of every byte saved). A worker that ends without reporting
    back, as one does when a mapped file shrinks under it (SIGBUS), breaks the pool: the tasks not done yet
    are then scored again by a fresh pool that reads the files, so that such a file becomes a finding. A
    second loss ends the run with ``E_WORKER_LOST``.
    """

    def __init__(self, jobs: Sequence[MixtureJob], options: ScoreOptions, workers: int) -> None:
        self._jobs, self._options, self._workers = jobs, options, workers
        self._bounds = chunk_bounds(len(jobs), workers)
        self._pool = self._start_pool(map_files=True)
        self._records = self._in_order(self._submit(self._bounds))

    def _start_pool(self, map_files: bool) -> ProcessPoolExecutor:
        from concurrent.futures import ProcessPoolExecutor  # with workers > 1 only

        return ProcessPoolExecutor(max_workers=self._workers, initializer=_start_worker, initargs=(map_files,))

    def _submit(self, bounds: Sequence[tuple[int, int]]) -> list[Future[list[MixtureRecord]]]:
        return [self._pool.submit(score_chunk, self._jobs[start:stop], self._options) for start, stop in bounds]

    def _in_order(self, tasks: Sequence[Future[list[MixtureRecord]]]) -> Iterator[MixtureRecord]:
        from concurrent.futures.process import BrokenProcessPool

        n_done = 0
        try:
            for task in tasks:
                records = task.result()
                n_done += 1
                yield from records
            return
        except BrokenProcessPool:
            pass
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._start_pool(map_files=False)
        try:
            for task in self._submit(self._bounds[n_done:]):
                yield from task.result()
        except BrokenProcessPool:
            raise _worker_lost() from None

    def __iter__(self) -> "PoolScores":
        return self

    def __next__(self) -> MixtureRecord:
        try:
            return next(self._records)
        except BaseException:  # the end, a failed job or an interrupt: the pool is done either way
            self.close()
            raise

    def close(self) -> None:
        """Drop the queued work and stop the workers; the jobs are let go (the records generator refers back to
        this object, a cycle that the run's paused collector would never break)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._jobs = ()
        self._records = iter(())


DASK_CONNECT_TIMEOUT = "20s"


Scorer = Callable[[Sequence[MixtureJob], ScoreOptions, int], Records]


def dask_scorer(address: str) -> tuple[Scorer, Callable[[], None]]:
    """A scorer that sends each mixture to the Dask scheduler at ``address``; returns (scorer, close)."""
    try:
        from distributed import Client
    except ImportError:
        raise S5InputError([error("E_DASK_MISSING", "", "--scheduler needs the 'distributed' package: "
                                  "pip install 's5eval[dask]'")], exit_code=2) from None
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise S5InputError([error("E_DASK_CONNECT", address, f"cannot reach the Dask scheduler: {exc}")],
                           exit_code=2) from None

    def score(jobs: Sequence[MixtureJob], options: ScoreOptions,
              workers: int) -> Generator[MixtureRecord, None, None]:
        futures = client.map(score_mixture, list(jobs), options=options, pure=False)
        for future in futures:
            yield future.result()
            future.release()

    return score, client.close
