"""The mixture report in a real browser: headless Chromium driven by Selenium, offline, from file://.

Marked ``browser``; skipped cleanly when selenium, Chromium or chromedriver is missing (the same set-up as
``test_leaderboard_browser.py``, whose ``driver`` fixture is used). At a phone width (390 px) and a laptop
width (1366 px): no console error, no network request, the page never wider than the window, every image
drawn and every audio element playable (its Ogg Vorbis source decodes: ``canplay`` with a finite duration).

``S5EVAL_SCREENSHOTS=docs pytest -m browser tests/test_mixture_report_browser.py`` also saves
``docs/mixture_report_laptop.png`` and ``docs/mixture_report_phone.png`` (of this test's small synthetic
case; ``docs/make_mixture_report_screenshots.py`` makes the ones of 10-second mixtures in the README).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from s5eval.cli import cli
from s5fixtures import make_case
from test_leaderboard_browser import driver  # noqa: F401  (the shared offline Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    pytest.importorskip("matplotlib")
    root = tmp_path_factory.mktemp("report_browser")
    ref, sub = make_case(root, {"mixA": ["Speech", "Dishes"], "mixB": ["Speech", "Speech"], "mixC": ["Typing"],
                                "mixD": ["Cough"]}, seed=5, seconds=1.0,
                         est_labels={"mixA": ["Speech", "Cough"], "mixB": ["Speech"]})
    out = root / "report"
    result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(ref), "--report", "2", "--report-dir", str(out),
                                      "--bootstrap", "0", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def _open(chrome, page: Path, width: int, height: int = 900):
    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    chrome.get_log("browser")
    chrome.get_log("performance")
    chrome.get(page.as_uri())


def _outside_requests(chrome, folder: Path) -> list[str]:
    """URLs requested that are not files of the report folder (or inline data)."""
    urls = []
    for entry in chrome.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith((folder.as_uri() + "/", "data:", "about:")):
                urls.append(url)
    return urls


PLAYABLE = """
const done = arguments[arguments.length - 1];
const audios = Array.from(document.querySelectorAll('audio'));
const states = audios.map(a => new Promise(resolve => {
  const report = ok => resolve({src: a.currentSrc, ok: ok, duration: a.duration, ready: a.readyState,
                                error: a.error ? a.error.code : null});
  if (a.readyState >= 3) { report(true); return; }
  a.addEventListener('canplay', () => report(true), {once: true});
  a.addEventListener('error', () => report(false), {once: true});
  setTimeout(() => report(a.readyState >= 3), 15000);
  a.preload = 'auto';
  a.load();
}));
Promise.all(states).then(done);
"""


@pytest.mark.parametrize("width", [390, 1366])
def test_pages_load_offline_play_and_fit(driver, report, width):  # noqa: F811
    driver.set_script_timeout(40)
    pages = [report / "index.html", *sorted(report.glob("m*.html")), next(report.glob("c*.html"))]
    assert len(pages) >= 4
    for page in pages:
        _open(driver, page, width)
        assert driver.execute_script("return document.readyState") == "complete"
        audio = driver.execute_async_script(PLAYABLE)
        if page.name.startswith("m"):
            assert len(audio) >= 3  # mixture, references, estimates
        for state in audio:
            assert state["ok"] and state["error"] is None and 0 < state["duration"] < 1e6, state
        images = driver.execute_script("return Array.from(document.images).map(i => [i.complete, i.naturalWidth, "
                                       "i.getBoundingClientRect().right])")
        assert all(complete and natural > 0 and right <= width + 0.5 for complete, natural, right in images), images
        sizes = driver.execute_script("return [document.documentElement.scrollWidth, "
                                      "document.documentElement.clientWidth, document.body.scrollWidth]")
        assert sizes[0] == sizes[1] == width and sizes[2] <= width, (page.name, sizes)
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR", "WARNING")]
        assert errors == [], (page.name, errors)
        assert _outside_requests(driver, report) == [], page.name
        assert driver.execute_script("return document.querySelector('meta[name=viewport]').content") \
            == "width=device-width, initial-scale=1"


def test_fn_and_fp_shown_and_links_work(driver, report):  # noqa: F811
    pages = sorted(report.glob("m*.html"))
    kinds = set()
    for page in pages:
        _open(driver, page, 1366)
        kinds |= set(driver.execute_script("return Array.from(document.querySelectorAll('[data-kind]'))"
                                           ".map(d => d.dataset.kind)"))
    assert {"tp", "fn", "fp"} <= kinds
    _open(driver, pages[0], 1366)
    driver.find_element("css selector", 'a[rel="next"]').click()
    assert driver.current_url == pages[1].as_uri()
    driver.find_element("link text", "overview").click()
    assert driver.current_url == (report / "index.html").as_uri()


def test_screenshots(driver, report, tmp_path):  # noqa: F811
    """Screenshots of the worst mixture's page (saved under $S5EVAL_SCREENSHOTS when set) are not blank."""
    from matplotlib.image import imread

    target = Path(os.environ.get("S5EVAL_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    for name, width, height in (("mixture_report_phone.png", 390, 844), ("mixture_report_laptop.png", 1366, 900)):
        _open(driver, report / "m001.html", width, height)
        shot = target / name
        assert driver.save_screenshot(str(shot))
        pixels = imread(shot)
        assert pixels.shape[1] == width and pixels[..., :3].std() > 0.05
