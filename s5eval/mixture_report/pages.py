"""The HTML pages of the report: the overview, one page per mixture, one page per class.

Pure functions from gathered data to text. Every name that comes from the
input (soundscape, file, label, submission label) is HTML-escaped; the pages'
own file names are numbered (``m001.html``, ``c01.html``), never taken from
input names. No script, no external resource: the CSS is inline.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import AbstractSet, Sequence

from .gather import ClassFigures, MixtureFigures, Probability
from .spectrograms import DYNAMIC_RANGE_DB, ColourScale

CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1400px;
 padding:12px;color:#1b1b1f;background:#fafafa}
h1{font-size:1.35em;margin:.3em 0;overflow-wrap:anywhere}h2{font-size:1.1em;margin:1.2em 0 .4em}
a{color:#0b57d0}nav{display:flex;flex-wrap:wrap;gap:.4em 1.2em;margin:.2em 0 .6em}
.muted{color:#5f6368}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.3em 0}th,td{padding:.25em .55em;border-bottom:1px solid #ddd;
 vertical-align:top}th{text-align:left;background:#f0f0f3}
td.file{overflow-wrap:anywhere;min-width:8em}
.sig{margin:0;padding:.5em;background:#fff;border:1px solid #ddd;border-radius:6px;min-width:0}
.sig figcaption{overflow-wrap:anywhere;margin-bottom:.3em}
.sig img{display:block;width:100%;height:auto;image-rendering:auto;background:#000}
.sig audio{display:block;width:100%;margin-top:.3em;height:36px}
.none{display:flex;align-items:center;justify-content:center;min-height:6em;color:#5f6368;
 background:repeating-linear-gradient(45deg,#f3f3f3,#f3f3f3 8px,#fff 8px,#fff 16px)}
.axis{position:relative;height:1.2em;font-size:.75em;color:#5f6368;margin:0 .3em}
.axis span{position:absolute;transform:translateX(-50%)}
.axis span:first-child{transform:none}.axis span:last-child{transform:translateX(-100%)}
.row{margin:.6em 0 1em}.key p{margin:.4em 0}.row h3{font-size:1em;margin:.2em 0}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.6em}
.scale{display:flex;flex-wrap:wrap;align-items:center;gap:.5em;font-size:.85em}
.scale img{width:160px;height:12px}
.tp{color:#137333}.fn,.fp{color:#b3261e}.changed td{background:#fff4d6}
@media (min-width:701px){.pair .sig figcaption{min-height:2.9em}}
@media (max-width:700px){.pair{grid-template-columns:1fr}body{padding:8px}.none{min-height:3em}}
"""


def esc(value: object) -> str:
    """Text (or an attribute value) HTML-escaped, quotes included."""
    return html.escape(str(value), quote=True)


def db(value: float | None, digits: int = 2) -> str:
    """A dB value for a table cell ('—' when undefined)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def page(title: str, body: str) -> str:
    """A complete HTML document: UTF-8, phone viewport, the inline stylesheet."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


@dataclass(frozen=True)
class Signal:
    """One playable signal of a mixture page: file names are relative URLs inside the report."""

    role: str                 # "mixture", "reference" or "estimate"
    file: str                 # the input file's name, as shown
    label: str                # class name ("" for the mixture)
    audio: str                # relative URL of the Ogg file
    image: str                # relative URL of the spectrogram PNG
    image_size: tuple[int, int]  # (width, height) in pixels
    gain: float               # playback gain applied (1.0: none)
    probability: Probability | None = None


@dataclass(frozen=True)
class MixturePage:
    """Everything one mixture page shows."""

    href: str                 # its file name, e.g. m001.html
    data: dict                # the explanation (explain_prepared)
    mixture: Signal
    references: list[Signal]
    estimates: list[Signal]
    scale: ColourScale
    duration_s: float         # seconds
    samplerate: int           # Hz


@dataclass(frozen=True)
class Links:
    """Where a page's navigation leads (None: no such page)."""

    overview: str = "index.html"
    previous: str | None = None
    next: str | None = None
    classes: dict[str, str] | None = None       # class name -> class page
    mixtures: dict[str, str] | None = None      # soundscape -> mixture page


def _nice_step(duration: float) -> float:
    raw = duration / 5 if duration > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def time_axis(duration_s: float) -> str:
    """Tick labels (seconds) under a spectrogram spanning ``duration_s`` seconds."""
    step = _nice_step(duration_s)
    ticks = [i * step for i in range(int(duration_s / step + 1e-9) + 1)]
    labels = [f"{t:g}" for t in ticks]
    if labels:
        labels[-1] += " s"
    spans = "".join(f'<span style="left:{100 * t / duration_s:.3f}%">{text}</span>' for t, text in zip(ticks, labels)) \
        if duration_s > 0 else ""
    return f'<div class="axis" aria-hidden="true">{spans}</div>'


def _class_link(label: str, links: Links) -> str:
    target = (links.classes or {}).get(label)
    return f'<a href="{esc(target)}">{esc(label)}</a>' if target else esc(label)


def signal_card(signal: Signal, duration_s: float, links: Links, heading: str = "") -> str:
    """A figure with the signal's name, spectrogram, time axis and audio player."""
    bits = [f"<b>{esc(heading)}</b>" if heading else "", _class_link(signal.label, links) if signal.label else "",
            f"<span class=muted>{esc(signal.file)}</span>"]
    if signal.probability is not None:
        p = signal.probability
        value = "—" if p.probability is None else f"{p.probability:.3f}"
        named = f" ({esc(p.label)})" if p.label and p.label != signal.label else ""
        bits.append(f"<span>probability {value}{named}</span>")
    if signal.gain != 1.0:
        bits.append(f"<span class=muted>played at {20 * math.log10(signal.gain):.1f} dB (peak above full scale)</span>")
    width, height = signal.image_size
    alt = f"spectrogram of {signal.file}"
    return (f'<figure class="sig" data-role="{esc(signal.role)}"><figcaption>{" ".join(b for b in bits if b)}</figcaption>'
            f'<img src="{esc(signal.image)}" width="{width}" height="{height}" alt="{esc(alt)}">'
            f"{time_axis(duration_s)}"
            f'<audio controls preload="metadata" src="{esc(signal.audio)}" title="{esc(signal.file)}"></audio></figure>')


def _none_card(text: str, kind: str) -> str:
    return f'<figure class="sig none {kind}" data-role="{kind}"><span>{esc(text)}</span></figure>'


def _entries_rows(page_: MixturePage, selection: str, changed: AbstractSet[tuple[str, str]], measure: str,
                  probability: dict[str, Probability | None]) -> list[str]:
    chosen = page_.data[selection]
    labels = {r["file"]: r["label"] for r in page_.data["reference"]}
    est_labels = {e["file"]: e["label"] for e in page_.data["estimates"]}
    rows = []

    def prob(name: str) -> str:
        p = probability.get(name)
        return "" if p is None or p.probability is None else f"{p.probability:.3f}"

    for p in chosen["pairs"]:
        mark = ' class="changed"' if (p["estimate"], p["reference"]) in changed else ""
        rows.append(f"<tr{mark}><td class=tp>TP</td><td>{esc(p['label'])}</td><td class=file>{esc(p['estimate'])}</td>"
                    f"<td class=file>{esc(p['reference'])}</td><td class=num>{db(p['sdr'])}</td>"
                    f"<td class=num>{db(p['sdr_mixture'])}</td><td class=num>{db(p['sdri'])}</td>"
                    f"<td class=num>{prob(p['estimate'])}</td></tr>")
    for m in chosen["missed"]:
        rows.append(f"<tr><td class=fn>FN</td><td>{esc(labels.get(m['reference'], ''))}</td><td>—</td>"
                    f"<td class=file>{esc(m['reference'])}</td><td></td><td></td>"
                    f"<td class=num>{db(m['penalty'])}</td><td></td></tr>")
    for s in chosen["spurious"]:
        rows.append(f"<tr><td class=fp>FP</td><td>{esc(est_labels.get(s['estimate'], ''))}</td>"
                    f"<td class=file>{esc(s['estimate'])}</td><td>—</td><td></td><td></td>"
                    f"<td class=num>{db(s['penalty'])}</td><td class=num>{prob(s['estimate'])}</td></tr>")
    return rows


def entries_table(page_: MixturePage, selection: str, changed: AbstractSet[tuple[str, str]] = frozenset()) -> str:
    """The entries of the CAPI-SDRi mean under ``selection``: TP pairs, FN and FP with their values (dB)."""
    measure = page_.data.get("measure", "SDR")
    probability = {s.file: s.probability for s in page_.estimates}
    chosen = page_.data[selection]
    head = (f"<tr><th>kind</th><th>class</th><th>estimate</th><th>reference</th><th>{measure} (dB)</th>"
            f"<th>{measure} of the mixture (dB)</th><th>{measure}i / penalty (dB)</th><th>probability</th></tr>")
    rows = _entries_rows(page_, selection, changed, measure, probability)
    total = (f"({db(chosen['tp_sdri_sum'], 3)} + {db(chosen['penalty_mass'], 3)}) / {chosen['n_entries']} = "
             f"<b>{db(chosen['capi_sdri'], 3)} dB</b>") if chosen["n_entries"] else "no entry: the mixture is excluded"
    return (f'<div class="table-wrap"><table data-selection="{esc(selection)}"><thead>{head}</thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div><p>CAPI-{measure}i = {total}</p>")


def _pairing_rows(page_: MixturePage, links: Links) -> str:
    """Reference and estimate side by side, as the report's selection paired them; FN and FP shown as such."""
    data = page_.data
    chosen = data[data["selection"]]
    ref_index = {r["file"]: i for i, r in enumerate(data["reference"])}
    est_index = {e["file"]: i for i, e in enumerate(data["estimates"])}
    d = page_.duration_s
    rows = []
    for p in chosen["pairs"]:
        ref, est = page_.references[ref_index[p["reference"]]], page_.estimates[est_index[p["estimate"]]]
        rows.append(f'<div class="row" data-kind="tp"><h3><span class=tp>TP</span> {esc(p["label"])}: '
                    f'{data.get("measure", "SDR")}i {db(p["sdri"])} dB</h3><div class="pair">'
                    f"{signal_card(ref, d, links, 'reference')}{signal_card(est, d, links, 'estimate')}</div></div>")
    for m in chosen["missed"]:
        ref = page_.references[ref_index[m["reference"]]]
        rows.append(f'<div class="row" data-kind="fn"><h3><span class=fn>FN</span> {esc(ref.label)}: missed '
                    f'(penalty {db(m["penalty"])} dB)</h3><div class="pair">{signal_card(ref, d, links, "reference")}'
                    f'{_none_card("no estimate paired with this reference: missed source (FN)", "fn")}</div></div>')
    for s in chosen["spurious"]:
        est = page_.estimates[est_index[s["estimate"]]]
        rows.append(f'<div class="row" data-kind="fp"><h3><span class=fp>FP</span> {esc(est.label)}: false source '
                    f'(penalty {db(s["penalty"])} dB)</h3><div class="pair">'
                    f'{_none_card("no reference paired with this estimate: false source (FP)", "fp")}'
                    f"{signal_card(est, d, links, 'estimate')}</div></div>")
    return "".join(rows)


def _matrices(data: dict) -> str:
    measure = data.get("measure", "SDR")
    parts = []
    for cls in data["classes"]:
        if not cls["estimates"] or not cls["references"]:
            continue
        head = "".join(f"<th>{esc(r)}<br><span class=muted>mixture {db(m)}</span></th>"
                       for r, m in zip(cls["references"], cls["sdr_mixture"]))
        body = "".join(f"<tr><td class=file>{esc(e)}</td>"
                       + "".join(f"<td class=num>{db(s)} [{db(i)}]</td>" for s, i in zip(srow, irow)) + "</tr>"
                       for e, srow, irow in zip(cls["estimates"], cls["sdr"], cls["sdri"]))
        parts.append(f"<h3>{esc(cls['label'])}</h3><div class=table-wrap><table><thead><tr><th>estimate \\ reference"
                     f"</th>{head}</tr></thead><tbody>{body}</tbody></table></div>")
    if not parts:
        return ""
    return (f"<details><summary>Every same-class pair: {measure} (dB), {measure}i in brackets</summary>"
            f"{''.join(parts)}</details>")


def mixture_page(page_: MixturePage, links: Links, submission: str) -> str:
    """The page of one mixture."""
    data = page_.data
    measure = data.get("measure", "SDR")
    figure = f"CAPI-{measure}i"
    nav = [f'<a href="{esc(links.previous)}" rel="prev">← previous</a>' if links.previous else "",
           f'<a href="{esc(links.overview)}">overview</a>',
           f'<a href="{esc(links.next)}" rel="next">next →</a>' if links.next else ""]
    chosen = data[data["selection"]]
    summary = (f"<p><b>{figure} {db(chosen['capi_sdri'])} dB</b> ({esc(data['selection'])} selection; official "
               f"{db(data['official']['capi_sdri'])} dB, paper {db(data['paper']['capi_sdri'])} dB) · TP {data['tp']} · "
               f"FP {data['fp']} · FN {data['fn']} · labels {'correct' if data['mixture_correct'] else 'wrong'}"
               f" · penalties FN {db(data['penalty_fn'])} dB, FP {db(data['penalty_fp'])} dB</p>")
    if data["excluded"]:
        summary += "<p>No class on either side: the mixture is excluded from the mean (no value).</p>"
    scale = page_.scale
    legend = (f'<div class="scale"><span>{scale.bottom_db:.0f} dB</span><img src="colourbar.png" width="256" '
              f'height="12" alt="colour scale"><span>{scale.top_db:.0f} dB</span></div><p class=muted>Band power '
              f"(dB re full scale), one colour scale for every spectrogram of this mixture ({DYNAMIC_RANGE_DB:.0f} dB "
              f"range); time in seconds, the same axis for all; frequency on a mel scale, 0 to "
              f"{page_.samplerate / 2000:g} kHz from bottom to top.</p>")
    mixture = signal_card(page_.mixture, page_.duration_s, links, "mixture, channel 0")
    other = "paper" if data["selection"] == "official" else "official"
    changed = {tuple(p) for p in data["pairs_only_official"] + data["pairs_only_paper"]}
    tables = f"<h2>Entries of the mean ({esc(data['selection'])} selection)</h2>{entries_table(page_, data['selection'], changed)}"
    if changed:
        tables += (f"<h2>The {other} selection pairs differently</h2>{entries_table(page_, other, changed)}"
                   f"<p>Change paper − official: {db(data['paper_minus_official'], 3)} dB.</p>")
    else:
        tables += "<p class=muted>Both selections (official: max mean SDR; paper: max summed SDRi) choose the same pairs.</p>"
    findings = ""
    if data["findings"]:
        items = "".join(f"<li><code>{esc(f['code'])}</code> {esc(f['file'])}: {esc(f['message'])}</li>"
                        for f in data["findings"])
        findings = f"<h2>Findings</h2><ul>{items}</ul>"
    body = (f"<nav>{''.join(n for n in nav if n)}</nav><h1>{esc(data['soundscape'])}</h1>"
            f"<p class=muted>{esc(submission)}</p>{summary}"
            f'<h2>Signals</h2><div class="row pair">{mixture}<div class="sig key">{legend}<p>Below, each reference '
            "beside the estimate the pairing matched to it; a missed reference (FN) and a false estimate (FP) "
            f"stand alone.</p></div></div>{_pairing_rows(page_, links)}"
            f"{tables}{_matrices(data)}{findings}")
    return page(f"{data['soundscape']} — {submission}", body)


def mixture_list(figures: Sequence[MixtureFigures], links: Links, table_id: str,
                 ranks: Sequence[int] | None = None) -> str:
    """A ranked table of mixtures: rank, name (linked when it has a page), CAPI-SDRi (dB), counts, labels."""
    rows = []
    pages = links.mixtures or {}
    for rank, f in zip(ranks or range(1, len(figures) + 1), figures):
        name = (f'<a href="{esc(pages[f.soundscape])}">{esc(f.soundscape)}</a>' if f.soundscape in pages
                else esc(f.soundscape))
        refs = ", ".join(_class_link(lb, links) for lb in f.ref_labels) or "—"
        ests = ", ".join(_class_link(lb, links) for lb in f.est_labels) or "—"
        rows.append(f"<tr><td class=num>{rank}</td><td class=file>{name}</td><td class=num>{db(f.capi_sdri)}</td>"
                    f"<td class=num>{f.tp}</td><td class=num>{f.fp}</td><td class=num>{f.fn}</td>"
                    f"<td>{refs}</td><td>{ests}</td></tr>")
    head = ("<tr><th>#</th><th>soundscape</th><th>CAPI-SDRi (dB)</th><th>TP</th><th>FP</th><th>FN</th>"
            "<th>reference labels</th><th>estimated labels</th></tr>")
    return (f'<div class="table-wrap"><table id="{esc(table_id)}"><thead>{head}</thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def class_table(classes: dict[str, ClassFigures], links: Links) -> str:
    """Per-class figures: mixtures, references, estimates, TP, FP, FN, mean TP SDRi (dB)."""
    rows = "".join(f"<tr><td>{_class_link(c.label, links)}</td><td class=num>{c.n_mixtures}</td>"
                   f"<td class=num>{c.n_ref}</td><td class=num>{c.n_est}</td><td class=num>{c.tp}</td>"
                   f"<td class=num>{c.fp}</td><td class=num>{c.fn}</td><td class=num>{db(c.tp_sdri)}</td></tr>"
                   for c in classes.values())
    head = ("<tr><th>class</th><th>mixtures</th><th>references</th><th>estimates</th><th>TP</th><th>FP</th><th>FN</th>"
            "<th>mean SDRi of TP pairs (dB)</th></tr>")
    return f'<div class="table-wrap"><table id="classes"><thead>{head}</thead><tbody>{rows}</tbody></table></div>'


def index_page(title: str, intro: str, lists: Sequence[tuple[str, Sequence[MixtureFigures]]],
               classes: dict[str, ClassFigures], links: Links) -> str:
    """The overview: what the report holds, its ranked lists (heading, mixtures), the classes."""
    body = f"<h1>{esc(title)}</h1>{intro}"
    for k, (heading, figures) in enumerate(lists):
        if figures:
            body += f"<h2>{esc(heading)}</h2>{mixture_list(figures, links, f'list{k}')}"
    body += f"<h2>Classes</h2>{class_table(classes, links)}"
    return page(title, body)


MAX_CLASS_ROWS = 100  # a class page lists at most this many mixtures: the worst and the best half


def class_page(label: str, figures: ClassFigures, mixtures: Sequence[MixtureFigures], links: Links,
               submission: str) -> str:
    """The page of one class: its figures and its mixtures ranked (worst first; the middle left out beyond 100)."""
    facts = (f"<p>{figures.n_mixtures} mixtures · {figures.n_ref} references · {figures.n_est} estimates · "
             f"TP {figures.tp} · FP {figures.fp} · FN {figures.fn} · mean SDRi of TP pairs "
             f"<b>{db(figures.tp_sdri)} dB</b></p>")
    shown = list(mixtures)
    ranks = list(range(1, len(shown) + 1))
    note = ""
    if len(shown) > MAX_CLASS_ROWS:
        half = MAX_CLASS_ROWS // 2
        note = f"<p class=muted>{len(shown) - MAX_CLASS_ROWS} mixtures in the middle of the ranking are not listed.</p>"
        shown, ranks = shown[:half] + shown[-half:], ranks[:half] + ranks[-half:]
    body = (f'<nav><a href="{esc(links.overview)}">overview</a></nav><h1>{esc(label)}</h1>'
            f"<p class=muted>{esc(submission)}</p>{facts}<h2>Its mixtures, worst first</h2>"
            f"{mixture_list(shown, links, 'mixtures', ranks)}{note}")
    return page(f"{label} — {submission}", body)
