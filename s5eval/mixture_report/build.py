"""Writing a report: explain each chosen mixture once, encode its audio, draw its spectrograms, write the pages.

The reference set and the submission are discovered once (by the caller) and
every mixture is explained from them (:func:`s5eval.scoring.explain.explain_with_signals`),
so the audio is read once for the figures and reused for the players and pictures.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..findings import EXIT_USAGE, S5InputError, error
from ..scoring.explain import MixtureSignals, explain_with_signals, mixture_jobs
from .audio import AUDIO_SUFFIX, encode_ogg
from .folder import staged_report_dir
from .gather import (MixtureFigures, Probability, class_figures, figures_from_explanation, mixtures_of_class,
                     probabilities_by_file, ranked, worst_and_best)
from .pages import Links, MixturePage, Signal, class_page, esc, index_page, mixture_page
from .spectrograms import colour_bar_png, palette, png_bytes, shared_scale, spectrogram_db

MAX_REPORT = 100  # `--report N`: at most this many worst (and as many best) mixtures
REPORT_EXTRA = "report"  # the optional extra that holds matplotlib


def require_report_dependencies() -> None:
    """Refuse (exit 2, ``E_REPORT_DEPENDENCY``) when matplotlib (with its Pillow) is not installed."""
    try:
        import matplotlib  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as exc:
        raise S5InputError([error("E_REPORT_DEPENDENCY", "", f"the report needs matplotlib ({exc.name} is not "
                                  f"installed): pip install \"s5eval[{REPORT_EXTRA}]\"")], exit_code=EXIT_USAGE) from None


def check_report_count(n: int) -> None:
    """Refuse (exit 2, ``E_REPORT_LIMIT``) a ``--report N`` outside 1 … :data:`MAX_REPORT`."""
    if not 1 <= n <= MAX_REPORT:
        raise S5InputError([error("E_REPORT_LIMIT", "", f"--report {n}: give 1 to {MAX_REPORT} mixtures (the "
                                  f"report holds the N worst and the N best, about 0.5 MB each)")], exit_code=EXIT_USAGE)


@dataclass(frozen=True)
class ReportWritten:
    """What was written: the folder, its ``index.html``, the mixture pages, bytes in all and seconds taken."""

    folder: Path
    index: Path
    n_mixtures: int
    n_bytes: int
    seconds: float


def _signal_files(folder: Path, prefix: str, key: str, samples, rate: int, scale, colours, db_image,
                  role: str, file: str, label: str, probability: Probability | None = None) -> Signal:
    encoded = encode_ogg(samples, rate)
    (folder / f"{key}{AUDIO_SUFFIX}").write_bytes(encoded.data)
    (folder / f"{key}.png").write_bytes(png_bytes(db_image, scale, colours))
    return Signal(role, file, label, f"{prefix}/{key}{AUDIO_SUFFIX}", f"{prefix}/{key}.png",
                  (db_image.shape[1], db_image.shape[0]), encoded.gain, probability)


def write_mixture_assets(folder: Path, prefix: str, data: dict, signals: MixtureSignals, colours: list[int],
                         probabilities: dict[tuple[str, str], Probability], href: str) -> MixturePage:
    """Encode the audio and draw the spectrograms of one explained mixture into ``folder``; its page's data."""
    folder.mkdir(parents=True, exist_ok=True)
    rate = signals.samplerate
    images = [spectrogram_db(x, rate) for x in (signals.mixture, *signals.references, *signals.estimates)]
    scale = shared_scale(images)
    n_ref = len(signals.references)
    mixture = _signal_files(folder, prefix, "mix", signals.mixture, rate, scale, colours, images[0], "mixture",
                            f"{data['soundscape']}.wav", "")
    references = [_signal_files(folder, prefix, f"ref{j}", x, rate, scale, colours, images[1 + j], "reference",
                                r["file"], r["label"])
                  for j, (x, r) in enumerate(zip(signals.references, data["reference"]))]
    estimates = [_signal_files(folder, prefix, f"est{i}", x, rate, scale, colours, images[1 + n_ref + i], "estimate",
                               e["file"], e["label"], probabilities.get((data["soundscape"], e["file"])))
                 for i, (x, e) in enumerate(zip(signals.estimates, data["estimates"]))]
    return MixturePage(href, data, mixture, references, estimates, scale, signals.mixture.size / rate, rate)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@dataclass(frozen=True)
class _Task:
    name: str
    stage: Path
    href: str
    links: Links


class MixtureWriter:
    """Writes one mixture's folder and page (in a worker process or inline); holds what every mixture shares."""

    def __init__(self, reference: Any, submission: Any, config: Any, shown: str,
                 early: dict[str, tuple[dict, MixtureSignals]] | None = None) -> None:
        self.reference, self.submission, self.config, self.shown = reference, submission, config, shown
        self.jobs = mixture_jobs(reference, submission)
        self.probabilities, _ = probabilities_by_file(submission.eval_results)
        self.colours = palette()
        self.early = dict(early or {})

    def __call__(self, task: _Task) -> dict:
        """Explain the mixture, write its audio, spectrograms and page; return its explanation."""
        found = self.early.pop(task.name, None)
        data, signals = found or explain_with_signals(self.reference, self.submission, task.name, self.config, self.jobs)
        prefix = task.href.removesuffix(".html")
        page_ = write_mixture_assets(task.stage / prefix, prefix, data, signals, self.colours, self.probabilities,
                                     task.href)
        (task.stage / task.href).write_text(mixture_page(page_, task.links, self.shown), encoding="utf-8")
        return data


_WORKER: MixtureWriter | None = None


def _start_worker(*args: Any) -> None:
    global _WORKER
    _WORKER = MixtureWriter(*args)


def _worker_task(task: _Task) -> dict:
    assert _WORKER is not None  # set by _start_worker, the pool's initializer
    return _WORKER(task)


def _write_mixtures(tasks: list[_Task], writer_args: tuple[Any, Any, Any, str], workers: int,
                    early: dict[str, tuple[dict, MixtureSignals]] | None) -> list[dict]:
    """The mixture folders and pages, inline or (several mixtures, several workers) in a process pool."""
    if workers <= 1 or len(tasks) < 2 or early:
        writer = MixtureWriter(*writer_args, early=early)
        return [writer(task) for task in tasks]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_start_worker,
                             initargs=writer_args) as pool:
        return list(pool.map(_worker_task, tasks))


def write_report(out: str | Path, reference: Any, submission: Any, config: Any, mixtures: Sequence[str],
                 lists: Sequence[tuple[str, Sequence[MixtureFigures]]] | None,
                 figures: Sequence[MixtureFigures] | None, title: str, intro: str) -> tuple[ReportWritten, list[dict]]:
    """Write the report folder ``out``: a page for each of ``mixtures`` (in that order), the overview, the classes.

    ``reference``/``submission``: prepared (``scoring.run.prepare``); ``config``: the ``ScoreConfig``
    (``workers``: processes writing mixtures, default all cores); ``lists``: the overview's ranked lists,
    (heading, mixtures); ``figures``: every scored mixture, for the class pages. With None for both, the
    report's own mixtures make one list and the class pages. ``intro``: HTML of the overview's first
    paragraph (escaped by the caller). Returns what was written and the explanation of each mixture.
    """
    from ..io.buffers import default_workers

    require_report_dependencies()
    started = time.perf_counter()
    early = {}  # without figures, the mixtures are explained first: their classes make the class pages
    if figures is None:
        jobs = mixture_jobs(reference, submission)
        early = {name: explain_with_signals(reference, submission, name, config, jobs) for name in mixtures}
        figures = [figures_from_explanation(data) for data, _ in early.values()]
        lists = [("The mixtures of this report", figures)]
    classes = class_figures(figures)
    class_pages = {label: f"c{k:02d}.html" for k, label in enumerate(classes, start=1)}
    mixture_pages = {name: f"m{k:03d}.html" for k, name in enumerate(mixtures, start=1)}
    shown = submission.source or submission.label or str(submission.root)
    with staged_report_dir(out) as stage:
        (stage / "colourbar.png").write_bytes(colour_bar_png(palette()))
        tasks = [_Task(name, stage, mixture_pages[name],
                       Links(previous=mixture_pages[mixtures[k - 1]] if k > 0 else None,
                             next=mixture_pages[mixtures[k + 1]] if k + 1 < len(mixtures) else None,
                             classes=class_pages, mixtures=mixture_pages))
                 for k, name in enumerate(mixtures)]
        explained = _write_mixtures(tasks, (reference, submission, config, shown), config.workers or default_workers(),
                                    early)
        links = Links(classes=class_pages, mixtures=mixture_pages)
        assert lists is not None  # given with the figures, or made above
        (stage / "index.html").write_text(index_page(title, intro, lists, classes, links), encoding="utf-8")
        for label, href in class_pages.items():
            (stage / href).write_text(class_page(label, classes[label], mixtures_of_class(figures, label), links,
                                                 shown), encoding="utf-8")
        n_bytes = _folder_bytes(stage)
    folder = Path(out)
    return ReportWritten(folder, folder / "index.html", len(mixtures), n_bytes, time.perf_counter() - started), \
        explained


def write_score_report(out: str | Path, run: Any, n: int, best: bool = True) -> ReportWritten:
    """The report of a scoring run (``scoring.run.ScoreRun``): the ``n`` worst and (``best``) ``n`` best mixtures.

    The submission's files must still exist (for a ``.zip``: call inside ``submission_folder``).
    """
    from .gather import figures_from_records

    check_report_count(n)
    figures = figures_from_records(run.records)
    worst_list, best_list = worst_and_best(figures, n, best)
    chosen = {f.soundscape for f in (*worst_list, *best_list)}
    order = [f.soundscape for f in ranked(figures) if f.soundscape in chosen]  # worst first: previous/next
    summary = run.results.get("summary", {})
    value = summary.get("capi_sdri")
    config = run.config
    headline = f"{value:.2f} dB" if isinstance(value, (int, float)) else "—"
    shown = run.submission.source or run.submission.label
    intro = (f"<p>Submission <b>{esc(shown)}</b> against <span class=muted>{esc(run.reference.root)}</span>: "
             f"CAPI-SDRi <b>{esc(headline)}</b> over {len(ranked(figures))} mixtures with a value "
             f"({esc(config.selection)} selection; penalties FN {config.penalty_fn:g} dB, FP {config.penalty_fp:g} dB). "
             "Each listed mixture has a page: its audio, spectrograms and pairing. Each class has a page.</p>")
    lists = [(f"The {len(worst_list)} worst mixtures", worst_list)]
    if best_list:
        lists.append((f"The {len(best_list)} best mixtures", best_list))
    written, _ = write_report(out, run.reference, run.submission, config, order, lists, figures,
                              f"Mixture report — {shown}", intro)
    return written


def write_explain_report(out: str | Path, sub_path: str | Path, ref_path: str | Path, mixture: str, config: Any,
                         source: str | None = None) -> tuple[ReportWritten, dict]:
    """The report of one mixture (``explain --html``); returns it with the mixture's explanation.

    ``sub_path``: a submission folder (a ``.zip`` extracted by the caller, named by ``source``).
    """
    from ..scoring.run import prepare

    require_report_dependencies()
    reference, submission = prepare(sub_path, ref_path, config)
    submission.source = source or submission.source
    shown = submission.source or submission.label
    intro = f"<p>One mixture of <b>{esc(shown)}</b> explained ({esc(config.selection)} selection).</p>"
    written, explanations = write_report(out, reference, submission, config, [mixture], None, None,
                                         f"{mixture} — {shown}", intro)
    return written, explanations[0]
