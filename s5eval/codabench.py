"""Codabench scoring program: ``s5eval codabench INPUT OUTPUT``.

Codabench mounts the reference data at ``INPUT/ref`` and the participant's
upload at ``INPUT/res`` (a package folder, a bare folder of WAVs, a folder
holding one of those, or a single ``.zip``). The program writes
``OUTPUT/detailed_results.html`` (results per subset and per class, or the
findings) and, only when scoring succeeded, ``OUTPUT/scores.json``
(:func:`s5eval.outputs.flat_scores`), atomically and last: a failure never
leaves a partial or stale ``scores.json``.
"""
from __future__ import annotations

import html
from pathlib import Path

from .atomic import atomic_batch, write_atomic, write_error, write_json_atomic, writing_outputs
from .findings import EXIT_INVALID, Finding, S5InputError, error
from .report import print_package_findings
from .outputs import check_out_dir, flat_scores
from .score import ScoreConfig, run_score

SCORES = "scores.json"
DETAILS = "detailed_results.html"
_ROW_KEYS = (("capi_sdri", "CAPI-SDRi (dB)", 3), ("accuracy_mix", "Mixture acc. (%)", 2),
             ("accuracy_src", "Source acc. (%)", 2), ("tp_sdri", "TP-only SDRi (dB)", 3),
             ("ca_sdri_2025", "CA-SDRi 2025 (dB)", 3))
_STYLE = ("body{font-family:system-ui,sans-serif;margin:20px}table{border-collapse:collapse}"
          "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f0f3f7}"
          "td.t,th.t{text-align:left}.e{color:#b00}.w{color:#a60}")


def submission_in(res: Path) -> Path:
    """The submission inside ``INPUT/res``: a single zip, a single folder, or ``res`` itself."""
    if not res.is_dir():
        return res
    entries = [p for p in res.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
    wavs = [p for p in entries if p.suffix.lower() == ".wav"]
    if not wavs and len(entries) == 1 and (entries[0].is_dir() or entries[0].suffix.lower() == ".zip"):
        if entries[0].name != "eval_out":
            return entries[0]
    return res


def _fmt(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _findings_list(findings: list[Finding]) -> str:
    return "".join(f"<li class={'e' if f.is_error else 'w'}><b>{html.escape(f.code)}</b> "
                   f"{html.escape(f.file)}: {html.escape(f.message)}</li>" for f in findings)


def results_html(results: dict, package_findings: list[Finding] | None = None) -> str:
    """A page with the figures of every subset (with 95 % intervals) and per class.

    ``package_findings``: what ``validate`` says about the package around the
    estimates; listed, since they did not stop the scoring.
    """
    head = "".join(f"<th>{html.escape(name)}</th>" for _, name, _ in _ROW_KEYS)
    rows = []
    for subset, fig in results["subsets"].items():
        cells = []
        for key, _, digits in _ROW_KEYS:
            text = _fmt(fig.get(key), digits)
            low, high = fig.get(f"{key}_ci_low"), fig.get(f"{key}_ci_high")
            if low is not None and high is not None:
                text += f" [{low:.{digits}f}, {high:.{digits}f}]"
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append(f"<tr><td class=t>{html.escape(subset)}</td><td>{fig['n_scored']}/{fig['n_mixtures']}</td>"
                    + "".join(cells) + "</tr>")
    classes = "".join(
        f"<tr><td class=t>{html.escape(label)}</td><td>{c['n_ref']}</td><td>{c['n_est']}</td><td>{c['tp']}</td>"
        f"<td>{c['fp']}</td><td>{c['fn']}</td><td>{_fmt(c.get('f1'), 1)}</td><td>{_fmt(c.get('tp_sdri'), 3)}</td></tr>"
        for label, c in results.get("per_class", {}).items())
    label = results.get("provenance", {}).get("submission_label", "")
    notes = ("<h2>Package findings (scored anyway; they do not change the figures)</h2>"
             f"<ul>{_findings_list(package_findings)}</ul>") if package_findings else ""
    return (f"<!DOCTYPE html><html><head><meta charset=utf-8><title>s5eval results</title><style>{_STYLE}</style>"
            f"</head><body><h1>Results: {html.escape(str(label))}</h1>"
            f"<table><tr><th class=t>subset</th><th>mixtures</th>{head}</tr>{''.join(rows)}</table>"
            "<h2>Per class</h2><table><tr><th class=t>class</th><th>refs</th><th>estimates</th><th>TP</th><th>FP</th>"
            f"<th>FN</th><th>F1 (%)</th><th>TP SDRi (dB)</th></tr>{classes}</table>{notes}</body></html>")


def findings_html(findings: list[Finding], exit_code: int) -> str:
    """A page listing why the submission could not be scored."""
    return (f"<!DOCTYPE html><html><head><meta charset=utf-8><title>s5eval: not scored</title><style>{_STYLE}</style>"
            f"</head><body><h1>The submission could not be scored (exit code {exit_code})</h1>"
            f"<ul>{_findings_list(findings)}</ul>"
            "</body></html>")


def run_codabench(input_dir: str | Path, output_dir: str | Path, config: ScoreConfig | None = None) -> int:
    """Score ``INPUT/res`` against ``INPUT/ref``; return the exit code (0 on success).

    ``OUTPUT`` may not lie in ``INPUT/res`` or ``INPUT/ref`` nor be a file
    (exit 2). When ``OUTPUT`` cannot be written (full disk, read-only) the
    finding ``E_OUT_WRITE`` is raised (exit 2); no page can be left then.
    """
    from .score_all import _opened
    inp, out = Path(input_dir), Path(output_dir)
    check_out_dir(out, [(inp / "res", "INPUT/res (the submission)"), (inp / "ref", "INPUT/ref (the reference set)")],
                  option="OUTPUT", probe=True)
    with writing_outputs(out):
        (out / SCORES).unlink(missing_ok=True)
    try:
        submission = submission_in(inp / "res")
        with _opened(submission) as root:
            run = run_score(root, inp / "ref", config or ScoreConfig(), source=str(submission))
        scores = flat_scores(run.results)
        page = results_html(run.results, run.findings + run.package_findings)
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
