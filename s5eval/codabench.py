"""Codabench: the scoring program (``s5eval codabench INPUT OUTPUT``) and the competition bundle.

Scoring program. Codabench mounts the reference data at ``INPUT/ref`` and the
participant's upload at ``INPUT/res`` (a package folder, a bare folder of WAVs,
a folder holding one of those, or a single ``.zip``). The program writes
``OUTPUT/detailed_results.html`` (results per subset and per class, a legend
and the provenance, or the findings) and, only when scoring succeeded,
``OUTPUT/scores.json`` (:func:`s5eval.outputs.flat_scores`: a fixed key set),
atomically and last: a failure never leaves a partial or stale ``scores.json``.

Bundle (``s5eval codabench bundle --ref REF --out DIR``, :func:`write_bundle`):
a Codabench competition bundle (``competition.yaml`` version 2) whose
leaderboard columns are exactly the keys of ``scores.json`` for the chosen
options and whose scoring program runs the command above. See docs/codabench.md.
"""
from __future__ import annotations

import datetime as _dt
import html
import os
import shlex
import shutil
import struct
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence, TextIO

import numpy as np

from . import __version__
from .atomic import atomic_batch, write_atomic, write_error, write_json_atomic, write_text_atomic, writing_outputs
from .engine import MixtureRecord
from .findings import EXIT_INVALID, EXIT_REFERENCE, EXIT_USAGE, Finding, S5InputError, error
from .io.package import ESTIMATE_DIR
from .outputs import UNDEFINED_SCORE, check_out_dir, flat_scores, scores_key_layout
from .report import print_package_findings
from .score import METRIC_KEYS, ScoreConfig, run_score
from .stats import bootstrap_ratios

SCORES = "scores.json"
DETAILS = "detailed_results.html"
# (key, column title, decimals) of the subset table; every key with ``<key>_ci_low``/``_ci_high`` shows them
_ROW_KEYS = (("capi_sdri", "CAPI-SDRi (dB)", 3), ("accuracy_mix", "Mixture acc. (%)", 2),
             ("accuracy_src", "Source acc. (%)", 2), ("tp_sdri", "TP-only SDRi (dB)", 3),
             ("ca_sdri_2025", "CA-SDRi 2025 (dB)", 3))
_CASA_KEYS = (("casa_sdr_sb", "CASA-SDR SB (dB)", 3), ("casa_sdr_eb", "CASA-SDR EB (dB)", 3))
_STYLE = ("body{font-family:system-ui,sans-serif;margin:20px;max-width:1400px}table{border-collapse:collapse}"
          "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}th{background:#f0f3f7}"
          "td.t,th.t{text-align:left}.e{color:#b00}.w{color:#a60}.ci{color:#555;font-size:85%}"
          ".cause{border:2px solid #b00;background:#fff3f3;padding:8px 12px;margin:12px 0}"
          "dl.legend dt{font-weight:bold;float:left;clear:left;width:9em}dl.legend dd{margin-left:10em}"
          "code{background:#f4f4f4;padding:0 3px}.wrap{overflow-x:auto}")
_PER_CODE = 20  # findings shown per code on a page; the rest are counted


def submission_in(res: Path) -> Path:
    """The submission inside ``INPUT/res``: a single zip, a single folder, or ``res`` itself."""
    if not res.is_dir():
        return res
    entries = [p for p in res.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
    wavs = [p for p in entries if p.suffix.lower() == ".wav"]
    if not wavs and len(entries) == 1 and (entries[0].is_dir() or entries[0].suffix.lower() == ".zip"):
        if entries[0].name != ESTIMATE_DIR:
            return entries[0]
    return res


# --- progress lines ------------------------------------------------------------------------------------


class ProgressLines:
    """A ``progress(done, total)`` callback printing ``scored 500/2567 mixtures (19 %, 42 s)`` lines.

    For logs that are not a terminal (Codabench, CI): a line at the start, then
    whenever ``every_s`` seconds have passed or another ``every_fraction`` of the
    mixtures is done, and at the end.
    """

    def __init__(self, stream: TextIO | None = None, every_s: float = 10.0, every_fraction: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.every_s = every_s
        self.every_fraction = every_fraction
        self.clock = clock
        self.start = clock()
        self.last_time = self.start
        self.last_done = -1

    def _line(self, done: int, total: int) -> None:
        elapsed = self.clock() - self.start
        share = f"{100 * done // total} %, " if total else ""
        stream = self.stream or sys.stderr
        stream.write(f"scored {done}/{total} mixtures ({share}{elapsed:.0f} s)\n")
        stream.flush()
        self.last_time, self.last_done = self.clock(), done

    def __call__(self, done: int, total: int) -> None:
        if self.last_done < 0:
            (self.stream or sys.stderr).write(f"scoring {total} mixtures\n")
        step = max(1, int(total * self.every_fraction))
        if (done == total or self.last_done < 0 or done - self.last_done >= step
                or self.clock() - self.last_time >= self.every_s):
            self._line(done, total)


# --- detailed_results.html -----------------------------------------------------------------------------


def _fmt(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>")


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Errors before warnings, each in the order found (the first error is what stopped the run)."""
    findings = list(findings)
    return [f for f in findings if f.is_error] + [f for f in findings if not f.is_error]


def _findings_list(findings: Iterable[Finding], per_code: int = _PER_CODE) -> str:
    """Errors first, then warnings; at most ``per_code`` items per code, then a count."""
    shown: dict[str, int] = {}
    items = []
    for f in _ordered(findings):
        shown[f.code] = shown.get(f.code, 0) + 1
        if shown[f.code] <= per_code:
            items.append(f"<li class={'e' if f.is_error else 'w'}><b>{html.escape(f.code)}</b> "
                         f"({f.severity}) {html.escape(f.file)}{': ' if f.file else ''}{html.escape(f.message)}</li>")
    for code, count in shown.items():
        if count > per_code:
            items.append(f"<li>… and {count - per_code} more <b>{html.escape(code)}</b></li>")
    return f"<ul>{''.join(items)}</ul>"


def _row_keys(results: dict) -> tuple[tuple[str, str, int], ...]:
    casa = any(fig.get(key) is not None for fig in results["subsets"].values() for key, _, _ in _CASA_KEYS)
    return _ROW_KEYS + (_CASA_KEYS if casa or results.get("provenance", {}).get("metric") == "casa-sdr" else ())


def _cell(fig: dict, key: str, digits: int) -> str:
    text = html.escape(_fmt(fig.get(key), digits))
    low, high = fig.get(f"{key}_ci_low"), fig.get(f"{key}_ci_high")
    if low is not None and high is not None:
        text += f"<br><span class=ci>[{low:.{digits}f}, {high:.{digits}f}]</span>"
    return f"<td>{text}</td>"


def _legend(results: dict) -> str:
    provenance = results.get("provenance", {})
    n = provenance.get("bootstrap_resamples")
    with_ci = [title for key, title, _ in _row_keys(results)
               if any(f"{key}_ci_low" in fig for fig in results["subsets"].values())]
    without = [title for key, title, _ in _row_keys(results) if title not in with_ci]
    interval = (f"95 % percentile bootstrap interval over the mixtures of the subset ({n} resamples, seed "
                f"{provenance.get('bootstrap_seed')}); given for {', '.join(with_ci)}"
                + (f"; {', '.join(without)} are not bootstrapped" if without else "") + "."
                if n else "no intervals: the run used --bootstrap 0.")
    return ("<h2>Legend</h2><dl class=legend>"
            "<dt>22/24</dt><dd>in the <i>mixtures</i> column: 22 of the subset's 24 mixtures enter the CAPI-SDRi "
            "mean; the others are excluded because no class is present in their references or their estimates "
            "(a zero-target mixture correctly left empty), where CAPI-SDRi is undefined.</dd>"
            "<dt>—</dt><dd>undefined: the subset has no mixture, every mixture of it is excluded, or a ratio has "
            "nothing to count (e.g. source accuracy when no source was expected nor estimated). In "
            f"<code>scores.json</code> an undefined figure is <code>{UNDEFINED_SCORE:g}</code> (Codabench needs a "
            "number) and <code>n_undefined</code> counts them.</dd>"
            f"<dt>[a, b]</dt><dd>{html.escape(interval)}</dd>"
            "<dt>TP/FP/FN</dt><dd>sources estimated with a correct class (true positives), estimated but not "
            "present (false positives), present but not estimated (false negatives), summed over the subset.</dd>"
            "<dt>subsets</dt><dd><code>all</code>; <code>zero_target</code>, <code>single</code>, "
            "<code>distinct</code>, <code>duplicate</code> (two or more targets, a class repeated), "
            "<code>nodup</code> (single ∪ distinct) and <code>n_ref=K</code> from the reference labels; others "
            "from the reference set's subsets.csv or <code>--subsets</code>.</dd>"
            "<dt>units</dt><dd>dB for SDR figures, percent for accuracies; definitions in s5eval's "
            "docs/metrics.md.</dd></dl>")


_PROVENANCE = (("version", "s5eval version"), ("metric", "metric (--metric)"), ("selection", "pairing (--selection)"),
               ("penalty_fn", "penalty per missed source, dB (--penalty-fn)"),
               ("penalty_fp", "penalty per false source, dB (--penalty-fp)"),
               ("bootstrap_resamples", "bootstrap resamples (--bootstrap)"),
               ("bootstrap_seed", "bootstrap seed (--seed)"),
               ("subsets_source", "extra subsets (--subsets)"), ("label_set", "label set"),
               ("submission", "submission"), ("submission_digest", "submission digest (sha256 of names and sizes)"),
               ("reference_digest", "reference set digest (sha256 of names and sizes)"), ("forced", "--force"))


def _provenance(results: dict) -> str:
    provenance = results.get("provenance", {})
    rows = "".join(f"<tr><th class=t>{html.escape(title)}</th><td class=t><code>"
                   f"{html.escape('—' if provenance.get(key) is None else str(provenance.get(key)))}</code></td></tr>"
                   for key, title in _PROVENANCE if key in provenance)
    return f"<h2>Provenance</h2><table>{rows}</table>"


def page_intervals(results: dict, records: Sequence[MixtureRecord], subsets: dict[str, list[str]]) -> dict:
    """``results`` with 95 % intervals also for the figures results.json does not bootstrap.

    TP-only SDRi (Σ TP SDRi / Σ TP pairs over the scored mixtures), CA-SDRi 2025
    and the CASA-SDR figures (means over the mixtures where they are defined), with
    the run's resamples and seed (the same resamples as the other intervals).
    A copy: results.json is not changed.
    """
    provenance = results.get("provenance", {})
    n_resamples, seed = int(provenance.get("bootstrap_resamples") or 0), int(provenance.get("bootstrap_seed") or 0)
    out = dict(results, subsets={name: dict(fig) for name, fig in results["subsets"].items()})
    if n_resamples <= 0:
        return out
    by_name = {r.soundscape: r for r in records if r.scored}
    for name, fig in out["subsets"].items():
        chosen = [by_name[m] for m in subsets.get(name, []) if m in by_name]
        if not chosen:
            continue
        scored = np.array([r.capi_sdri is not None for r in chosen], dtype=np.float64)
        ratios = {"tp_sdri": (np.array([r.tp_sdri_sum for r in chosen]) * scored,
                              np.array([r.n_pairs for r in chosen], dtype=np.float64) * scored)}
        values = {"ca_sdri_2025": [r.ca_sdri_2025 for r in chosen]}
        for key, _, _ in _CASA_KEYS:
            values[key] = [(r.casa_sdr or {}).get(key) for r in chosen]
        for key, column in values.items():
            valid = np.array([v is not None for v in column], dtype=np.float64)
            if valid.any():
                ratios[key] = (np.array([0.0 if v is None else v for v in column]) * valid, valid)
        for key, interval in bootstrap_ratios(ratios, n_resamples, seed).items():
            if fig.get(key) is not None and f"{key}_ci_low" not in fig:
                fig[f"{key}_ci_low"], fig[f"{key}_ci_high"] = interval.low, interval.high
    return out


def results_html(results: dict, package_findings: list[Finding] | None = None,
                 records: Sequence[MixtureRecord] | None = None, subsets: dict[str, list[str]] | None = None) -> str:
    """A page with the figures of every subset (with 95 % intervals), per class, a legend and the provenance.

    ``package_findings``: what ``validate`` says about the package around the
    estimates; listed, since they did not stop the scoring. ``records`` and
    ``subsets`` (of the run): intervals for every figure (:func:`page_intervals`).
    """
    if records is not None and subsets is not None:
        results = page_intervals(results, records, subsets)
    keys = _row_keys(results)
    head = "".join(f"<th>{html.escape(name)}</th>" for _, name, _ in keys)
    rows = []
    for subset, fig in results["subsets"].items():
        cells = "".join(_cell(fig, key, digits) for key, _, digits in keys)
        rows.append(f"<tr><td class=t>{html.escape(subset)}</td><td>{fig['n_scored']}/{fig['n_mixtures']}</td>"
                    f"{cells}<td>{fig.get('tp', 0)}/{fig.get('fp', 0)}/{fig.get('fn', 0)}</td></tr>")
    classes = "".join(
        f"<tr><td class=t>{html.escape(label)}</td><td>{c['n_ref']}</td><td>{c['n_est']}</td><td>{c['tp']}</td>"
        f"<td>{c['fp']}</td><td>{c['fn']}</td><td>{_fmt(c.get('precision'), 1)}</td><td>{_fmt(c.get('recall'), 1)}</td>"
        f"<td>{_fmt(c.get('f1'), 1)}</td><td>{_fmt(c.get('tp_sdri'), 3)}</td></tr>"
        for label, c in results.get("per_class", {}).items())
    provenance = results.get("provenance", {})
    label = provenance.get("submission_label", "")
    headline = METRIC_KEYS.get(provenance.get("metric", "capi-sdri"), "capi_sdri")
    title = dict((k, t) for k, t, _ in keys).get(headline, headline)
    notes = ("<h2>Package findings (scored anyway; they do not change the figures)</h2>"
             f"{_findings_list(package_findings)}") if package_findings else ""
    return _page("s5eval results", (
        f"<h1>Results: {html.escape(str(label))}</h1>"
        f"<p>Headline: <b>{html.escape(title)}</b> on <code>all</code>. s5eval {html.escape(str(__version__))}.</p>"
        f"<div class=wrap><table><tr><th class=t>subset</th><th>mixtures</th>{head}<th>TP/FP/FN</th></tr>"
        f"{''.join(rows)}</table></div>"
        + _legend(results)
        + "<h2>Per class</h2><div class=wrap><table><tr><th class=t>class</th><th>refs</th><th>estimates</th>"
        "<th>TP</th><th>FP</th><th>FN</th><th>precision (%)</th><th>recall (%)</th><th>F1 (%)</th>"
        f"<th>TP SDRi (dB)</th></tr>{classes}</table></div>"
        + notes + _provenance(results)))


_EXIT_MEANING = {EXIT_INVALID: "the submission is invalid or could not be scored: fix what the first error says "
                               "(check with s5eval validate before uploading)",
                 EXIT_USAGE: "the scoring program was called wrongly or could not write its output: "
                             "a problem on the organizers' side",
                 EXIT_REFERENCE: "the reference data is missing or broken: a problem on the organizers' side, "
                                 "please tell them"}


def findings_html(findings: list[Finding], exit_code: int) -> str:
    """A page saying why the submission could not be scored: the first error prominently, then every finding."""
    ordered = _ordered(findings)
    cause = next((f for f in ordered if f.is_error), ordered[0] if ordered else None)
    first = ("<div class=cause><b>The error that stopped the scoring:</b><br>"
             f"<b class=e>{html.escape(cause.code)}</b> {html.escape(cause.file)}{': ' if cause.file else ''}"
             f"{html.escape(cause.message)}</div>") if cause else ""
    n_errors = sum(f.is_error for f in findings)
    meaning = _EXIT_MEANING.get(exit_code, "")
    return _page("s5eval: not scored", (
        f"<h1>The submission could not be scored (exit code {exit_code})</h1>"
        + (f"<p>Exit code {exit_code}: {html.escape(meaning)}.</p>" if meaning else "") + first
        + f"<h2>All findings: {n_errors} error(s), {len(findings) - n_errors} warning(s), errors first</h2>"
        + _findings_list(findings)
        + f"<p>Codes are explained in s5eval's docs/findings.md. s5eval {html.escape(str(__version__))}.</p>"))


# --- the scoring program -------------------------------------------------------------------------------


def run_codabench(input_dir: str | Path, output_dir: str | Path, config: ScoreConfig | None = None,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Score ``INPUT/res`` against ``INPUT/ref``; return the exit code (0 on success).

    ``OUTPUT`` may not lie in ``INPUT/res`` or ``INPUT/ref`` nor be a file
    (exit 2). When ``OUTPUT`` cannot be written (full disk, read-only) the
    finding ``E_OUT_WRITE`` is raised (exit 2); no page can be left then.
    ``progress(done, total)`` is called as mixtures are scored.
    """
    inp, out = Path(input_dir), Path(output_dir)
    check_out_dir(out, [(inp / "res", "INPUT/res (the submission)"), (inp / "ref", "INPUT/ref (the reference set)")],
                  option="OUTPUT", probe=True)
    with writing_outputs(out):
        (out / SCORES).unlink(missing_ok=True)
    try:
        submission = submission_in(inp / "res")
        run = run_score(submission, inp / "ref", config or ScoreConfig(), progress=progress)  # a zip: extracted there
        scores = flat_scores(run.results)
        page = results_html(run.results, run.findings + run.package_findings, run.records, run.subsets)
    except S5InputError as exc:  # also E_TEMP_WRITE: the page says so
        findings, code = exc.findings, exc.exit_code
    except Exception as exc:  # the scoring program must always leave a page saying what went wrong
        findings, code = [error("E_INTERNAL", str(inp), f"{type(exc).__name__}: {exc}")], EXIT_INVALID
    else:
        print_package_findings(run.findings + run.package_findings)  # to the scoring log
        with writing_outputs(out), atomic_batch():
            write_atomic(out / DETAILS, lambda h: h.write(page))
            write_json_atomic(out / SCORES, scores)
        return 0
    try:
        (out / SCORES).unlink(missing_ok=True)
        write_atomic(out / DETAILS, lambda h: h.write(findings_html(findings, code)))
    except OSError as problem:  # the submission's findings still come first
        findings = [*findings, *write_error(problem, out).findings]
    raise S5InputError(findings, code)


# --- the competition bundle ----------------------------------------------------------------------------

BUNDLE_FILES = ("competition.yaml", "logo.png", "pages", "scoring_program", "reference_data")
_FIGURE_TITLES = {"capi_sdri": ("CAPI-SDRi", "dB"), "capi_sdri_ci_low": ("CAPI-SDRi CI low", "dB"),
                  "capi_sdri_ci_high": ("CAPI-SDRi CI high", "dB"), "accuracy_mix": ("Mixture acc.", "%"),
                  "accuracy_src": ("Source acc.", "%"), "ca_sdri_2025": ("CA-SDRi 2025", "dB"),
                  "casa_sdr_sb": ("CASA-SDR SB", "dB"), "casa_sdr_eb": ("CASA-SDR EB", "dB"),
                  "n_mixtures": ("Mixtures", ""), "n_scored": ("Scored mixtures", ""),
                  "n_undefined": ("Undefined figures", "")}
MAX_TITLE = 36  # Codabench: Column.title and Column.key are CharField(max_length=36)


@dataclass
class BundleOptions:
    """What a bundle needs besides the scoring options (see ``s5eval codabench bundle --help``)."""

    title: str = "DCASE 2026 Task 4 (S5): spatial semantic segmentation of sound scenes"
    docker_image: str = f"s5eval/s5eval:{__version__}"
    start: str | None = None          # "YYYY-MM-DD HH:MM:SS" UTC; default: today 00:00:00
    end: str | None = None
    execution_time_limit: int = 3600  # seconds
    zip_path: str | Path | None = None


def leaderboard_columns(metric: str = "capi-sdri", subsets_spec: str | None = None) -> list[dict]:
    """Codabench columns, one per :func:`s5eval.outputs.scores_keys` key; index 0 (the primary) is the headline.

    The headline is ``--metric``'s figure on ``ranking`` with a preset, else on ``all``.
    """
    layout = scores_key_layout(metric, subsets_spec)
    ranked_on = "ranking" if any(subset == "ranking" for _, _, subset in layout) else "all"
    primary = next(key for key, figure, subset in layout if figure == METRIC_KEYS[metric] and subset == ranked_on)
    ordered = sorted(layout, key=lambda item: item[0] != primary)  # stable: the rest keep their order
    columns = []
    for index, (key, figure, subset) in enumerate(ordered):
        name, unit = _FIGURE_TITLES[figure]
        title = name if subset == "all" else f"{name} {subset}"
        title = (title + (f" ({unit})" if unit else ""))[:MAX_TITLE]
        is_count = figure in ("n_mixtures", "n_scored", "n_undefined")
        columns.append({"title": title, "key": key, "index": index,
                        "sorting": "asc" if figure == "n_undefined" else "desc",
                        "precision": 0 if is_count else (2 if unit == "%" else 3),
                        "hidden": is_count and subset != "all"})
    return columns


def _png(width: int = 96, height: int = 96) -> bytes:
    """A small PNG logo (Codabench requires an image): a blue square with a lighter band."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + (bytes((70, 130, 200)) if height // 3 <= y < 2 * height // 3
                               else bytes((30, 60, 120))) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def scoring_command(config: ScoreConfig, subsets_arg: str | None = None, label_set_arg: str | None = None) -> str:
    """The command line of the scoring program in the container."""
    parts = ["s5eval", "codabench", "/app/input", "/app/output", "--metric", config.metric,
             "--selection", config.selection, "--penalty-fn", repr(float(config.penalty_fn)),
             "--penalty-fp", repr(float(config.penalty_fp)), "--bootstrap", str(config.n_resamples),
             "--seed", str(config.seed)]
    if subsets_arg:
        parts += ["--subsets", subsets_arg]
    if label_set_arg:
        parts += ["--label-set", label_set_arg]
    if config.workers:
        parts += ["--workers", str(config.workers)]
    return shlex.join(parts)


def _place(source: Path, target: Path) -> None:
    """A hard link where the file system allows it (the eval set is large), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _pages(config: ScoreConfig, reference_digest: str, n_mixtures: int, keys: list[str], command: str,
           docker_image: str) -> dict[str, tuple[str, str]]:
    """file name -> (page title, markdown)."""
    options = (f"`--metric {config.metric}`, `--selection {config.selection}`, `--penalty-fn {config.penalty_fn:g}`, "
               f"`--penalty-fp {config.penalty_fp:g}`, `--bootstrap {config.n_resamples}`, `--seed {config.seed}`"
               + (f", `--subsets {config.subsets}`" if config.subsets else ""))
    key_list = "\n".join(f"- `{key}`" for key in keys)
    return {
        "overview.md": ("Overview", (
            "# Overview\n\nSpatial semantic segmentation of sound scenes (DCASE Task 4, S5): separate and label "
            "the target sources of each 4-channel mixture.\n\nSubmissions are scored by "
            f"s5eval {__version__} with CAPI-SDRi, the DCASE 2026 headline metric, and the "
            "mixture and source label accuracies.\n")),
        "submission.md": ("How to submit", (
            "# How to submit\n\nUpload a `.zip` of your audio package as the official `generate_waveform.sh` "
            "writes it (`<Author>_<Affil>_task4_<N>/eval_out/<mix>_<i>_<Label>.wav`), or a zip of a folder of "
            "estimate WAVs named `<mix>_<i>_<Label>.wav`.\n\nCheck it before uploading:\n\n"
            "```\ns5eval validate YOUR_SUBMISSION.zip --ref EVAL_SET\n```\n\nA submission that cannot be scored "
            "gets a page listing every problem, the error that stopped the scoring first.\n")),
        "evaluation.md": ("Evaluation", (
            "# Evaluation\n\nThe scoring program runs\n\n"
            f"```\n{command}\n```\n\nin the Docker image `{docker_image}` (with s5eval {__version__} installed). "
            f"Options: {options}.\n\n"
            "Every submission gets the same leaderboard columns, one per key of `scores.json`:\n\n"
            f"{key_list}\n\n"
            f"A figure that is undefined (an empty subset, every mixture of it excluded) is `{UNDEFINED_SCORE:g}`; "
            "`n_undefined` counts them. The detailed results of a submission show every subset and class with "
            "95 % bootstrap intervals, a legend and the provenance (version, options, digests).\n")),
        "data.md": ("Data", (
            f"# Data\n\nThe reference data holds {n_mixtures} mixtures with their oracle targets.\n\n"
            "Reference set digest (sha256 of the file names and sizes, as s5eval reports it): "
            f"`{reference_digest}`.\n")),
        "terms.md": ("Terms", (
            "# Terms\n\nOrganizers: replace this page with the terms of participation of the challenge.\n")),
    }


def write_bundle(ref: str | Path, out_dir: str | Path, config: ScoreConfig | None = None,
                 options: BundleOptions | None = None) -> Path:
    """Write a Codabench competition bundle for the reference set ``ref`` into ``out_dir``; return it.

    ``out_dir`` must be new or empty and may not lie inside ``ref`` (exit 2); a
    broken reference set is exit 3. The reference files (mixtures, targets,
    ``subsets.csv``) are hard-linked into ``reference_data/`` where possible, else
    copied. A ``--subsets`` or ``--label-set`` file travels in ``scoring_program/``.
    With ``options.zip_path`` the bundle is zipped there too, ready for upload.
    """
    import yaml

    from .io.refset import load_reference_set
    from .labels import LABEL_SETS, UnknownLabelSet, resolve_label_set
    from .score import listing_digest
    from .subsets import PRESETS, check_subsets_spec, load_extra_subsets

    config = config or ScoreConfig()
    options = options or BundleOptions()
    out = Path(out_dir)
    check_out_dir(out, [(ref, "the reference set")], option="--out")
    if out.is_dir() and any(out.iterdir()):
        raise S5InputError([error("E_USAGE", str(out), "--out is not empty; give a new or empty folder for the "
                                                       "bundle")], exit_code=EXIT_USAGE)
    if options.zip_path is not None:
        check_out_dir(Path(options.zip_path).parent, [(ref, "the reference set")], option="--zip")
        if Path(os.path.realpath(options.zip_path)).is_relative_to(os.path.realpath(out)):
            raise S5InputError([error("E_USAGE", str(options.zip_path), "--zip may not lie inside --out")],
                               exit_code=EXIT_USAGE)
    if config.metric not in METRIC_KEYS:
        raise S5InputError([error("E_USAGE", "", f"unknown metric {config.metric!r}")], exit_code=EXIT_USAGE)
    dates = [_phase_date(option, value) for option, value in (("--start", options.start), ("--end", options.end))]
    if None not in dates and dates[1] <= dates[0]:
        raise S5InputError([error("E_USAGE", "", "--end must come after --start")], exit_code=EXIT_USAGE)
    try:
        labels = resolve_label_set(config.label_set)
    except (UnknownLabelSet, ValueError) as exc:
        raise S5InputError([error("E_LABEL_SET", str(config.label_set), str(exc))], exit_code=EXIT_USAGE) from None
    if config.subsets is not None:
        check_subsets_spec(config.subsets)
    reference = load_reference_set(ref, labels)  # exit 3 when broken
    _check_reference_headers(reference)
    load_extra_subsets(config.subsets, reference.subsets_csv, reference.names)  # a bad subsets file: exit 3 now
    files = [p for m in reference.mixtures.values() for p in [m.path, *(t.path for t in m.targets)]]
    if reference.subsets_csv is not None:
        files.append(reference.subsets_csv)

    subsets_arg = label_set_arg = None
    program_files: dict[str, Path] = {}
    if config.subsets is not None:
        if config.subsets in PRESETS:
            subsets_arg = config.subsets
        else:
            program_files["subsets.csv"] = Path(config.subsets)
            subsets_arg = "/app/program/subsets.csv"
    if config.label_set is not None:
        if config.label_set in LABEL_SETS:
            label_set_arg = config.label_set
        else:  # a file of class names (resolve_label_set read it above)
            program_files["labels.txt"] = Path(config.label_set)
            label_set_arg = "/app/program/labels.txt"
    command = scoring_command(config, subsets_arg, label_set_arg)
    keys = [key for key, _, _ in scores_key_layout(config.metric, config.subsets)]
    columns = leaderboard_columns(config.metric, config.subsets)
    digest = listing_digest(files, reference.root)
    pages = _pages(config, digest, len(reference.mixtures), keys, command, options.docker_image)
    start = options.start or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d 00:00:00")
    phase = {"index": 0, "name": "Evaluation", "description": "Score the evaluation set estimates",
             "start": start, "execution_time_limit": int(options.execution_time_limit), "tasks": [0]}
    if options.end:
        phase["end"] = options.end
    competition = {
        "version": 2,
        "title": options.title,
        "description": f"Scored with s5eval {__version__} (CAPI-SDRi and label accuracies).",
        "image": "logo.png",
        "terms": "pages/terms.md",
        "docker_image": options.docker_image,
        "enable_detailed_results": True,
        "show_detailed_results_in_submission_panel": True,
        "show_detailed_results_in_leaderboard": True,
        "make_programs_available": True,
        "make_input_data_available": False,
        "pages": [{"title": title, "file": f"pages/{name}"} for name, (title, _) in pages.items()
                  if name != "terms.md"],  # the terms have their own place
        "phases": [phase],
        "tasks": [{"index": 0, "name": "S5 evaluation", "description": "Score the separated and labelled sources",
                   "scoring_program": "scoring_program", "reference_data": "reference_data"}],
        "leaderboards": [{"title": "Results", "key": "main", "submission_rule": "Add_And_Delete_Multiple",
                          "columns": columns}],
    }
    metadata = {"command": command}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, (_, text) in pages.items():
            (out / "pages").mkdir(exist_ok=True)
            write_text_atomic(out / "pages" / name, text, durable=False)
        (out / "logo.png").write_bytes(_png())
        program = out / "scoring_program"
        program.mkdir()
        write_text_atomic(program / "metadata.yaml",
                          f"# s5eval {__version__}: the image must have s5eval installed (docs/codabench.md)\n"
                          + yaml.safe_dump(metadata, sort_keys=False, width=1000), durable=False)
        for name, source in program_files.items():
            shutil.copy2(source, program / name)
        for path in files:
            _place(Path(path), out / "reference_data" / Path(path).relative_to(reference.root))
        (out / "reference_data").mkdir(exist_ok=True)
        write_text_atomic(out / "competition.yaml",
                          f"# Codabench competition bundle written by s5eval {__version__} (docs/codabench.md)\n"
                          + yaml.safe_dump(competition, sort_keys=False, width=1000, allow_unicode=True))
        if options.zip_path is not None:
            _zip_folder(out, Path(options.zip_path))
    except OSError as exc:
        raise write_error(exc, out) from None
    return out


def _phase_date(option: str, value: str | None) -> _dt.datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD`` (what Codabench's phases take), else a usage error."""
    if value is None:
        return None
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(value, form)
        except ValueError:
            pass
    raise S5InputError([error("E_USAGE", "", f"{option} {value!r} is not a date 'YYYY-MM-DD HH:MM:SS' (UTC)")],
                       exit_code=EXIT_USAGE)


def _check_reference_headers(reference) -> None:
    """Every mixture and target WAV header readable and complete, else :class:`ReferenceSetError` (exit 3).

    A bundle with a broken reference set would fail every submission; headers
    only, so a large evaluation set is checked in seconds.
    """
    from .findings import ReferenceSetError
    from .io.audio import AudioReadError, NotRegularAudioError, header_facts
    from .validate.audio import mixture_problem

    findings: list[Finding] = []
    for mixture in reference.mixtures.values():
        problem = mixture_problem(str(mixture.path), decode=False)
        if isinstance(problem, Finding):
            findings.append(problem)
        for target in mixture.targets:
            try:
                _, layout = header_facts(str(target.path))
            except (NotRegularAudioError, AudioReadError) as exc:
                findings.append(error("E_REF_UNREADABLE", str(target.path), str(exc)))
                continue
            if layout is not None and layout.truncated:
                findings.append(error("E_REF_TRUNCATED", str(target.path), "the target is truncated: its header "
                                      "announces more samples than the file holds"))
    if findings:
        raise ReferenceSetError(findings)


def _zip_folder(folder: Path, zip_path: Path) -> None:
    """Zip the bundle with ``competition.yaml`` at the top level (what Codabench's upload expects)."""
    import zipfile

    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    # WAVs hardly compress: store them, deflate the rest
                    kind = zipfile.ZIP_STORED if path.suffix.lower() == ".wav" else zipfile.ZIP_DEFLATED
                    archive.write(path, path.relative_to(folder).as_posix(), compress_type=kind)
        os.replace(tmp, zip_path)
    finally:
        tmp.unlink(missing_ok=True)
