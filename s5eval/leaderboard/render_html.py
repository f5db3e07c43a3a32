"""``leaderboard.html``: one self-contained page (no external resource).

A sortable table (click a column header; inline script) and three matplotlib
plots embedded as base64 PNG: the ranking figure against mixture accuracy with
95 % interval bars, per-subset bars, and bootstrap rank intervals.
"""
from __future__ import annotations

import base64
import html
import io
from typing import Sequence


def Figure(**kwargs):
    """A matplotlib figure without pyplot (no GUI backend involved)."""
    from matplotlib.figure import Figure as MplFigure
    return MplFigure(**kwargs)


def plots_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True

from .render_csv import format_cell
from .render_md import headline_keys
from .table import TITLES, UNITS, Leaderboard, slug

MAX_SUBSET_PANELS = 8

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:0.9em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#f0f3f7;cursor:pointer;user-select:none}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
td.text,th.text{text-align:left}
tr.failed td{color:#999}
tr.group-odd td{background:#fafafa}
.note{color:#555;font-size:0.9em;max-width:70em}
figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}
"""

_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, col){
    th.addEventListener('click', function(){
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = !th.classList.contains('sorted-asc');
      table.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
      th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
      rows.sort(function(a, b){
        var x = a.cells[col].getAttribute('data-sort'), y = b.cells[col].getAttribute('data-sort');
        var nx = parseFloat(x), ny = parseFloat(y);
        var cmp;
        if (x === '' && y === '') cmp = 0; else if (x === '') return 1; else if (y === '') return -1;
        else if (!isNaN(nx) && !isNaN(ny)) cmp = nx - ny; else cmp = x.localeCompare(y);
        return asc ? cmp : -cmp;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
"""


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _ok_rows(leaderboard: Leaderboard) -> list[dict]:
    return [r for r in leaderboard.rows if r["status"] == "ok" and r.get(leaderboard.metric) is not None]


def _err(rows: Sequence[dict], key: str) -> list[list[float]] | None:
    lows, highs = [], []
    for r in rows:
        v, lo, hi = r.get(key), r.get(f"{key}_ci_low"), r.get(f"{key}_ci_high")
        lows.append(0.0 if lo is None or v is None else max(0.0, v - lo))
        highs.append(0.0 if hi is None or v is None else max(0.0, hi - v))
    return [lows, highs]


def scatter_plot(leaderboard: Leaderboard) -> str:
    """The ranking figure (y) against mixture accuracy (x), with 95 % interval bars; base64 PNG."""
    rows = [r for r in _ok_rows(leaderboard) if r.get("accuracy_mix") is not None]
    metric = leaderboard.metric if leaderboard.metric != "accuracy_mix" else "capi_sdri"
    rows = [r for r in rows if r.get(metric) is not None]
    fig = Figure(figsize=(7.5, 5))
    ax = fig.subplots()
    if rows:
        ax.errorbar([r["accuracy_mix"] for r in rows], [r[metric] for r in rows],
                    xerr=_err(rows, "accuracy_mix"), yerr=_err(rows, metric), fmt="o", ms=5, capsize=3,
                    color="#1f5fa8", ecolor="#8aa9cf")
        for r in rows:
            ax.annotate(str(r["code"]), (r["accuracy_mix"], r[metric]), textcoords="offset points",
                        xytext=(4, 4), fontsize=8)
    ax.set_xlabel("Mixture accuracy (%)")
    ax.set_ylabel(f"{TITLES[metric]} ({UNITS[metric]})")
    ax.set_title(f"{TITLES[metric]} vs mixture accuracy on '{leaderboard.subset}' (95 % CI)")
    ax.grid(alpha=0.3)
    data = _png(fig)
    return data


def subset_plot(leaderboard: Leaderboard) -> str | None:
    """Horizontal bars of the ranking figure, one panel per subset; base64 PNG (None with no subset)."""
    rows = _ok_rows(leaderboard)
    subsets = [s for s in leaderboard.subsets if not s.startswith("n_ref=")][:MAX_SUBSET_PANELS]
    if not rows or not subsets:
        return None
    height = max(2.5, 0.28 * len(rows) + 1.2)
    fig = Figure(figsize=(min(3.0 * len(subsets), 18), height))
    axes = fig.subplots(1, len(subsets), sharey=True, squeeze=False)
    positions = list(range(len(rows)))
    for ax, name in zip(axes[0], subsets):
        values = [r.get(f"{leaderboard.metric}_{slug(name)}") for r in rows]
        ax.barh(positions, [0.0 if v is None else v for v in values],
                color=["#1f5fa8" if v is not None else "#ddd" for v in values])
        ax.set_title(name, fontsize=10)
        ax.axvline(0, color="#444", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(positions)
    axes[0][0].set_yticklabels([str(r["code"]) for r in rows], fontsize=8)
    axes[0][0].invert_yaxis()
    fig.suptitle(f"{TITLES[leaderboard.metric]} ({UNITS[leaderboard.metric]}) per subset")
    data = _png(fig)
    return data


def rank_plot(leaderboard: Leaderboard) -> str | None:
    """Bootstrap 95 % rank intervals (line) and the rank (dot) of each system; base64 PNG."""
    rows = [r for r in _ok_rows(leaderboard) if r.get("rank_ci_low") is not None]
    if not rows:
        return None
    fig = Figure(figsize=(7.5, max(2.5, 0.28 * len(rows) + 1.2)))
    ax = fig.subplots()
    for y, r in enumerate(rows):
        ax.plot([r["rank_ci_low"], r["rank_ci_high"]], [y, y], color="#8aa9cf", lw=4, solid_capstyle="round")
        ax.plot([r["rank"]], [y], "o", color="#1f5fa8")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([str(r["code"]) for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Rank (1 = best)")
    ax.set_title("Rank and 95 % bootstrap rank interval")
    ax.grid(axis="x", alpha=0.3)
    data = _png(fig)
    return data


def _cell(column: str, value, text: str | None = None, is_text: bool = False) -> str:
    sort = "" if value is None else (str(value) if not isinstance(value, bool) else str(int(value)))
    shown = text if text is not None else (format_cell(column, value) or "—")
    cls = ' class="text"' if is_text else ""
    return f'<td{cls} data-sort="{html.escape(sort)}">{html.escape(shown)}</td>'


def _system_table(leaderboard: Leaderboard) -> str:
    keys = headline_keys(leaderboard)
    has_dev = any(r.get("dev_capi_sdri") is not None for r in leaderboard.rows)
    head = [("Rank", False), ("Code", True), ("Submission", True), ("Team rank", False)]
    for k in keys:
        head += [(f"{TITLES[k]} ({UNITS[k]})", False), ("95 % CI", True)]
    if has_dev:
        head += [("Dev CAPI-SDRi (dB)", False), ("Dev mixture acc. (%)", False)]
    head += [("Rank interval", True), ("Group", False), ("p vs next (Holm)", False), ("Params", False),
             ("Report", True)]
    subset_keys = [n for n in leaderboard.subsets if n != leaderboard.subset]
    head += [(f"{TITLES[leaderboard.metric]} {n}", False) for n in subset_keys]
    out = ['<table class="sortable" id="systems"><thead><tr>']
    out += [f'<th class="text">{html.escape(h)}</th>' if t else f"<th>{html.escape(h)}</th>" for h, t in head]
    out.append("</tr></thead><tbody>")
    for row in leaderboard.rows:
        classes = []
        if row["status"] != "ok":
            classes.append("failed")
        if (row.get("group") or 0) % 2 == 1:
            classes.append("group-odd")
        out.append(f'<tr class="{" ".join(classes)}">')
        rank_text = str(row["rank"]) + ("" if row["status"] == "ok" else " (failed)")
        cells = [_cell("rank", row["rank"], rank_text), _cell("code", row["code"], is_text=True),
                 _cell("label", row["label"], is_text=True), _cell("team_rank", row["team_rank"])]
        for k in keys:
            lo, hi = row.get(f"{k}_ci_low"), row.get(f"{k}_ci_high")
            ci = "" if lo is None or hi is None else f"[{format_cell(k, lo)}, {format_cell(k, hi)}]"
            cells += [_cell(k, row.get(k)), _cell(k, lo, ci, is_text=True)]
        if has_dev:
            cells += [_cell("dev_capi_sdri", row.get("dev_capi_sdri")),
                      _cell("dev_accuracy_mix", row.get("dev_accuracy_mix"))]
        interval = "" if row.get("rank_ci_low") is None else f"{row['rank_ci_low']}–{row['rank_ci_high']}"
        cells += [_cell("rank_ci_low", row.get("rank_ci_low"), interval, is_text=True),
                  _cell("group", row.get("group")), _cell("p_next_holm", row.get("p_next_holm")),
                  _cell("nparams", row.get("nparams")), _cell("report", row.get("report"), is_text=True)]
        cells += [_cell(leaderboard.metric, row.get(f"{leaderboard.metric}_{slug(n)}")) for n in subset_keys]
        out += cells + ["</tr>"]
    out.append("</tbody></table>")
    return "".join(out)


def _team_table(leaderboard: Leaderboard) -> str:
    metric = leaderboard.metric
    out = ['<table class="sortable" id="teams"><thead><tr><th>Rank</th><th class="text">Team</th>'
           f'<th class="text">Best system</th><th>{html.escape(TITLES[metric])} ({UNITS[metric]})</th>'
           "<th>Systems</th></tr></thead><tbody>"]
    for t in leaderboard.teams:
        out.append("<tr>" + _cell("rank", t["rank"]) + _cell("team", t["team"], is_text=True)
                   + _cell("best", t["best_system"], t["best_system"] or "—", is_text=True)
                   + _cell(metric, t.get(metric)) + _cell("n", len(t["systems"]), str(len(t["systems"]))) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(leaderboard: Leaderboard, title: str = "S5 leaderboard") -> str:
    """The whole page as a string."""
    stats = leaderboard.statistics
    note = ""
    if stats.get("n_mixtures"):
        note = (f"95 % intervals from a paired bootstrap ({stats['resamples']} resamples of the "
                f"{stats['n_mixtures']} mixtures every ranked system was scored on, seed {stats['seed']}). "
                f"Groups: consecutive systems whose adjacent differences are not significant after Holm "
                f"correction (α = {stats['alpha']}); rows of alternate groups are shaded. Ties share a rank; "
                f"failed submissions are ranked last.")
    plots = []
    if plots_available():
        plots = [("scatter", scatter_plot(leaderboard), "Ranking figure against mixture accuracy"),
                 ("subsets", subset_plot(leaderboard), "Per-subset figures"),
                 ("ranks", rank_plot(leaderboard), "Rank intervals")]
    else:
        note += " (Plots need matplotlib: pip install 's5eval[plots]'.)"
    figures = "".join(f'<figure id="plot-{key}"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
                      f"<figcaption>{html.escape(alt)}</figcaption></figure>"
                      for key, data, alt in plots if data)
    skipped = ""
    if leaderboard.skipped:
        skipped = "<h2>Skipped inputs</h2><ul>" + "".join(
            f"<li><code>{html.escape(p)}</code>: {html.escape(w)}</li>" for p, w in leaderboard.skipped) + "</ul>"
    heading = f"{title} — {TITLES[leaderboard.metric]} on '{leaderboard.subset}'"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(heading)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(heading)}</h1><p class=\"note\">{html.escape(note)}</p>"
            f"<h2>Systems</h2>{_system_table(leaderboard)}<h2>Teams</h2>{_team_table(leaderboard)}"
            f"<h2>Plots</h2>{figures}{skipped}<script>{_SCRIPT}</script></body></html>")
