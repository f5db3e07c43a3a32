"""Codabench: scores.json with a fixed key set, the scoring program, its results page and the competition bundle."""
from __future__ import annotations

import io
import json
import shlex
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.codabench import MAX_TITLE, ProgressLines, findings_html, leaderboard_columns
from s5eval.findings import error, warning
from s5eval.results.files import UNDEFINED_SCORE, flat_scores, scores_keys
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score
from s5fixtures import make_case

DATA = Path(__file__).parent / "data" / "conformance"
FAST = ("--bootstrap", "20", "--workers", "1")

# two very different reference sets: zero-target mixtures and duplicates (and estimates that miss), and none of those
WITH_ALL = {"eval_0000": [], "eval_0001": ["Speech", "Speech"], "eval_0002": ["Dishes", "Cough"],
            "eval_0003": ["Pour"], "eval_2000": [], "eval_2001": ["Cough", "Cough", "Typing"]}
WITH_NONE = {"clip_a": ["Speech"], "clip_b": ["Blender"], "clip_c": ["Doorbell"]}


def _input(tmp_path: Path, nested: bool) -> Path:
    inp = tmp_path / "input"
    shutil.copytree(DATA / "ref", inp / "ref")
    shutil.copytree(DATA / "sub", inp / "res" / "My_Sub_task4_1" if nested else inp / "res")
    return inp


@pytest.fixture(scope="module")
def two_cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("cases")
    a = make_case(root / "a", WITH_ALL, seed=1, est_labels={"eval_0000": ["Speech"], "eval_0001": ["Speech"],
                                                             "eval_2000": []})
    b = make_case(root / "b", WITH_NONE, seed=2, est_labels={"clip_a": ["Cough"], "clip_b": [], "clip_c": []})
    # the second reference set also has its own subsets.csv: its subsets are not scores.json keys
    (b[0] / "subsets.csv").write_text("soundscape,subset\nclip_a,mine\nclip_b,mine\n")
    return a, b


# --- scores.json ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric,subsets", [("capi-sdri", None), ("casa-sdr", None), ("capi-sdri", "dcase2026-eval"),
                                            ("ca-sdri", "dcase2025-eval")])
def test_scores_key_set_is_the_same_for_very_different_submissions_and_reference_sets(two_cases, metric, subsets):
    config = ScoreConfig(metric=metric, subsets=subsets, workers=1, n_resamples=20)
    (ref_a, sub_a), (ref_b, sub_b) = two_cases
    run_a, run_b = run_score(sub_a, ref_a, config), run_score(sub_b, ref_b, config)
    assert {"zero_target", "duplicate"} <= set(run_a.results["subsets"])
    assert not {"zero_target", "duplicate", "distinct"} & set(run_b.results["subsets"])
    assert "mine" in run_b.results["subsets"]
    scores_a, scores_b = flat_scores(run_a.results), flat_scores(run_b.results)
    assert list(scores_a) == list(scores_b) == scores_keys(metric, subsets)
    for scores in (scores_a, scores_b):
        json.dumps(scores, allow_nan=False)  # every value a finite number: what Codabench stores
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scores.values())
        assert scores["n_undefined"] == sum(v == UNDEFINED_SCORE for v in scores.values())
    assert scores_b["capi_sdri_duplicate"] == UNDEFINED_SCORE and scores_b["n_mixtures_duplicate"] == 0
    assert scores_a["capi_sdri_duplicate"] != UNDEFINED_SCORE
    assert ("casa_sdr_sb" in scores_a) == (metric == "casa-sdr")
    assert ("capi_sdri_ranking" in scores_a) == (subsets is not None)


def test_score_out_writes_the_same_key_set(two_cases, tmp_path):
    keys = []
    for i, (ref, sub) in enumerate(two_cases):
        out = tmp_path / f"out{i}"
        result = CliRunner().invoke(cli, ["score", str(sub), "--ref", str(ref), "--out", str(out), *FAST, "--quiet"])
        assert result.exit_code == 0, result.output
        keys.append(list(json.loads((out / "scores.json").read_text())))
    assert keys[0] == keys[1] == scores_keys()


def test_scores_keys_fit_codabench_columns():
    for metric in ("capi-sdri", "ca-sdri", "casa-sdr"):
        for spec in (None, "dcase2026-eval"):
            columns = leaderboard_columns(metric, spec)
            assert [c["key"] for c in columns if c["index"] > 0] == [k for k in scores_keys(metric, spec)
                                                                     if k != columns[0]["key"]]
            assert all(len(c["key"]) <= 36 and len(c["title"]) <= MAX_TITLE for c in columns)
            assert len({c["title"] for c in columns}) == len(columns)
    assert leaderboard_columns("ca-sdri", "dcase2026-eval")[0]["key"] == "ca_sdri_2025_ranking"
    assert leaderboard_columns()[0]["key"] == "capi_sdri"


# --- the scoring program --------------------------------------------------------------------------------


def test_success_writes_scores_and_page(tmp_path):
    inp = _input(tmp_path, nested=True)
    out = tmp_path / "output"
    result = CliRunner().invoke(cli, ["codabench", str(inp), str(out), *FAST])
    assert result.exit_code == 0, result.output
    scores = json.loads((out / "scores.json").read_text())
    expected = flat_scores(run_score(DATA / "sub", DATA / "ref", ScoreConfig(workers=1, n_resamples=20)).results)
    assert scores == expected and list(scores) == scores_keys()
    assert "scored 96/96 mixtures" in result.output  # progress lines: the output is not a terminal
    page = (out / "detailed_results.html").read_text()
    assert "duplicate" in page and "CAPI-SDRi" in page


def test_both_forms_of_the_command_and_the_scoring_options(tmp_path):
    inp = _input(tmp_path, nested=False)
    plain = CliRunner().invoke(cli, ["codabench", str(inp), str(tmp_path / "a"), *FAST, "--quiet"])
    explicit = CliRunner().invoke(cli, ["codabench", "score", str(inp), str(tmp_path / "b"), *FAST, "--quiet"])
    options_first = CliRunner().invoke(cli, ["codabench", "--bootstrap", "20", "--workers", "1", "--metric",
                                             "ca-sdri", "--selection", "paper", "--penalty-fn", "-10",
                                             "--penalty-fp", "-5", "--quiet", str(inp), str(tmp_path / "c")])
    for result in (plain, explicit, options_first):
        assert result.exit_code == 0, result.output
        assert "mixtures (" not in result.output  # --quiet: no progress lines
    a, b, c = (json.loads((tmp_path / x / "scores.json").read_text()) for x in "abc")
    assert a == b
    assert list(c) == scores_keys("ca-sdri") and c["capi_sdri"] < a["capi_sdri"]  # the penalties count
    page = (tmp_path / "c" / "detailed_results.html").read_text()
    assert "paper" in page and "-10.0" in page and "ca-sdri" in page  # provenance
    bad = CliRunner().invoke(cli, ["codabench", str(inp), str(tmp_path / "d"), "--metric", "nope"])
    assert bad.exit_code == 2


def test_every_option_has_help():
    from s5eval.commands.codabench import codabench_command
    for name in ("score", "bundle"):
        command = codabench_command.commands[name]
        assert command.help
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"codabench {name} {param.opts} has no help"
    result = CliRunner().invoke(cli, ["codabench", "--help"])
    assert result.exit_code == 0 and "bundle" in result.output and "INPUT OUTPUT" in result.output


def test_progress_lines_every_fraction_and_every_few_seconds():
    now = [0.0]
    stream = io.StringIO()
    progress = ProgressLines(stream, every_s=5.0, every_fraction=0.25, clock=lambda: now[0])
    for done in range(1, 101):
        now[0] += 0.01 if done != 30 else 10.0  # a slow mixture: a line after it although no step was reached
        progress(done, 100)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "scoring 100 mixtures"
    assert [line.split()[1] for line in lines[1:]] == ["1/100", "26/100", "30/100", "55/100", "80/100", "100/100"]
    assert lines[-1].startswith("scored 100/100 mixtures (100 %")


def test_failure_leaves_no_scores_json(tmp_path):
    inp = _input(tmp_path, nested=False)
    victim = sorted((inp / "res" / "eval_out").glob("*.wav"))[0]
    victim.write_bytes(b"RIFF....garbage")
    out = tmp_path / "output"
    out.mkdir()
    (out / "scores.json").write_text('{"capi_sdri": 99}')  # stale, from an earlier run
    result = CliRunner().invoke(cli, ["codabench", str(inp), str(out), "--bootstrap", "0", "--workers", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (out / "scores.json").exists()
    assert not list(out.glob(".scores.json*"))
    page = (out / "detailed_results.html").read_text()
    assert "E_UNREADABLE" in page
    assert page.index("The error that stopped the scoring") < page.index("E_UNREADABLE")


def test_missing_reference_is_exit_3(tmp_path):
    inp = tmp_path / "input"
    shutil.copytree(DATA / "sub", inp / "res")
    result = CliRunner().invoke(cli, ["codabench", str(inp), str(tmp_path / "out")])
    assert result.exit_code == 3 and not (tmp_path / "out" / "scores.json").exists()
    page = (tmp_path / "out" / "detailed_results.html").read_text()
    assert "E_REF_MISSING" in page and "organizers" in page


def test_failure_page_puts_the_first_error_first():
    findings = [warning("W_SILENT_ESTIMATE", "a.wav", "silent"), error("E_FIRST", "b.wav", "the cause"),
                warning("W_OTHER", "c.wav", "minor"), error("E_SECOND", "d.wav", "a consequence")]
    findings += [error("E_MANY", f"x{i}.wav", "again") for i in range(30)]
    page = findings_html(findings, 1)
    cause = page.index("The error that stopped the scoring")
    assert cause < page.index("E_FIRST") < page.index("E_SECOND") < page.index("W_SILENT_ESTIMATE")
    assert page.index("E_MANY") < page.index("W_OTHER")  # errors before warnings
    assert page.count("x2") < 30 and "10 more <b>E_MANY</b>" in page
    assert "32 error(s), 2 warning(s)" in page


def test_results_page_legend_provenance_and_intervals(two_cases, tmp_path):
    (ref, sub), _ = two_cases
    inp = tmp_path / "input"
    shutil.copytree(ref, inp / "ref")
    shutil.copytree(sub, inp / "res")
    result = CliRunner().invoke(cli, ["codabench", str(inp), str(tmp_path / "out"), "--bootstrap", "50",
                                      "--workers", "1", "--metric", "casa-sdr", "--quiet"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "detailed_results.html").read_text()
    assert "<h2>Legend</h2>" in page and "22/24" in page and "—" in page and "-999" in page
    results = run_score(sub, ref, ScoreConfig(metric="casa-sdr", workers=1, n_resamples=50)).results
    provenance = results["provenance"]
    for value in ("0.1.0", provenance["reference_digest"], provenance["submission_digest"], "casa-sdr", "official"):
        assert str(value) in page
    # every figure column of a defined subset has its interval: the all row shows one per figure column
    all_row = page[page.index("<tr><td class=t>all</td>"):]
    all_row = all_row[:all_row.index("</tr>")]
    assert all_row.count("class=ci") == 7  # CAPI-SDRi, two accuracies, TP-only SDRi, CA-SDRi 2025, 2 × CASA-SDR
    assert "not bootstrapped" not in page


# --- the competition bundle -----------------------------------------------------------------------------


def _check_bundle(folder: Path) -> dict:
    """What Codabench's v2 unpacker and compute worker require of a bundle (docs: Yaml-Structure,
    Competition-Bundle-Structure)."""
    competition = yaml.safe_load((folder / "competition.yaml").read_text())
    assert competition["version"] == 2 and competition["title"]
    png = (folder / competition["image"]).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", png[16:24]) == (96, 96)
    assert (folder / competition["terms"]).read_text().strip()
    for page in competition["pages"]:
        assert page["title"] and (folder / page["file"]).read_text().strip()
    tasks = {task["index"]: task for task in competition["tasks"]}
    for phase in competition["phases"]:
        assert phase["name"] and phase["start"] and set(phase["tasks"]) <= set(tasks)
    for task in tasks.values():
        program = folder / task["scoring_program"]
        assert yaml.safe_load((program / "metadata.yaml").read_text())["command"].startswith("s5eval codabench ")
        assert (folder / task["reference_data"] / "soundscape").is_dir()
    (board,) = competition["leaderboards"]
    assert board["title"] and board["key"]
    columns = board["columns"]
    assert sorted(c["index"] for c in columns) == list(range(len(columns)))
    assert len({c["key"] for c in columns}) == len(columns)
    assert all(c["sorting"] in ("asc", "desc") and len(c["title"]) <= 36 and len(c["key"]) <= 36 for c in columns)
    return competition


def test_bundle_is_complete_and_its_scoring_program_writes_its_columns(two_cases, tmp_path):
    (ref, sub), _ = two_cases
    bundle, zipped = tmp_path / "bundle", tmp_path / "bundle.zip"
    result = CliRunner().invoke(cli, ["codabench", "bundle", "--ref", str(ref), "--out", str(bundle),
                                      "--subsets", "dcase2026-eval", "--penalty-fn", "-3", "--bootstrap", "30",
                                      "--docker-image", "me/s5eval:0.1.0", "--start", "2026-06-01 00:00:00",
                                      "--zip", str(zipped)])
    assert result.exit_code == 0, result.output
    competition = _check_bundle(bundle)
    assert competition["docker_image"] == "me/s5eval:0.1.0" and competition["enable_detailed_results"] is True
    assert str(competition["phases"][0]["start"]).startswith("2026-06-01")
    keys = [c["key"] for c in competition["leaderboards"][0]["columns"]]
    assert keys[0] == "capi_sdri_ranking" and sorted(keys) == sorted(scores_keys("capi-sdri", "dcase2026-eval"))
    # the reference data: every mixture and target of REF
    copied = sorted(p.relative_to(bundle / "reference_data") for p in (bundle / "reference_data").rglob("*.wav"))
    assert copied == sorted(p.relative_to(ref) for p in ref.rglob("*.wav"))
    with zipfile.ZipFile(zipped) as archive:
        names = set(archive.namelist())
    assert "competition.yaml" in names and "scoring_program/metadata.yaml" in names
    assert {f"reference_data/{p.as_posix()}" for p in copied} <= names
    # run the scoring program as Codabench would: /app/input/{ref,res}, /app/output
    app = tmp_path / "app"
    shutil.copytree(bundle / "reference_data", app / "input" / "ref")
    shutil.copytree(sub, app / "input" / "res" / "Doe_Lab_task4_1")
    command = yaml.safe_load((bundle / "scoring_program" / "metadata.yaml").read_text())["command"]
    args = [a.replace("/app", str(app)) for a in shlex.split(command)]
    assert args[:2] == ["s5eval", "codabench"] and "--penalty-fn" in args and "dcase2026-eval" in args
    run = CliRunner().invoke(cli, args[1:] + ["--workers", "1"])
    assert run.exit_code == 0, run.output
    scores = json.loads((app / "output" / "scores.json").read_text())
    assert sorted(scores) == sorted(keys)


def test_bundle_carries_a_subsets_file_and_refuses_bad_outputs(two_cases, tmp_path):
    (ref, _), (broken_ref, _) = two_cases
    spec = tmp_path / "subsets.csv"
    spec.write_text("soundscape,subset\neval_0001,hard\n")
    out = tmp_path / "b1"
    result = CliRunner().invoke(cli, ["codabench", "bundle", "--ref", str(ref), "--out", str(out),
                                      "--subsets", str(spec)])
    assert result.exit_code == 0, result.output
    assert (out / "scoring_program" / "subsets.csv").read_text() == spec.read_text()
    command = yaml.safe_load((out / "scoring_program" / "metadata.yaml").read_text())["command"]
    assert "--subsets /app/program/subsets.csv" in command
    assert [c["key"] for c in _check_bundle(out)["leaderboards"][0]["columns"]] == scores_keys()
    # not empty, inside the reference set, a file: usage errors
    for target in (out, ref / "bundle"):
        again = CliRunner().invoke(cli, ["codabench", "bundle", "--ref", str(ref), "--out", str(target)])
        assert again.exit_code == 2 and "Traceback" not in again.output
    assert not (ref / "bundle").exists()
    for dates in (["--start", "June 1st"], ["--start", "2026-06-02", "--end", "2026-06-01 00:00:00"]):
        wrong = CliRunner().invoke(cli, ["codabench", "bundle", "--ref", str(ref), "--out", str(tmp_path / "b3"),
                                         *dates])
        assert wrong.exit_code == 2 and "E_USAGE" in wrong.output and not (tmp_path / "b3").exists()
    # a broken reference set: exit 3, nothing written
    shutil.rmtree(broken_ref.parent / "copy", ignore_errors=True)
    bad = shutil.copytree(broken_ref, broken_ref.parent / "copy")
    (bad / "soundscape" / "clip_a.wav").write_bytes(b"RIFF nonsense")
    failed = CliRunner().invoke(cli, ["codabench", "bundle", "--ref", str(bad), "--out", str(tmp_path / "b2")])
    assert failed.exit_code == 3, failed.output
    assert not (tmp_path / "b2" / "competition.yaml").exists()
