"""The self-contained leaderboard page: structure, embedded plots, and rendering in headless Chromium.

The page in a real browser (widths, sticky columns, sorting, column groups) is checked by
``test_leaderboard_browser.py``.
"""
from __future__ import annotations

import base64
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from s5eval.leaderboard import build_leaderboard, write_leaderboard
from s5eval.leaderboard.inputs import SystemResult

SUBSETS = ("all", "single", "duplicate", "ranking")


def _system(label: str, offset: float, rng: np.random.Generator) -> SystemResult:
    values = rng.normal(5 + offset, 2, 80)
    correct = rng.random(80) < 0.5 + offset / 20
    frame = pd.DataFrame({"soundscape": [f"m{i}" for i in range(80)], "subsets": "|".join(SUBSETS),
                          "tp": correct.astype(int), "fp": 0, "fn": (~correct).astype(int),
                          "mixture_correct": correct, "capi_sdri": values}).set_index("soundscape")
    fig = {"capi_sdri": float(values.mean()), "accuracy_mix": 100 * float(correct.mean()),
           "accuracy_src": 100 * float(correct.mean()), "n_mixtures": 80}
    results = {"subsets": {s: dict(fig, capi_sdri=fig["capi_sdri"] + i) for i, s in enumerate(SUBSETS)},
               "summary": fig}
    return SystemResult(label, "ok", "", results, frame, {"label": label, "abbreviation": label[:6]})


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    rng = np.random.default_rng(0)
    systems = [_system(f"T{i}_lab_task4_1", 0.8 * i, rng) for i in range(6)]
    systems.append(SystemResult("Zed_lab_task4_1", "failed", "", info={"label": "Zed_lab_task4_1"}))
    out = tmp_path_factory.mktemp("lb")
    write_leaderboard(out, build_leaderboard(systems, n_resamples=500))
    return out / "leaderboard.html"


def test_page_is_self_contained_with_three_plots(page):
    text = page.read_text()
    assert not re.search(r'(src|href)="(https?:)?//', text)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 3
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'id="systems"' in text and 'id="teams"' in text and "<script>" in text
    assert text.count("<tr") >= 1 + 7 + 1 + 7  # headers and one row per system / team
    assert "(failed)" in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_chromium_renders_table_and_plots(page, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed (apt-get install -y chromium) - page rendering not checked")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<img") == 3 and 'id="systems"' in dom.stdout
    shot = tmp_path / "shot.png"
    run = subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    from matplotlib.image import imread
    pixels = imread(shot)
    assert pixels.shape[0] == 1000 and pixels.shape[1] == 1400
    assert pixels[..., :3].std() > 0.05  # not a blank page


def test_page_is_responsive_sortable_and_groups_columns(page):
    text = page.read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert '<div class="table-wrap"' in text and "overflow-x:auto" in text  # the table scrolls, not the page
    assert text.count('class="g-core sticky sticky-1"') >= 2  # Rank stays in view (both tables)
    assert 'class="g-core sticky sticky-2 text"' in text       # and Code
    order = {title: direction for direction, title in re.findall(r'data-order="(\w+)"[^>]*>([^<]+)</th>', text)}
    assert order["Rank"] == "asc" and order["Team rank"] == "asc" and order["Group"] == "asc"
    assert order["CAPI-SDRi (dB)"] == "desc" and order["Mixture acc. (%)"] == "desc"
    assert order["p vs next (Holm)"] == "asc" and order["Code"] == "text"
    for group in ("ci", "figures", "system", "stats", "subsets"):
        assert f'data-group="{group}"' in text and f"table.hide-{group} .g-{group}{{display:none}}" in text


def test_sort_direction_in_the_script():
    """Without a browser: the first click follows data-order (desc for better-is-higher), the next reverses."""
    from s5eval.leaderboard.render_html import _SCRIPT
    assert "now ? now === 'descending' : first !== 'desc'" in _SCRIPT


@pytest.fixture(scope="module")
def realistic():
    from test_leaderboard_browser import realistic_board
    return realistic_board(n_resamples=300)


def test_subset_panels_skip_undefined_subsets_and_title_does_not_overlap(realistic):
    pytest.importorskip("matplotlib")
    from s5eval.leaderboard.render_html import subset_figure
    board = realistic
    assert "zero_target" in board.subsets  # CAPI-SDRi is undefined there for every system
    figure = subset_figure(board)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    panels = [ax for ax in figure.axes if ax.get_visible()]
    titles = [ax.title.get_text() for ax in panels]
    assert titles and not any(t.startswith(("zero_target", "n_ref=")) for t in titles)
    suptitle = figure._suptitle.get_window_extent(renderer)
    for ax in panels:
        assert not suptitle.overlaps(ax.title.get_window_extent(renderer)), ax.title.get_text()


def test_scatter_labels_do_not_overlap(realistic):
    pytest.importorskip("matplotlib")
    from matplotlib.text import Text
    from s5eval.leaderboard.render_html import scatter_figure
    figure = scatter_figure(realistic)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    (ax,) = figure.axes
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the text, not its leader line
    assert len(boxes) == 12
    for i, a in enumerate(boxes):
        assert all(not a.overlaps(b) for b in boxes[i + 1:])
        assert ax.get_window_extent(renderer).contains(a.x0, a.y0) and ax.get_window_extent(renderer).contains(a.x1, a.y1)


def test_place_labels_separates_identical_points():
    pytest.importorskip("matplotlib")
    from matplotlib.text import Text
    from s5eval.leaderboard.render_html import Figure, place_labels
    figure = Figure(figsize=(5, 4), layout="constrained")
    ax = figure.subplots()
    xs, ys = [1.0] * 6 + [2.0, 3.0], [1.0] * 6 + [2.0, 1.5]
    ax.plot(xs, ys, "o")
    ax.margins(0.2)
    place_labels(ax, xs, ys, [f"SYS{i}" for i in range(8)])
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the text, not its leader line
    assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_rank_plot_ticks_are_integers(realistic):
    pytest.importorskip("matplotlib")
    from s5eval.leaderboard.render_html import rank_figure
    figure = rank_figure(realistic)
    figure.draw_without_rendering()
    (ax,) = figure.axes
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
