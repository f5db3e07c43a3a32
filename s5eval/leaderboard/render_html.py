"""``leaderboard.html``: one self-contained page (no external resource, no network).

* A system table readable on a phone and a laptop: the page never grows wider
  than the window (the table scrolls sideways inside its own box), the Rank and
  Code columns stay in view while scrolling (``position: sticky``), and groups
  of columns (intervals, other figures, submission details, statistics,
  development figures, per-subset figures) can be shown or hidden with the
  check boxes above it. Without JavaScript every column is shown.
* Sorting: click a column header (or focus it and press Enter). The first
  click puts the best first: descending for figures where higher is better,
  ascending for rank-like columns (rank, team rank, rank interval, group,
  p-value), A–Z for text; the next click reverses. Empty cells stay last.
* Three matplotlib plots embedded as base64 PNG (extra ``s5eval[plots]``):
  the ranking figure against mixture accuracy with 95 % interval bars (labels
  placed so they do not overlap), per-subset bars (a panel only for a subset
  where the figure is defined), and bootstrap rank intervals (integer ticks).
"""
from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from typing import Callable, Collection, Sequence

from .render_csv import format_cell
from .render_md import headline_keys
from ..results import figures as catalogue
from .table import Leaderboard, slug


def Figure(**kwargs):
    """A matplotlib figure without pyplot (no GUI backend), on an Agg canvas so text can be measured."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure
    figure = MplFigure(**kwargs)
    FigureCanvasAgg(figure)
    return figure


def plots_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


MAX_SUBSET_PANELS = 8
BLUE, LIGHT_BLUE = "#1f5fa8", "#8aa9cf"

# --------------------------------------------------------------------------------------------------- plots


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _ok_rows(leaderboard: Leaderboard) -> list[dict]:
    return [r for r in leaderboard.rows if r["status"] == "ok" and r.get(leaderboard.metric) is not None]


def _err(rows: Sequence[dict], key: str) -> list[list[float]]:
    lows, highs = [], []
    for r in rows:
        v, lo, hi = r.get(key), r.get(f"{key}_ci_low"), r.get(f"{key}_ci_high")
        lows.append(0.0 if lo is None or v is None else max(0.0, v - lo))
        highs.append(0.0 if hi is None or v is None else max(0.0, hi - v))
    return [lows, highs]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Area shared by two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _inside(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


_DIRECTIONS = [(1, 1), (1, -1), (1, 0), (-1, 1), (-1, -1), (-1, 0), (0, 1), (0, -1)]
_RADII = (5, 12, 22, 34, 48, 64)  # points


def place_labels(ax, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], fontsize: float = 8,
                 marker_points: float = 6.0) -> list[tuple[float, float]]:
    """Annotate each point with its text where it overlaps no other label, no marker and stays in the axes.

    Greedy, in the order given (put the most important first): for each point, offsets at growing
    distances in eight directions are tried; the first free one wins, else the least overlapping. A
    label moved away from its point gets a thin leader line. Returns the chosen offsets in points.
    """
    figure = ax.figure
    figure.draw_without_rendering()  # the layout fixes the data-to-pixel transform
    renderer = figure.canvas.get_renderer()
    px = figure.dpi / 72.0
    frame = ax.get_window_extent(renderer)
    area = (frame.x0, frame.y0, frame.x1, frame.y1)
    points = ax.transData.transform(list(zip(xs, ys)))
    half = marker_points * px / 2
    markers = [(x - half, y - half, x + half, y + half) for x, y in points]
    placed: list[tuple[float, float, float, float]] = []
    chosen = []
    for k, ((x, y), text) in enumerate(zip(points, texts)):
        probe = ax.text(0, 0, text, fontsize=fontsize)
        extent = probe.get_window_extent(renderer)
        probe.remove()
        width, height = extent.width + 2, extent.height + 2
        best = None
        for radius in _RADII:
            for dx, dy in _DIRECTIONS:
                scale = radius / math.hypot(dx, dy)
                ox, oy = dx * scale, dy * scale
                ax_ = x + ox * px - (width if dx < 0 else width / 2 if dx == 0 else 0)
                ay_ = y + oy * px - (height if dy < 0 else height / 2 if dy == 0 else 0)
                box = (ax_, ay_, ax_ + width, ay_ + height)
                outside = width * height - _overlap(box, area)
                outside = outside if outside > 1e-6 else 0.0  # (rounding)
                cost = (sum(_overlap(box, other) for other in placed)
                        + sum(_overlap(box, m) for j, m in enumerate(markers) if j != k) + 4 * outside)
                if radius > _RADII[1]:  # a leader line: it must not cross another label
                    cost += 50 * sum(_inside(x + f * ox * px, y + f * oy * px, other)
                                     for f in (0.2, 0.4, 0.6, 0.8, 1.0) for other in placed)
                if best is None or cost < best[0]:
                    best = (cost, ox, oy, dx, dy, box)
                if cost == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None  # _RADII and _DIRECTIONS are not empty
        _, ox, oy, dx, dy, box = best
        placed.append(box)
        chosen.append((ox, oy))
        far = math.hypot(ox, oy) > _RADII[1] + 0.5
        note = ax.annotate(text, (xs[k], ys[k]), textcoords="offset points", xytext=(ox, oy), fontsize=fontsize,
                           ha="left" if dx > 0 else "right" if dx < 0 else "center",
                           va="bottom" if dy > 0 else "top" if dy < 0 else "center",
                           arrowprops=dict(arrowstyle="-", color="#999", lw=0.6, shrinkA=0, shrinkB=3) if far else None)
        note.set_in_layout(False)
    return chosen


def scatter_plot(leaderboard: Leaderboard) -> str | None:
    """The ranking figure (y) against mixture accuracy (x), with 95 % interval bars; base64 PNG."""
    figure = scatter_figure(leaderboard)
    return None if figure is None else _png(figure)


def scatter_figure(leaderboard: Leaderboard):
    """The matplotlib figure of :func:`scatter_plot` (None without a system to plot)."""
    metric = leaderboard.metric if leaderboard.metric != "accuracy_mix" else "capi_sdri"
    rows = [r for r in leaderboard.rows if r["status"] == "ok"
            and r.get("accuracy_mix") is not None and r.get(metric) is not None]
    if not rows:
        return None
    fig = Figure(figsize=(7.5, 5), layout="constrained")
    ax = fig.subplots()
    xs, ys = [r["accuracy_mix"] for r in rows], [r[metric] for r in rows]
    ax.errorbar(xs, ys, xerr=_err(rows, "accuracy_mix"), yerr=_err(rows, metric), fmt="o", ms=5, capsize=3,
                color=BLUE, ecolor=LIGHT_BLUE)
    ax.margins(x=0.12, y=0.12)  # room for the labels of the outermost points
    ax.set_xlabel("Mixture accuracy (%)")
    ax.set_ylabel(catalogue.label(metric))
    ax.set_title(f"{catalogue.title(metric)} vs mixture accuracy on '{leaderboard.subset}' (95 % CI)")
    ax.grid(alpha=0.3)
    place_labels(ax, xs, ys, [str(r["code"]) for r in rows])
    return fig


def _plotted_subsets(leaderboard: Leaderboard, rows: Sequence[dict]) -> list[str]:
    """Subsets with a panel: not the n_ref= breakdown, and only where some system has the figure."""
    names = [s for s in leaderboard.subsets if not s.startswith("n_ref=")]
    defined = [s for s in names if any(r.get(f"{leaderboard.metric}_{slug(s)}") is not None for r in rows)]
    return defined[:MAX_SUBSET_PANELS]


def subset_plot(leaderboard: Leaderboard) -> str | None:
    """Horizontal bars of the ranking figure, one panel per subset; base64 PNG (None with no subset)."""
    figure = subset_figure(leaderboard)
    return None if figure is None else _png(figure)


def subset_figure(leaderboard: Leaderboard):
    """The matplotlib figure of :func:`subset_plot`: up to four panels a line, under one title."""
    rows = _ok_rows(leaderboard)
    subsets = _plotted_subsets(leaderboard, rows)
    if not rows or not subsets:
        return None
    metric = leaderboard.metric
    columns = min(len(subsets), 4)
    lines = math.ceil(len(subsets) / columns)
    panel_height = max(1.8, 0.26 * len(rows) + 0.9)
    fig = Figure(figsize=(min(3.4 * columns, 14), panel_height * lines + 0.6), layout="constrained")
    axes = fig.subplots(lines, columns, sharey=True, squeeze=False)
    positions = list(range(len(rows)))
    for index, ax in enumerate(axes.flat):
        if index >= len(subsets):
            ax.set_visible(False)
            continue
        name = subsets[index]
        values = [r.get(f"{metric}_{slug(name)}") for r in rows]
        ax.barh(positions, [0.0 if v is None else v for v in values], color=BLUE)
        for y, v in zip(positions, values):
            if v is None:
                ax.text(0, y, " —", va="center", ha="left", fontsize=8, color="#777")
        n = rows[0].get(f"n_mixtures_{slug(name)}")
        ax.set_title(name if n is None else f"{name} ({int(n)} mixtures)", fontsize=9)
        ax.axvline(0, color="#444", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
        if index % columns == 0:
            ax.set_yticks(positions)
            ax.set_yticklabels([str(r["code"]) for r in rows], fontsize=8)
    axes[0][0].invert_yaxis()
    fig.suptitle(f"{catalogue.label(metric)} per subset", fontsize=11)
    return fig


def rank_plot(leaderboard: Leaderboard) -> str | None:
    """Bootstrap 95 % rank intervals (line) and the rank (dot) of each system; base64 PNG."""
    figure = rank_figure(leaderboard)
    return None if figure is None else _png(figure)


def rank_figure(leaderboard: Leaderboard):
    """The matplotlib figure of :func:`rank_plot` (integer rank ticks)."""
    from matplotlib.ticker import MaxNLocator
    rows = [r for r in _ok_rows(leaderboard) if r.get("rank_ci_low") is not None]
    if not rows:
        return None
    fig = Figure(figsize=(7.5, max(2.2, 0.28 * len(rows) + 1.2)), layout="constrained")
    ax = fig.subplots()
    for y, r in enumerate(rows):
        ax.plot([r["rank_ci_low"], r["rank_ci_high"]], [y, y], color=LIGHT_BLUE, lw=4, solid_capstyle="round")
        ax.plot([r["rank"]], [y], "o", color=BLUE)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([str(r["code"]) for r in rows], fontsize=8)
    ax.invert_yaxis()
    highest = max(max(r["rank_ci_high"], r["rank"]) for r in rows)
    ax.set_xlim(0.5, highest + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.set_xlabel("Rank (1 = best)")
    ax.set_title("Rank and 95 % bootstrap rank interval")
    ax.grid(axis="x", alpha=0.3)
    return fig


# --------------------------------------------------------------------------------------------------- table

# Column groups that can be hidden: (key, check box label). "core" (rank, code, ranking figure) always shows.
GROUPS = (("ci", "95 % intervals"), ("figures", "Other figures"), ("system", "Submission & team"),
          ("stats", "Statistics"), ("dev", "Development set"), ("subsets", "Per subset"))

_HIGHER = "desc"   # better is higher: best first on the first click
_LOWER = "asc"     # rank-like: best (lowest) first on the first click
_TEXT = "text"     # A–Z first


@dataclass(frozen=True)
class Column:
    title: str
    group: str
    order: str                                   # _HIGHER, _LOWER or _TEXT
    cell: Callable[[dict], tuple[object, str]]   # row -> (sort value, shown text)
    hint: str = ""
    sticky: int = 0                              # 1, 2: the first, second sticky column


def _value(column: str, key: str | None = None) -> Callable[[dict], tuple[object, str]]:
    key = key or column
    return lambda row: (row.get(key), format_cell(column, row.get(key)) or "—")


def _interval(key: str) -> Callable[[dict], tuple[object, str]]:
    def cell(row: dict) -> tuple[object, str]:
        lo, hi = row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high")
        if lo is None or hi is None:
            return None, "—"
        return lo, f"[{format_cell(key, lo)}, {format_cell(key, hi)}]"
    return cell


def _rank_interval(row: dict) -> tuple[object, str]:
    if row.get("rank_ci_low") is None:
        return None, "—"
    return row["rank_ci_low"], f"{row['rank_ci_low']}–{row['rank_ci_high']}"


def _submission(row: dict) -> tuple[object, str]:
    return row["label"], row["label"] + ("" if row["status"] == "ok" else " (failed)")


def system_columns(leaderboard: Leaderboard) -> list[Column]:
    """The columns of the system table, in order."""
    metric = leaderboard.metric
    keys = headline_keys(leaderboard)
    higher = "higher is better"
    cols = [Column("Rank", "core", _LOWER, lambda r: (r["rank"], str(r["rank"])),
                   "Competition rank (ties share a rank; failed submissions last)", sticky=1),
            Column("Code", "core", _TEXT, lambda r: (r["code"], str(r["code"])), "System abbreviation", sticky=2),
            Column(catalogue.label(metric), "core", _HIGHER, _value(metric),
                   f"The ranking figure on '{leaderboard.subset}'; {higher}"),
            Column("95 % CI", "ci", _HIGHER, _interval(metric), "Bootstrap 95 % interval (sorts by its low end)")]
    for key in keys[1:]:
        cols += [Column(catalogue.label(key), "figures", _HIGHER, _value(key), higher),
                 Column("95 % CI", "ci", _HIGHER, _interval(key), f"Bootstrap 95 % interval of {catalogue.title(key)}")]
    cols += [Column("Submission", "system", _TEXT, _submission, "Submission label"),
             Column("Team rank", "system", _LOWER, _value("team_rank"), "Rank of the team's best system")]
    dev = [("dev_capi_sdri", "Dev CAPI-SDRi (dB)"), ("dev_accuracy_mix", "Dev mixture acc. (%)"),
           ("dev_accuracy_src", "Dev source acc. (%)")]
    for key, title in dev:
        if any(r.get(key) is not None for r in leaderboard.rows):
            cols.append(Column(title, "dev", _HIGHER, _value(key), "Development test set, as the team reported it"))
    cols += [Column("Rank interval", "stats", _LOWER, _rank_interval, "Bootstrap 95 % interval of the rank"),
             Column("Group", "stats", _LOWER, _value("group"),
                    "Systems in one group are not significantly different from their neighbours"),
             Column("p vs next (Holm)", "stats", _LOWER, _value("p_next_holm"),
                    "Paired bootstrap p-value against the next system, Holm-corrected"),
             Column("Params", "system", _LOWER, _value("nparams"), "Parameter count"),
             Column("Report", "system", _TEXT, lambda r: (r.get("report") or None, r.get("report") or "—"),
                    "Technical report")]
    for name in leaderboard.subsets:
        if name != leaderboard.subset:
            cols.append(Column(f"{catalogue.title(metric)} {name}", "subsets", _HIGHER,
                               _value(metric, f"{metric}_{slug(name)}"), f"{catalogue.title(metric)} on '{name}'; {higher}"))
    return cols


def _sort_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _th(column: Column) -> str:
    classes = [f"g-{column.group}"] + ([f"sticky sticky-{column.sticky}"] if column.sticky else []) \
        + ([] if column.order != _TEXT else ["text"])
    first = {"desc": "highest first", "asc": "lowest first", "text": "A–Z"}[column.order]
    hint = f"{column.hint}. " if column.hint else ""
    return (f'<th class="{" ".join(classes)}" data-order="{column.order}" tabindex="0" scope="col" '
            f'title="{html.escape(hint)}Click to sort ({first}; again to reverse)">{html.escape(column.title)}</th>')


def _td(column: Column, row: dict) -> str:
    value, text = column.cell(row)
    classes = [f"g-{column.group}"] + ([f"sticky sticky-{column.sticky}"] if column.sticky else []) \
        + ([] if column.order != _TEXT else ["text"])
    title = f' title="{html.escape(text)}"' if column.sticky == 2 else ""
    return (f'<td class="{" ".join(classes)}" data-sort="{html.escape(_sort_text(value))}"{title}>'
            f"{html.escape(text)}</td>")


def _controls(table_id: str, groups: Collection[str]) -> str:
    boxes = "".join(f'<label><input type="checkbox" data-group="{key}" checked> {html.escape(text)}</label>'
                    for key, text in GROUPS if key in groups)
    return (f'<div class="controls" data-table="{table_id}" hidden><span class="controls-title">Columns:</span>'
            f"{boxes}</div>")


def _system_table(leaderboard: Leaderboard) -> str:
    columns = system_columns(leaderboard)
    out = [_controls("systems", {c.group for c in columns}),
           '<div class="table-wrap" role="region" aria-label="Systems (scrolls sideways)" tabindex="0">'
           '<table class="sortable" id="systems"><thead><tr>', "".join(_th(c) for c in columns),
           "</tr></thead><tbody>"]
    for index, row in enumerate(leaderboard.rows):
        classes = []
        if row["status"] != "ok":
            classes.append("failed")
        if (row.get("group") or 0) % 2 == 1:
            classes.append("group-odd")
        out.append(f'<tr class="{" ".join(classes)}" data-index="{index}">')
        out += [_td(c, row) for c in columns]
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _team_table(leaderboard: Leaderboard) -> str:
    metric = leaderboard.metric
    columns = [Column("Rank", "core", _LOWER, lambda t: (t["rank"], str(t["rank"])), "Team rank", sticky=1),
               Column("Team", "core", _TEXT, lambda t: (t["team"], t["team"]), "Author_Affiliation"),
               Column("Best system", "core", _TEXT, lambda t: (t["best_system"], t["best_system"] or "—")),
               Column(catalogue.label(metric), "core", _HIGHER, _value(metric),
                      "The team's best system; higher is better"),
               Column("Systems", "core", _HIGHER, lambda t: (len(t["systems"]), str(len(t["systems"]))),
                      "Systems submitted")]
    out = ['<div class="table-wrap" role="region" aria-label="Teams (scrolls sideways)" tabindex="0">'
           '<table class="sortable" id="teams"><thead><tr>', "".join(_th(c) for c in columns), "</tr></thead><tbody>"]
    for index, team in enumerate(leaderboard.teams):
        out.append(f'<tr data-index="{index}">' + "".join(_td(c, team) for c in columns) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


_STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;padding:16px 24px;
  max-width:1600px;color:#222;line-height:1.4;overflow-wrap:anywhere}
h1{font-size:1.45em;margin:.3em 0 .6em}h2{font-size:1.15em;margin-top:1.6em}
.note,.legend{color:#555;font-size:.9em;max-width:70em}
.controls{display:flex;flex-wrap:wrap;gap:.3em 1em;align-items:center;margin:.4em 0 .6em;font-size:.9em}
.controls[hidden]{display:none}
.controls-title{font-weight:600}
.controls label{white-space:nowrap;cursor:pointer}
.table-wrap{width:fit-content;max-width:100%;overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #ccc;
  border-radius:4px}
.table-wrap:focus{outline:2px solid #8aa9cf;outline-offset:2px}
table{border-collapse:separate;border-spacing:0;font-size:.9em;overflow-wrap:normal}
th,td{border-right:1px solid #ddd;border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;
  white-space:nowrap;background:#fff}
tbody tr:last-child td{border-bottom:0}
th{background:#f0f3f7;cursor:pointer;user-select:none}
th:focus{outline:2px solid #1f5fa8;outline-offset:-2px}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.text,th.text{text-align:left}
tr.group-odd td{background:#f6f7f9}
tr.failed td{color:#888;font-style:italic}
.sticky{position:sticky;z-index:1}
th.sticky{z-index:3}
.sticky-1{left:0}
.sticky-2{left:var(--sticky-2,3.6em);max-width:10em;overflow:hidden;text-overflow:ellipsis;
  box-shadow:inset -2px 0 0 #b8c2cf}
figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}
""" + "".join(f"table.hide-{key} .g-{key}{{display:none}}" for key, _ in GROUPS) + """
@media (max-width:600px){
  body{padding:10px 10px}
  h1{font-size:1.2em}
  table{font-size:.85em}
  th,td{padding:4px 6px}
  .sticky-2{max-width:7em}
}
"""

_SCRIPT = """
(function(){
  'use strict';
  function stickyOffsets(table){
    var first = table.querySelector('thead th.sticky-1');
    if (first) table.style.setProperty('--sticky-2', first.getBoundingClientRect().width + 'px');
  }
  function sortKey(row, col){
    var cell = row.cells[col];
    return cell ? (cell.getAttribute('data-sort') || '') : '';
  }
  function sortBy(table, th, col){
    var first = th.getAttribute('data-order');
    var now = th.getAttribute('aria-sort');
    var ascending = now ? now === 'descending' : first !== 'desc';
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(h){ h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var sign = ascending ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a, b){
      var x = sortKey(a, col), y = sortKey(b, col);
      var ia = +a.getAttribute('data-index'), ib = +b.getAttribute('data-index');
      if (x === '' || y === '') return (x === '') - (y === '') || ia - ib;  /* empty cells last */
      var nx = Number(x), ny = Number(y), cmp;
      if (first !== 'text' && !isNaN(nx) && !isNaN(ny)) cmp = nx - ny; else cmp = x.localeCompare(y);
      return sign * cmp || ia - ib;
    });
    rows.forEach(function(r){ body.appendChild(r); });
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(th, col){
      if (!th.hasAttribute('data-order')) return;
      th.addEventListener('click', function(){ sortBy(table, th, col); });
      th.addEventListener('keydown', function(e){
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(table, th, col); }
      });
    });
    stickyOffsets(table);
  });
  document.querySelectorAll('.controls').forEach(function(box){
    var table = document.getElementById(box.getAttribute('data-table'));
    if (!table) return;
    box.hidden = false;
    box.querySelectorAll('input[data-group]').forEach(function(input){
      var apply = function(){
        table.classList.toggle('hide-' + input.getAttribute('data-group'), !input.checked);
        stickyOffsets(table);
      };
      input.addEventListener('change', apply);
      apply();
    });
  });
  window.addEventListener('resize', function(){
    document.querySelectorAll('table.sortable').forEach(stickyOffsets);
  });
})();
"""


def render_html(leaderboard: Leaderboard, title: str = "S5 leaderboard") -> str:
    """The whole page as a string."""
    stats = leaderboard.statistics
    note = ""
    if stats.get("n_mixtures"):
        note = (f"95 % intervals from a paired bootstrap ({stats['resamples']} resamples of the "
                f"{stats['n_mixtures']} mixtures every ranked system was scored on, seed {stats['seed']}). "
                f"Groups: consecutive systems whose adjacent differences are not significant after Holm "
                f"correction (α = {stats['alpha']}); rows of alternate groups are shaded. ")
    elif stats.get("unavailable"):
        note = f"No bootstrap statistics: {stats['unavailable']}. "
    note += "Ties share a rank; failed submissions (grey) are ranked last."
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
    legend = ("Click a column header to sort (best first; click again to reverse). The table scrolls sideways; "
              "Rank and Code stay in view. “—”: undefined (e.g. every mixture of a subset is excluded from "
              "CAPI-SDRi) or not given.")
    heading = f"{title} — {catalogue.title(leaderboard.metric)} on '{leaderboard.subset}'"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(heading)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(heading)}</h1><p class=\"note\">{html.escape(note)}</p>"
            f"<h2>Systems</h2>{_system_table(leaderboard)}<p class=\"legend\">{html.escape(legend)}</p>"
            f"<h2>Teams</h2>{_team_table(leaderboard)}"
            f"<h2>Plots</h2>{figures}{skipped}<script>{_SCRIPT}</script></body></html>")
