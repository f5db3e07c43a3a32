"""HTML pages of a scoring run: the results page (``detailed_results.html`` on Codabench) and the page that
says why a submission could not be scored. Self-contained: inline CSS, no script, every text escaped.

Titles, units and decimals of the figures come from the catalogue (:mod:`s5eval.results.figures`).
"""
from __future__ import annotations

import html
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .. import __version__
from ..findings import EXIT_INVALID, EXIT_REFERENCE, EXIT_USAGE, Finding
from ..results.figures import METRIC_KEYS, figure
from ..results.files import UNDEFINED_SCORE
from ..results.record import MixtureRecord
from ..stats import bootstrap_ratios




_STYLE = ("body{font-family:system-ui,sans-serif;margin:20px;max-width:1400px}table{border-collapse:collapse}"
          "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}th{background:#f0f3f7}"
          "td.t,th.t{text-align:left}.e{color:#b00}.w{color:#a60}.ci{color:#555;font-size:85%}"
          ".cause{border:2px solid #b00;background:#fff3f3;padding:8px 12px;margin:12px 0}"
          "dl.legend dt{font-weight:bold;float:left;clear:left;width:9em}dl.legend dd{margin-left:10em}"
          "code{background:#f4f4f4;padding:0 3px}.wrap{overflow-x:auto}")



_PER_CODE = 20  # findings shown per code on a page; the rest are counted



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



# the figures of the subset table, in column order; every one with ``<key>_ci_low``/``_ci_high`` shows them
_ROW_FIGURES = ("capi_sdri", "accuracy_mix", "accuracy_src", "tp_sdri", "ca_sdri_2025")
_CASA_FIGURES = ("casa_sdr_sb", "casa_sdr_eb")


def _row_keys(results: Mapping[str, Any]) -> tuple[tuple[str, str, int], ...]:
    """``(key, column title, decimals)`` of the subset table; the CASA-SDR figures when the run computed them."""
    casa = any(fig.get(key) is not None for fig in results["subsets"].values() for key in _CASA_FIGURES)
    keys = _ROW_FIGURES + (_CASA_FIGURES if casa or results.get("provenance", {}).get("metric") == "casa-sdr" else ())
    return tuple((key, figure(key).label, figure(key).decimals) for key in keys)



def _cell(fig: dict, key: str, digits: int) -> str:
    text = html.escape(_fmt(fig.get(key), digits))
    low, high = fig.get(f"{key}_ci_low"), fig.get(f"{key}_ci_high")
    if low is not None and high is not None:
        text += f"<br><span class=ci>[{low:.{digits}f}, {high:.{digits}f}]</span>"
    return f"<td>{text}</td>"



def _legend(results: Mapping[str, Any]) -> str:
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



def _provenance(results: Mapping[str, Any]) -> str:
    provenance = results.get("provenance", {})
    rows = "".join(f"<tr><th class=t>{html.escape(title)}</th><td class=t><code>"
                   f"{html.escape('—' if provenance.get(key) is None else str(provenance.get(key)))}</code></td></tr>"
                   for key, title in _PROVENANCE if key in provenance)
    return f"<h2>Provenance</h2><table>{rows}</table>"



def page_intervals(results: Mapping[str, Any], records: Sequence[MixtureRecord], subsets: dict[str, list[str]]) -> dict:
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
        for key in _CASA_FIGURES:
            values[key] = [(r.casa_sdr or {}).get(key) for r in chosen]
        for key, column in values.items():
            valid = np.array([v is not None for v in column], dtype=np.float64)
            if valid.any():
                ratios[key] = (np.array([0.0 if v is None else v for v in column]) * valid, valid)
        for key, interval in bootstrap_ratios(ratios, n_resamples, seed).items():
            if fig.get(key) is not None and f"{key}_ci_low" not in fig:
                fig[f"{key}_ci_low"], fig[f"{key}_ci_high"] = interval.low, interval.high
    return out



def results_html(results: Mapping[str, Any], package_findings: list[Finding] | None = None,
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
    per_class = results.get("per_class", {})
    with_si = any("tp_si_sdri" in c for c in per_class.values())
    classes = "".join(
        f"<tr><td class=t>{html.escape(label)}</td><td>{c['n_ref']}</td><td>{c['n_est']}</td><td>{c['tp']}</td>"
        f"<td>{c['fp']}</td><td>{c['fn']}</td><td>{_fmt(c.get('precision'), 1)}</td><td>{_fmt(c.get('recall'), 1)}</td>"
        f"<td>{_fmt(c.get('f1'), 1)}</td><td>{_fmt(c.get('tp_sdri'), 3)}</td>"
        + (f"<td>{_fmt(c.get('tp_si_sdri'), 3)}</td>" if with_si else "") + "</tr>"
        for label, c in per_class.items())
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
        "<th>TP SDRi (dB)</th>" + ("<th>TP SI-SDRi (dB)</th>" if with_si else "") + f"</tr>{classes}</table></div>"
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
