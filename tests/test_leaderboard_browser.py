"""The leaderboard page in a real browser: headless Chromium driven by Selenium, offline, from file://.

Marked ``browser``; skipped cleanly when selenium, Chromium or chromedriver is missing (``.ci/run``
installs Debian's ``chromium`` and ``chromium-driver`` when it can). Checked at a phone width (390 px)
and a laptop width (1400 px): no console errors, no network request, the page never wider than the
window (the table scrolls inside its own box), the sticky Rank and Code columns stay in view after a
sideways scroll, sorting puts the best first and reverses on a second click, column groups hide and
show.

``S5EVAL_SCREENSHOTS=docs pytest -m browser tests/test_leaderboard_browser.py`` also saves the
screenshots ``docs/leaderboard_phone.png`` and ``docs/leaderboard_laptop.png``.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from s5eval.leaderboard import build_leaderboard, write_leaderboard
from s5eval.leaderboard.inputs import SystemResult

pytestmark = pytest.mark.browser

N_MIX = 96
# Subset memberships of the mixtures: zero_target mixtures have no target (CAPI-SDRi undefined there).
_N_REF = np.array([0] * 12 + [1] * 36 + [2] * 30 + [3] * 18)
TEAMS = [("Nguyen_NTT", "NTT", 2), ("Berg_UPF", "UPF", 3), ("Kim_KAIST", "KAIST", 2), ("Rossi_PoliMi", "PoliMi", 1),
         ("Sato_LINE", "LINE", 2), ("Baseline_DCASE", "BL", 1), ("Okafor_UNILAG", "UNILAG", 1)]


def _subsets(i: int) -> list[str]:
    names = ["all", "ranking", f"n_ref={_N_REF[i]}"]
    names.append("zero_target" if _N_REF[i] == 0 else ("single" if _N_REF[i] == 1 else "multiple"))
    if _N_REF[i] >= 2 and i % 3 == 0:
        names.append("duplicate")
    return names


def realistic_system(label: str, code: str, skill: float, rng: np.random.Generator, team: str) -> SystemResult:
    """A system scored on 96 mixtures with the subsets of an evaluation set, development figures included."""
    values = rng.normal(skill, 2.5, N_MIX)
    values[_N_REF == 0] = np.nan  # excluded from CAPI-SDRi
    correct = rng.random(N_MIX) < min(0.95, 0.35 + skill / 25)
    frame = pd.DataFrame({"soundscape": [f"mix{i:03d}" for i in range(N_MIX)],
                          "subsets": ["|".join(_subsets(i)) for i in range(N_MIX)],
                          "tp": correct.astype(int) + 1, "fp": (~correct).astype(int), "fn": (~correct).astype(int),
                          "mixture_correct": correct, "capi_sdri": values}).set_index("soundscape")
    names = list(dict.fromkeys(n for i in range(N_MIX) for n in _subsets(i)))
    subsets = {}
    for name in names:
        member = frame["subsets"].str.split("|").apply(lambda s, n=name: n in s).to_numpy()
        part = frame[member]
        capi = part["capi_sdri"].dropna()
        subsets[name] = {"capi_sdri": float(capi.mean()) if len(capi) else None,
                         "accuracy_mix": 100 * float(part["mixture_correct"].mean()),
                         "accuracy_src": 100 * float(part["tp"].sum() / (part["tp"] + part["fp"] + part["fn"]).sum()),
                         "ca_sdri_2025": float(capi.mean()) - 0.4 if len(capi) else None,
                         "n_mixtures": int(member.sum())}
    dev = {"capi_sdri": skill + 1.1, "accuracy_mix": min(99.0, 40 + 2.5 * skill), "accuracy_src": 60 + skill}
    info = {"label": label, "abbreviation": code, "team": team, "nparams": int(2e6 * (1 + skill)),
            "technical_report": f"{label}.technical_report.pdf", "dev_results": dev}
    return SystemResult(label, "ok", "", {"subsets": subsets, "summary": subsets["all"]}, frame, info)


def realistic_board(n_resamples: int = 2000):
    """Eleven systems of seven teams (two nearly tied), one failed submission."""
    rng = np.random.default_rng(7)
    systems = []
    skill = 13.0
    for team, affil, count in TEAMS:
        for n in range(1, count + 1):
            label = f"{team}_task4_{n}"
            systems.append(realistic_system(label, f"{affil[:6]}{n}", skill, rng, team))
            skill -= 0.15 + 1.5 * rng.random()
    systems.append(SystemResult("Zed_NoLab_task4_1", "failed", "", info={"label": "Zed_NoLab_task4_1"}))
    return build_leaderboard(systems, n_resamples=n_resamples, seed=0)


# ------------------------------------------------------------------------------------------ browser setup


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lb_browser")
    write_leaderboard(out, realistic_board())
    return out / "leaderboard.html"


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install selenium)")
    found = _chromium()
    if found is None:
        pytest.skip("Chromium or chromedriver not installed (apt-get install chromium chromium-driver)")
    browser, chromedriver = found
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        chrome = webdriver.Chrome(service=Service(chromedriver), options=options)
    except WebDriverException as exc:  # e.g. a driver that does not match the browser
        pytest.skip(f"Chromium could not be started: {exc.msg}")
    chrome.set_page_load_timeout(60)
    # Offline: every request beyond the file itself fails (and is seen in the performance log).
    chrome.execute_cdp_cmd("Network.enable", {})
    chrome.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                "downloadThroughput": 0, "uploadThroughput": 0})
    chrome.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
    yield chrome
    chrome.quit()


def _open(driver, page: Path, width: int, height: int = 900):
    """Load the page with the *viewport* (not the window) at width × height CSS pixels."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.get_log("browser")  # the logs of earlier pages: drained, so what follows is this page's
    driver.get_log("performance")
    driver.get(page.as_uri())
    return driver


def _requests(driver, page: Path) -> list[str]:
    """URLs the page requested since the last call, other than the page itself and inline data."""
    import json
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent" and \
                message["params"].get("documentURL") == page.as_uri():  # not the browser's own pages
            url = message["params"]["request"]["url"]
            if url != page.as_uri() and not url.startswith(("data:", "about:")):
                urls.append(url)
    return urls


def _header_index(driver, table: str, title: str) -> int:
    titles = driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{table} thead th')).map(th => th.textContent)")
    return titles.index(title)


def _column(driver, table: str, index: int, attribute: str = "data-sort") -> list[str]:
    return driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{table} tbody tr'))"
        f".map(tr => tr.cells[{index}].getAttribute('{attribute}'))")


def _click_header(driver, table: str, index: int) -> None:
    driver.execute_script(f"document.querySelectorAll('#{table} thead th')[{index}].click()")


def _numbers(texts: list[str]) -> list[float]:
    return [float(t) for t in texts if t != ""]


# ------------------------------------------------------------------------------------------ checks


@pytest.mark.parametrize("width", [390, 1400])
def test_no_console_errors_no_network_and_no_page_overflow(driver, page, width):
    _open(driver, page, width)
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR", "WARNING")]
    assert errors == []
    assert _requests(driver, page) == []
    meta = driver.execute_script("return document.querySelector('meta[name=viewport]').content")
    assert "width=device-width" in meta
    sizes = driver.execute_script("return [document.documentElement.scrollWidth, "
                                  "document.documentElement.clientWidth, window.innerWidth]")
    assert sizes[0] == sizes[1] == width, sizes
    wrap = driver.execute_script("var w = document.querySelector('.table-wrap'); "
                                 "return [w.scrollWidth, w.clientWidth]")
    assert wrap[0] > wrap[1]  # the table scrolls inside its own box
    images = driver.execute_script("return Array.from(document.images).map(i => [i.naturalWidth, "
                                   "i.getBoundingClientRect().right])")
    assert len(images) == 3 and all(natural > 0 and right <= width for natural, right in images)


@pytest.mark.parametrize("width", [390, 1400])
def test_sticky_columns_stay_visible_after_a_sideways_scroll(driver, page, width):
    _open(driver, page, width)
    script = """
      var wrap = document.querySelector('.table-wrap');
      var box = wrap.getBoundingClientRect();
      var row = document.querySelector('#systems tbody tr');
      var before = [row.cells[0].getBoundingClientRect().left, row.cells[1].getBoundingClientRect().left,
                    row.cells[2].getBoundingClientRect().left];
      wrap.scrollLeft = 600;
      var after = [row.cells[0].getBoundingClientRect(), row.cells[1].getBoundingClientRect(),
                   row.cells[2].getBoundingClientRect()];
      var code = after[1];
      var top = document.elementFromPoint(code.left + code.width / 2, code.top + code.height / 2);
      return {scrolled: wrap.scrollLeft, box: [box.left, box.right], before: before,
              after: after.map(r => [r.left, r.right]), topIsCode: top === row.cells[1] || row.cells[1].contains(top)};
    """
    state = driver.execute_script(script)
    assert state["scrolled"] > 0
    (rank_left, rank_right), (code_left, code_right), (third_left, _) = state["after"]
    assert abs(rank_left - state["before"][0]) < 1 and abs(code_left - state["before"][1]) < 1
    assert rank_left >= state["box"][0] - 1 and code_right <= state["box"][1]
    assert code_left >= rank_right - 1  # side by side, not on top of each other
    assert third_left < state["before"][2] - 100  # the rest of the row did move
    assert state["topIsCode"]  # drawn above the scrolled cells


def test_sorting_puts_the_best_first_then_reverses(driver, page):
    _open(driver, page, 1400)
    table = "systems"
    figure = _header_index(driver, table, "Mixture acc. (%)")
    _click_header(driver, table, figure)
    first = _numbers(_column(driver, table, figure))
    assert first == sorted(first, reverse=True) and first[0] > first[-1]
    assert _column(driver, table, figure)[-1] == ""  # the failed system stays last
    header = f"document.querySelectorAll('#{table} thead th')[{figure}].getAttribute('aria-sort')"
    assert driver.execute_script(f"return {header}") == "descending"
    _click_header(driver, table, figure)
    second = _numbers(_column(driver, table, figure))
    assert second == sorted(second) and driver.execute_script(f"return {header}") == "ascending"
    assert _column(driver, table, figure)[-1] == ""

    rank = _header_index(driver, table, "Rank")
    _click_header(driver, table, rank)
    ranks = _numbers(_column(driver, table, rank))
    assert ranks == sorted(ranks) and ranks[0] == 1  # rank-like: ascending first
    _click_header(driver, table, rank)
    assert _numbers(_column(driver, table, rank)) == sorted(ranks, reverse=True)

    p_next = _header_index(driver, table, "p vs next (Holm)")
    _click_header(driver, table, p_next)
    ps = _numbers(_column(driver, table, p_next))
    assert ps == sorted(ps)

    team_figure = _header_index(driver, "teams", "CAPI-SDRi (dB)")
    _click_header(driver, "teams", team_figure)
    values = _numbers(_column(driver, "teams", team_figure))
    assert values == sorted(values, reverse=True)


def test_column_groups_hide_and_show(driver, page):
    _open(driver, page, 1400)
    visible = ("return Array.from(document.querySelectorAll('#systems thead th'))"
               ".filter(th => th.offsetParent !== null).map(th => th.textContent)")
    everything = driver.execute_script(visible)
    assert "Dev CAPI-SDRi (dB)" in everything and "CAPI-SDRi single" in everything
    assert driver.execute_script("return document.querySelector('.controls').hidden") is False
    width_before = driver.execute_script("return document.querySelector('.table-wrap').scrollWidth")
    for group, title in (("subsets", "CAPI-SDRi single"), ("dev", "Dev CAPI-SDRi (dB)"), ("ci", "95 % CI"),
                         ("stats", "Rank interval")):
        driver.find_element("css selector", f'.controls input[data-group="{group}"]').click()
        assert title not in driver.execute_script(visible)
        cells = driver.execute_script(f"return Array.from(document.querySelectorAll('#systems td.g-{group}'))"
                                      ".filter(td => td.offsetParent !== null).length")
        assert cells == 0
    shown = driver.execute_script(visible)
    assert shown[:3] == ["Rank", "Code", "CAPI-SDRi (dB)"]
    assert driver.execute_script("return document.querySelector('.table-wrap').scrollWidth") < width_before
    driver.find_element("css selector", '.controls input[data-group="dev"]').click()
    assert "Dev CAPI-SDRi (dB)" in driver.execute_script(visible)


def test_screenshots_at_phone_and_laptop_width(driver, page, tmp_path):
    """Screenshots (saved under $S5EVAL_SCREENSHOTS when set, e.g. docs/) are not blank.

    Phone: the first screen at 390 × 844. Laptop: the whole page at 1400 px wide (table and plots).
    """
    target = Path(os.environ.get("S5EVAL_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    from matplotlib.image import imread
    for name, width, height in (("leaderboard_phone.png", 390, 844), ("leaderboard_laptop.png", 1400, None)):
        _open(driver, page, width, height or 900)
        if height is None:  # the whole page: a viewport as tall as the document
            full = driver.execute_script("return document.documentElement.scrollHeight")
            _open(driver, page, width, full)
        shot = target / name
        assert driver.save_screenshot(str(shot))
        pixels = imread(shot)
        assert pixels.shape[1] == width and pixels[..., :3].std() > 0.05
