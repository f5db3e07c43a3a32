"""The self-contained leaderboard page: structure, embedded plots, and rendering in headless Chromium."""
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
