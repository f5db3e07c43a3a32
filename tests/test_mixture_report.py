"""The per-mixture report (``explain --html``, ``score --report N``) without a browser: content, links, limits.

The pairing table must show the numbers of ``explain_mixture``; FN and FP entries stand alone; every link and
asset resolves inside the folder; hostile names are escaped; bad requests are findings, never tracebacks.
"""
from __future__ import annotations

import builtins
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.scoring.explain import explain_mixture
from s5fixtures import RATE, make_case

pytest.importorskip("matplotlib", reason="the report needs matplotlib (extra s5eval[report])")

HOSTILE = 'mix<img src=x onerror=alert(1)>&"\''  # a legal file name on POSIX


class _Page(HTMLParser):
    """Links, sources and the rows of each entries table of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.kinds: list[str] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.urls.append(a[key])
        if tag == "table" and a.get("data-selection"):
            self._table = a["data-selection"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag == "div" and a.get("data-kind"):
            self.kinds.append(a["data-kind"])

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """Six mixtures; mixD misses Dishes (FN) and invents Cough (FP); mixE has two Speech references, one estimate."""
    root = tmp_path_factory.mktemp("report")
    mixtures = {"mixA": ["Speech"], "mixB": ["Dishes", "Speech"], "mixC": ["Typing"], "mixD": ["Speech", "Dishes"],
                "mixE": ["Speech", "Speech"], "mixF": []}
    ref, sub = make_case(root, mixtures, seed=3, seconds=0.5, est_labels={"mixD": ["Speech", "Cough"],
                                                                          "mixE": ["Speech"]})
    return ref, sub


def _run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def test_explain_html_shows_explain_mixture_numbers_fn_and_fp(case, tmp_path):
    ref, sub = case
    out = tmp_path / "one"
    result = _run("explain", sub, "mixD", "--ref", ref, "--html", out)
    assert result.exit_code == 0, result.output
    data = explain_mixture(sub, ref, "mixD")
    page = _parse(out / "m001.html")
    rows = page.tables["official"][1:]  # after the header
    assert [r[0] for r in rows] == ["TP", "FN", "FP"]
    (pair,) = data["official"]["pairs"]
    tp = rows[0]
    assert tp[1:4] == [pair["label"], pair["estimate"], pair["reference"]]
    assert [float(v) for v in tp[4:7]] == pytest.approx([pair["sdr"], pair["sdr_mixture"], pair["sdri"]], abs=0.006)
    assert rows[1][3] == data["official"]["missed"][0]["reference"] and rows[1][2] == "—"
    assert rows[2][2] == data["official"]["spurious"][0]["estimate"] and rows[2][3] == "—"
    assert page.kinds == ["tp", "fn", "fp"]  # side by side as paired; FN and FP each alone
    text = (out / "m001.html").read_text()
    assert f"{data['official']['capi_sdri']:.3f} dB" in text
    # the audio: one Ogg file per signal (mixture + 2 references + 2 estimates), decodable, full length
    audio = sorted(u for u in page.urls if u.endswith(".ogg"))
    assert len(audio) == 5
    for url in audio:
        samples, rate = sf.read(out / url)
        assert rate == RATE and samples.ndim == 1 and abs(len(samples) - RATE // 2) < 2
    assert len([u for u in page.urls if u.endswith(".png") and u != "colourbar.png"]) == 5
    assert "official" in result.output or "CAPI-SDRi" in result.output  # the text explanation is still printed


def test_explain_html_shows_both_selections_when_they_differ(tmp_path):
    data_dir = Path(__file__).parent / "data" / "conformance"
    out = tmp_path / "r"
    result = _run("explain", data_dir / "sub", "soundscape_0057", "--ref", data_dir / "ref", "--html", out, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == explain_mixture(data_dir / "sub", data_dir / "ref", "soundscape_0057")
    page = _parse(out / "m001.html")
    assert set(page.tables) == {"official", "paper"}
    paper_pairs = {(r[2], r[3]) for r in page.tables["paper"][1:] if r[0] == "TP"}
    assert paper_pairs == {(p["estimate"], p["reference"]) for p in data["paper"]["pairs"]}
    assert 'class="changed"' in (out / "m001.html").read_text()


def test_score_report_lists_links_and_class_figures(case, tmp_path):
    ref, sub = case
    out = tmp_path / "scored"
    result = _run("score", sub, "--ref", ref, "--out", out, "--report", "2", "--bootstrap", "0", "--workers", "2")
    assert result.exit_code == 0, result.output
    report = out / "report"
    per_mixture = {line.split(",")[0]: line.split(",")[8] for line in
                   (out / "per_mixture.csv").read_text().splitlines()[1:]}
    values = sorted((float(v), m) for m, v in per_mixture.items() if v)
    index = (report / "index.html").read_text()
    worst = re.findall(r'<a href="(m\d+\.html)">([^<]+)</a>', index.split('id="list1"')[0])
    assert [name for _, name in worst] == [m for _, m in values[:2]]
    best = re.findall(r'<a href="(m\d+\.html)">([^<]+)</a>', index.split('id="list1"')[1].split('id="classes"')[0])
    assert [name for _, name in best] == [m for _, m in values[::-1][:2]]
    pages = sorted(report.glob("m*.html"))
    assert len(pages) == 4
    for i, page_path in enumerate(pages):  # previous/next chain, worst first
        text = page_path.read_text()
        assert ('rel="prev"' in text) == (i > 0) and ('rel="next"' in text) == (i < len(pages) - 1)
        assert 'href="index.html"' in text
    for page_path in report.glob("*.html"):  # every link and asset is a file of the folder
        for url in _parse(page_path).urls:
            assert not re.match(r"^[a-z]+:", url), url
            assert (report / url).is_file(), (page_path.name, url)
    classes = json.loads((out / "results.json").read_text())["per_class"]
    class_pages = {re.search(r"<h1>([^<]+)</h1>", p.read_text()).group(1): p.read_text() for p in report.glob("c*.html")}
    assert set(class_pages) == set(classes)
    for label, figures in classes.items():
        text = class_pages[label]
        assert f"TP {figures['tp']} · FP {figures['fp']} · FN {figures['fn']}" in text
        if figures["tp_sdri"] is not None:
            assert f"<b>{figures['tp_sdri']:.2f} dB</b>" in text


def test_report_limits_and_folder_are_checked_before_any_work(case, tmp_path):
    ref, sub = case
    for n in ("0", "101"):
        result = _run("score", sub, "--ref", ref, "--out", tmp_path / "o", "--report", n)
        assert result.exit_code == 2 and "E_REPORT_LIMIT" in result.output and "100" in result.output
        assert not (tmp_path / "o").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.tex").write_text("keep me")
    for args in (("score", sub, "--ref", ref, "--report", "1", "--report-dir", busy),
                 ("explain", sub, "mixA", "--ref", ref, "--html", busy)):
        result = _run(*args)
        assert result.exit_code == 2 and "E_REPORT_DIR" in result.output
    assert [p.name for p in busy.iterdir()] == ["thesis.tex"]
    inside = _run("explain", sub, "mixA", "--ref", ref, "--html", sub / "r")
    assert inside.exit_code == 2 and "E_OUT_INSIDE_INPUT" in inside.output
    # an earlier report is replaced as a whole
    again = tmp_path / "again"
    assert _run("explain", sub, "mixA", "--ref", ref, "--html", again).exit_code == 0
    assert _run("explain", sub, "mixB", "--ref", ref, "--html", again).exit_code == 0
    assert "mixB" in (again / "m001.html").read_text() and not list(tmp_path.glob(".again*"))
    unknown = _run("explain", sub, "mixZ", "--ref", ref, "--html", tmp_path / "z")
    assert unknown.exit_code == 2 and "E_UNKNOWN_MIXTURE" in unknown.output and not (tmp_path / "z").exists()


def test_missing_matplotlib_names_the_extra(case, tmp_path, monkeypatch):
    ref, sub = case
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'", name="matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    for args in (("explain", sub, "mixA", "--ref", ref, "--html", tmp_path / "h"),
                 ("score", sub, "--ref", ref, "--report", "3", "--report-dir", tmp_path / "h")):
        result = _run(*args)
        assert result.exit_code == 2 and "E_REPORT_DEPENDENCY" in result.output and "s5eval[report]" in result.output
    assert not (tmp_path / "h").exists()


def test_hostile_names_are_escaped_and_probabilities_shown(tmp_path):
    ref, bare = make_case(tmp_path, {HOSTILE: ["Speech", "Dishes"]}, seconds=0.25)
    package = tmp_path / "Smith_ACME_task4_1"
    (package / "eval_out").mkdir(parents=True)
    estimates = []
    for i, wav in enumerate(sorted(bare.glob("*.wav"))):
        wav.rename(package / "eval_out" / wav.name)
        estimates.append({"filename": wav.name, "label": wav.stem.rsplit("_", 1)[1], "probability": 0.25 + i / 10})
    document = {"nparams": 1, "probabilities": [{"soundscape": HOSTILE, "estimate": estimates}], "config": None}
    (package / "eval_results.json").write_text(json.dumps(document))
    out = tmp_path / "h"
    result = _run("explain", package, HOSTILE, "--ref", ref, "--html", out)
    assert result.exit_code == 0, result.output
    for page_path in out.glob("*.html"):
        text = page_path.read_text()
        assert "<img src=x" not in text and "onerror=alert(1)>" not in text
    text = (out / "m001.html").read_text()
    assert "mix&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#x27;" in text
    assert "probability 0.250" in text and "probability 0.350" in text
    assert sorted(p.name for p in (out / "m001").iterdir())[0] == "est0.ogg"  # asset names never come from input


def test_zip_submission_report_and_size(case, tmp_path):
    import shutil
    ref, sub = case
    archive = Path(shutil.make_archive(str(tmp_path / "sub"), "zip", sub))
    out = tmp_path / "rep"
    result = _run("score", archive, "--ref", ref, "--report", "1", "--report-dir", out, "--report-worst-only",
                  "--bootstrap", "0", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("m*.html"))) == 1 and "sub.zip" in (out / "index.html").read_text()
    size = sum(p.stat().st_size for p in (out / "m001").iterdir())
    assert size < 80_000  # half a second of audio: a few signals of a few kB each
    assert np.isfinite(size)
