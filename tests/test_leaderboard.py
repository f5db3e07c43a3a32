"""Leaderboard: ranks with ties, failed last, team best, statistics columns, outputs, meta YAML names."""
from __future__ import annotations

import csv
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.io.package import (DevDetail, EstimateEntry, dev_results_document, eval_results_document,
                               write_dev_results, write_eval_results, write_meta)
from s5eval.leaderboard import build_leaderboard, load_inputs, write_leaderboard
from s5eval.leaderboard.inputs import SystemResult, dev_figures
from s5eval.leaderboard.ranking import competition_ranks, team_ranking
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.batch import score_all
from s5fixtures import make_case


def test_competition_ranks_ties_and_missing_last():
    assert competition_ranks([3.0, 5.0, 5.0, None, 1.0]) == [3, 1, 1, 5, 4]
    assert competition_ranks([None, None]) == [1, 1]
    assert competition_ranks([2.0000000001, 2.0]) == [1, 1]  # equal at the tie precision


def test_team_ranking_takes_each_teams_best_system():
    labels = ["A_x_task4_1", "A_x_task4_2", "B_y_task4_1", "C_z_task4_1"]
    teams = ["A_x_task4", "A_x_task4", "B_y_task4", "C_z_task4"]
    entries = team_ranking(labels, teams, [4.0, 7.0, 5.0, None])
    assert [(e.team, e.best_label, e.rank) for e in entries] == [
        ("A_x_task4", "A_x_task4_2", 1), ("B_y_task4", "B_y_task4_1", 2), ("C_z_task4", None, 3)]


def _system(label: str, values: np.ndarray, correct: np.ndarray, status: str = "ok",
            subsets: tuple[str, ...] = ("all",)) -> SystemResult:
    if status != "ok":
        return SystemResult(label, "failed", "", info={"label": label})
    names = [f"m{i:03d}" for i in range(values.size)]
    frame = pd.DataFrame({"soundscape": names, "subsets": "|".join(subsets), "tp": correct.astype(int),
                          "fp": 1 - correct.astype(int), "fn": 0, "mixture_correct": correct.astype(bool),
                          "capi_sdri": values}).set_index("soundscape")
    fig = {"capi_sdri": float(np.nanmean(values)), "accuracy_mix": 100 * float(correct.mean()),
           "accuracy_src": 100 * float(correct.sum() / values.size), "n_mixtures": values.size}
    results = {"subsets": {name: dict(fig) for name in subsets}, "summary": fig, "provenance": {}}
    return SystemResult(label, "ok", "", results, frame, {"label": label})


@pytest.fixture(scope="module")
def systems():
    rng = np.random.default_rng(0)
    base = rng.normal(5, 3, 120)
    correct = rng.random(120) < 0.6
    return [
        _system("A_x_task4_1", base + 2.0 + rng.normal(0, 0.3, 120), correct),
        _system("A_x_task4_2", base + 2.0 + rng.normal(0, 0.3, 120), correct),
        _system("B_y_task4_1", base, correct),
        _system("B_y_task4_2", base.copy(), correct),  # exactly tied with B_y_task4_1
        _system("C_z_task4_1", base - 3.0, correct),
        _system("D_w_task4_1", base, correct, status="failed"),
    ]


def test_ranks_ties_failed_last_groups(systems):
    board = build_leaderboard(systems, n_resamples=1000, seed=0)
    rows = {r["label"]: r for r in board.rows}
    assert board.subset == "all"
    assert rows["B_y_task4_1"]["rank"] == rows["B_y_task4_2"]["rank"] == 3
    assert rows["C_z_task4_1"]["rank"] == 5
    assert rows["D_w_task4_1"]["rank"] == 6 and board.rows[-1]["label"] == "D_w_task4_1"
    assert rows["D_w_task4_1"]["status"] == "failed" and rows["D_w_task4_1"]["group"] is None
    # groups: the two A systems together, the two B systems together, C alone
    assert rows["A_x_task4_1"]["group"] == rows["A_x_task4_2"]["group"] == 1
    assert rows["B_y_task4_1"]["group"] == rows["B_y_task4_2"]["group"] == 2
    assert rows["C_z_task4_1"]["group"] == 3
    assert rows["B_y_task4_1"]["rank_ci_low"] >= 3 and rows["C_z_task4_1"]["rank_ci_low"] == 5
    teams = {t["team"]: t for t in board.teams}  # the team of <Author>_<Affil>_task4_<N> is <Author>_<Affil>
    assert teams["D_w"]["rank"] == 4 and teams["D_w"]["best_system"] is None
    assert teams["A_x"]["rank"] == 1
    assert board.statistics["n_mixtures"] == 120


def test_ranking_subset_is_the_default_when_present():
    rng = np.random.default_rng(1)
    values = rng.normal(size=20)
    correct = np.ones(20, bool)
    with_ranking = [_system("s_1", values, correct, subsets=("all", "ranking"))]
    assert build_leaderboard(with_ranking, n_resamples=0).subset == "ranking"
    assert build_leaderboard(with_ranking, subset="all", n_resamples=0).subset == "all"


def test_csv_has_stable_columns_and_full_precision(systems, tmp_path):
    board = build_leaderboard(systems, n_resamples=200)
    write_leaderboard(tmp_path, board)
    with (tmp_path / "leaderboard.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:9] == ["rank", "code", "label", "team", "team_rank", "team_best", "name", "report", "status"]
    for needed in ("capi_sdri", "capi_sdri_ci_low", "capi_sdri_ci_high", "accuracy_mix", "accuracy_src",
                   "dev_capi_sdri", "rank_ci_low", "rank_ci_high", "group", "p_next_holm", "nparams",
                   "capi_sdri_all"):
        assert needed in rows[0]
    # full precision in the CSV (the page, Markdown and terminal round): the numbers read back exactly
    by_label = {r["label"]: r for r in board.rows}
    assert all(float(r["capi_sdri"]) == by_label[r["label"]]["capi_sdri"] for r in rows if r["status"] == "ok")
    assert all(float(r["accuracy_mix"]) == by_label[r["label"]]["accuracy_mix"] for r in rows if r["status"] == "ok")
    assert re.search(r"\| -?\d+\.\d{3} \[", (tmp_path / "leaderboard.md").read_text())  # 3 decimals shown
    assert rows[-1]["capi_sdri"] == "" and rows[-1]["status"] == "failed"
    markdown = (tmp_path / "leaderboard.md").read_text()
    assert "## Teams" in markdown and "6 (failed)" in markdown
    data = json.loads((tmp_path / "leaderboard.json").read_text())
    assert len(data["statistics"]["p_matrix"]) == 5


def test_dev_figures_from_official_flat_and_results_layouts():
    official = dev_results_document(DEV_DETAILS, 10)
    assert dev_figures(official) == {"capi_sdri": 8.25, "accuracy_mix": 75.0, "accuracy_src": pytest.approx(400 / 6)}
    assert dev_figures({"CAPI-SDRi": {"mean": 7.5}, "label_metrics": None}) == {
        "capi_sdri": 7.5, "accuracy_mix": None, "accuracy_src": None}
    assert dev_figures({"capi_sdri": 7.5, "Mixture accuracy": 60}) == {
        "capi_sdri": 7.5, "accuracy_mix": 60.0, "accuracy_src": None}
    assert dev_figures({"summary": {"capi_sdri": 1.0, "accuracy_mix": 2.0, "accuracy_src": 3.0}}) == {
        "capi_sdri": 1.0, "accuracy_mix": 2.0, "accuracy_src": 3.0}
    assert dev_figures(None)["capi_sdri"] is None


MIXTURES = {"mix_0": ["Speech"], "mix_1": ["Dishes", "Cough"], "mix_2": ["Pour", "Pour"], "mix_3": []}


# the development test set of the packages below: four soundscapes, three label sets right, one CAPI-SDRi
# excluded (no label on either side), so CAPI-SDRi mean = (8.0 + 8.5 + 8.25) / 3 = 8.25 dB, accuracy_mix = 75 %
# and accuracy_src = 100 * 4 TP / (4 TP + 1 FP + 1 FN)
DEV_DETAILS = [
    DevDetail("dev_0001", ["Speech"], ["Speech", "silence", "silence"], [0.9, 0.8, 0.7], 8.0),
    DevDetail("dev_0002", ["Dishes", "Cough"], ["Dishes", "Cough", "silence"], [0.9, 0.9, 0.6], 8.5),
    DevDetail("dev_0003", [], ["silence", "silence", "silence"], [0.6, 0.6, 0.6], None),
    DevDetail("dev_0004", ["Pour", "Speech"], ["Pour", "Dishes", "silence"], [0.9, 0.7, 0.8], 8.25),
]


def _as_package(bare, root, label: str, nparams: int, abbreviation: str, dev_results: bool = True,
                meta_dev: dict | None = None):
    """Turn a bare submission into a DCASE package with eval_results.json, the official
    dev_set_test_results.json (unless ``dev_results`` is False) and a meta YAML stating ``meta_dev``."""
    package = root / label
    shutil.copytree(bare, package / "eval_out")
    entries = {}
    for wav in sorted((package / "eval_out").glob("*.wav")):
        mix = "_".join(wav.stem.split("_")[:2])
        entries.setdefault(mix, []).append(EstimateEntry(wav.name, wav.stem.split("_")[-1], 0.9))
    write_eval_results(package, eval_results_document(entries.items(), nparams, {}))
    if dev_results:
        write_dev_results(package, dev_results_document(DEV_DETAILS, nparams, {}))
    meta = {"submission": {"label": label, "name": f"System {abbreviation}", "abbreviation": abbreviation,
                           "authors": [{"lastname": "Doe", "firstname": "J", "email": "j@x.org",
                                        "corresponding": True,
                                        "affiliation": {"abbreviation": "Lab", "institute": "I",
                                                        "department": "D", "location": "L"}}]},
            "system": {"description": {}, "complexity": {"total_parameters": nparams}, "external_datasets": [],
                       "source_code": ""},
            "results": {"development_dataset": dict(meta_dev or {})}}
    write_meta(package, label, meta)
    return package


def test_end_to_end_from_score_all_with_meta_names(tmp_path):
    ref, bare = make_case(tmp_path / "case", MIXTURES, seed=2)
    subs = tmp_path / "subs"
    # official dev results win over what the meta YAML states
    _as_package(bare, subs, "Doe_Lab_task4_1", 123456, "DoeA",
                meta_dev={"capi_sdri": 1.0, "accuracy_mix": 2.0, "accuracy_src": 3.0})
    noisy = tmp_path / "noisy"
    noisy.mkdir()
    rng = np.random.default_rng(9)
    for wav in sorted(bare.glob("*.wav")):
        data, rate = sf.read(wav, dtype="float32")
        sf.write(noisy / wav.name, np.clip(data + 0.3 * rng.standard_normal(data.shape), -1, 1), rate)
    # no dev_set_test_results.json: the meta YAML's development figures are shown
    _as_package(noisy, subs, "Doe_Lab_task4_2", 654321, "DoeB", dev_results=False,
                meta_dev={"capi_sdri": 5.5, "accuracy_mix": 40.0, "accuracy_src": 52.25})
    (subs / "Roe_Uni_task4_1").mkdir()
    (subs / "Roe_Uni_task4_1" / "junk.txt").write_text("no wav here")
    outcomes = score_all(subs, ref, tmp_path / "scores", ScoreConfig(workers=1, n_resamples=50))
    assert [o.status for o in outcomes] == ["ok", "ok", "failed"], [o.findings for o in outcomes]
    infos = {p.parent.name: json.loads(p.read_text()) for p in (tmp_path / "scores").rglob("submission.json")}
    assert infos["Doe_Lab_task4_1"]["dev_results"] == {"capi_sdri": 8.25, "accuracy_mix": 75.0,
                                                       "accuracy_src": pytest.approx(400 / 6),
                                                       "source": "dev_set_test_results.json"}
    assert infos["Doe_Lab_task4_2"]["dev_results"] == {"capi_sdri": 5.5, "accuracy_mix": 40.0, "accuracy_src": 52.25,
                                                       "source": "meta results.development_dataset"}
    result = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "scores"), "--out", str(tmp_path / "lb"),
                                      "--bootstrap", "300"])
    assert result.exit_code == 0, result.output
    with (tmp_path / "lb" / "leaderboard.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["code"] for r in rows] == ["DoeA", "DoeB", "Roe_Uni_task4_1"]
    assert rows[0]["name"] == "System DoeA" and rows[0]["nparams"] == "123456"
    assert float(rows[0]["dev_capi_sdri"]) == 8.25 and float(rows[0]["dev_accuracy_mix"]) == 75.0
    assert round(float(rows[0]["dev_accuracy_src"]), 2) == 66.67  # full precision in the CSV
    assert float(rows[1]["dev_capi_sdri"]) == 5.5 and float(rows[1]["dev_accuracy_mix"]) == 40.0
    assert float(rows[1]["dev_accuracy_src"]) == 52.25
    assert rows[2]["dev_capi_sdri"] == "" and rows[2]["status"] == "failed" and rows[2]["rank"] == "3"
    assert rows[0]["team"] == rows[1]["team"] == "Doe_Lab"
    assert rows[0]["team_best"] == "true" and rows[1]["team_best"] == "false"
    assert "DoeA" in result.output


def test_leaderboard_bad_inputs_exit_cleanly(tmp_path):
    result = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "missing"), "--out", str(tmp_path / "lb")])
    assert result.exit_code == 1 and "E_NO_RESULTS" in result.output and "Traceback" not in result.output
    (tmp_path / "x.json").write_text("{not json")
    result = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "x.json"), "--out", str(tmp_path / "lb")])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_loading_results_json_files_directly(tmp_path, systems):
    ref, bare = make_case(tmp_path / "case", MIXTURES, seed=2)
    out = tmp_path / "scored"
    result = CliRunner().invoke(cli, ["score", str(bare), "--ref", str(ref), "--out", str(out), "--workers", "1",
                                      "--bootstrap", "20", "--quiet"])
    assert result.exit_code == 0, result.output
    loaded = load_inputs([out / "results.json"])
    assert len(loaded.systems) == 1 and loaded.systems[0].mixtures is not None
    with pytest.raises(Exception) as info:
        load_inputs([out / "results.json", out])
    assert "E_DUPLICATE_LABEL" in str(info.value)


def test_competition_ranks_are_scipy_min_ranks_of_the_rounded_figures():
    from scipy.stats import rankdata
    rng = np.random.default_rng(3)
    values = list(np.round(rng.normal(size=40), 1))  # many ties
    assert competition_ranks(values) == list(rankdata(-np.array(values), method="min").astype(int))
    assert competition_ranks([1.0, None, 1.0000004, 0.5], decimals=6) == [1, 4, 1, 3]
    assert competition_ranks([1.0, 1.0004], decimals=3) == [1, 1] and competition_ranks([]) == []


def test_leaderboard_metric_spellings_as_in_score(tmp_path, systems):
    out = tmp_path / "scores"
    for system in systems[:3]:
        folder = out / system.label
        folder.mkdir(parents=True)
        results = json.loads(json.dumps(system.results))
        for entry in results["subsets"].values():
            entry["ca_sdri_2025"] = entry["capi_sdri"] - 1.0
        (folder / "results.json").write_text(json.dumps(results))
        (folder / "scores.json").write_text("{}")
        system.mixtures.reset_index().assign(ca_sdri_2025=lambda f: f["capi_sdri"] - 1.0).to_csv(
            folder / "per_mixture.csv", index=False)
    runner = CliRunner()
    for spelling, key in (("capi-sdri", "capi_sdri"), ("capi_sdri", "capi_sdri"), ("ca-sdri", "ca_sdri_2025"),
                          ("ca_sdri_2025", "ca_sdri_2025"), ("accuracy-mix", "accuracy_mix"),
                          ("accuracy_src", "accuracy_src")):
        result = runner.invoke(cli, ["leaderboard", str(out), "--out", str(tmp_path / "lb"), "--metric", spelling,
                                     "--bootstrap", "50", "--quiet"])
        assert result.exit_code == 0, (spelling, result.output)
        assert json.loads((tmp_path / "lb" / "leaderboard.json").read_text())["metric"] == key
    help_text = " ".join(runner.invoke(cli, ["leaderboard", "--help"]).output.split())
    assert "[capi-sdri|ca-sdri|casa-sdr|capi-si-sdri|ca-si-sdri|accuracy-mix|accuracy-src]" in help_text
    assert "capi_sdri" not in help_text  # the old spellings still work, unlisted
    casa = runner.invoke(cli, ["leaderboard", str(out), "--out", str(tmp_path / "lb"), "--metric", "casa-sdr"])
    assert casa.exit_code == 2 and "casa-sdr" in casa.output and "Traceback" not in casa.output


def test_ranking_by_casa_sdr_without_per_mixture_casa(systems):
    """CASA-SDR is ranked from results.json; per_mixture.csv has no CASA column, so no bootstrap statistics."""
    with_casa = []
    for k, system in enumerate(systems):
        if system.status == "ok":
            results = json.loads(json.dumps(system.results))
            results["subsets"]["all"]["casa_sdr_sb"] = 10.0 - k
            system = SystemResult(system.label, "ok", "", results, system.mixtures, system.info)
        with_casa.append(system)
    board = build_leaderboard(with_casa, metric="casa-sdr", n_resamples=100)
    assert board.metric == "casa_sdr_sb"
    assert [r["label"] for r in board.rows][:2] == ["A_x_task4_1", "A_x_task4_2"]
    assert [r["rank"] for r in board.rows] == [1, 2, 3, 4, 5, 6]
    assert board.statistics["n_mixtures"] == 0 and "casa_sdr_sb" in board.statistics["unavailable"]
    from s5eval.leaderboard.render_html import render_html
    assert "No bootstrap statistics" in render_html(board) and "CASA-SDR" in render_html(board)


def test_leaderboard_empty_folder_says_what_was_expected(tmp_path):
    empty = tmp_path / "EMPTY_DIR"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["leaderboard", str(empty), "--out", str(tmp_path / "lb")])
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "E_NO_RESULTS" in text and "no input given" not in text
    assert "holds no results" in text and "results.json" in text and "score-all" in text
