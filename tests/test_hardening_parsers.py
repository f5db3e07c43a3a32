"""Hostile parser inputs (audit classes): bounded YAML/JSON loaders, subsets.csv rows and reserved names,
hostile side files in score-all, validate and leaderboard inputs. Findings and exit codes, never a traceback,
never minutes of work.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.findings import ReferenceSetError
from s5eval.io.loaders import MAX_NESTING, parse_json_text, parse_yaml_text, preview
from s5eval.leaderboard.inputs import load_inputs
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.batch import score_all
from s5eval.results.subsets import load_extra_subsets, memberships, read_subsets_csv
from s5eval.validate.schemas import describe, schema_errors
from s5fixtures import make_case


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def _codes(findings) -> list[str]:
    return [f.code for f in findings]


# --- class 1: YAML and JSON loaders are bounded -------------------------------------------------------------

def _doubling_bomb(levels: int) -> str:
    """``levels`` aliases (far under the alias limit), each doubling a list: 50·2^levels values once expanded."""
    return ("a0: &a0 [" + ", ".join(["xxxxxxxxxx"] * 50) + "]\n"
            + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, levels + 1))
            + f"submission: *a{levels}\nsystem: *a{levels}\n")


_HOSTILE = {  # name -> (loader, text); run in a child process: a regression hangs, runs out of memory or crashes
    "alias_bomb": ("yaml", _doubling_bomb(24)),
    "deep_flow_yaml": ("yaml", "a: " + "[" * 200_000),
    "deep_block_yaml": ("yaml", "".join(" " * i + "- \n" for i in range(300))),
    "deep_alias_yaml": ("yaml", "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"),
    "recursive_alias": ("yaml", "a: &a [1, {b: *a}]\n"),
    "deep_json": ("json", "[" * 100_000 + "]" * 100_000),
    "deep_json_under_python_limit": ("json", "[" * 900 + "]" * 900),
}


def test_hostile_yaml_and_json_are_refused_quickly(tmp_path):
    """Regression: 24 doubling aliases (under the 100-alias limit) ran for minutes and ended in MemoryError;
    100k nested flow sequences segfaulted the C loader. Now: a finding after a few events."""
    (tmp_path / "docs.json").write_text(json.dumps(_HOSTILE))
    script = textwrap.dedent(f"""
        import json, sys, time
        from s5eval.io.loaders import parse_json_text, parse_yaml_text
        from s5eval.validate.meta import check_meta_file
        from pathlib import Path
        out = {{}}
        for name, (kind, text) in json.loads(Path({str(tmp_path / 'docs.json')!r}).read_text()).items():
            start = time.monotonic()
            data, findings = (parse_yaml_text if kind == "yaml" else parse_json_text)(text, name)
            if kind == "yaml":  # the whole meta check, schema messages included
                path = Path({str(tmp_path)!r}) / (name + ".meta.yaml")
                path.write_text(text)
                findings += check_meta_file(path, name, "X_Y_task4_1")[1]
            out[name] = [data is None, sorted({{f.code for f in findings}}), time.monotonic() - start]
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    expected = {"alias_bomb": "E_YAML_ALIASES", "recursive_alias": "E_YAML_ALIASES", "deep_flow_yaml": "E_YAML_SYNTAX",
                "deep_block_yaml": "E_YAML_SYNTAX", "deep_alias_yaml": "E_YAML_SYNTAX", "deep_json": "E_JSON_SYNTAX",
                "deep_json_under_python_limit": "E_JSON_SYNTAX"}
    for name, code in expected.items():
        refused, codes, seconds = result[name]
        assert refused and code in codes, (name, codes)
        assert seconds < 10, (name, seconds)  # generous: each takes milliseconds


def test_yaml_duplicate_keys_are_a_finding_merge_keys_are_not():
    data, findings = parse_yaml_text("submission:\n  label: A\nsubmission:\n  label: B\n", "m.yaml")
    assert data is None and _codes(findings) == ["E_YAML_DUPLICATE_KEY"]
    assert "'submission'" in findings[0].message and "line 3" in findings[0].message
    data, findings = parse_yaml_text("a:\n  x: 1\n  y: 2\n  x: 3\n", "m.yaml")
    assert _codes(findings) == ["E_YAML_DUPLICATE_KEY"]
    data, findings = parse_yaml_text("1: a\n1.0: b\n", "m.yaml")  # equal keys: one value would be lost
    assert _codes(findings) == ["E_YAML_DUPLICATE_KEY"]
    data, findings = parse_yaml_text("base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  x: 5\n", "m.yaml")
    assert not findings and data["mine"] == {"x": 5, "y": 2}


def test_loader_bounds_on_values_and_nesting():
    nested = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert parse_json_text(nested, "f.json")[1] == [] and parse_yaml_text(nested, "f.yaml")[1] == []
    too_deep = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    assert _codes(parse_json_text(too_deep, "f.json")[1]) == ["E_JSON_SYNTAX"]
    assert _codes(parse_yaml_text(too_deep, "f.yaml")[1]) == ["E_YAML_SYNTAX"]
    data, findings = parse_json_text('{"nparams": 1e400}', "f.json")
    assert data is None and "out of range" in findings[0].message
    data, findings = parse_json_text("9" * 5000, "f.json")
    assert data is None and "4300 digits" in findings[0].message and "sys." not in findings[0].message
    data, findings = parse_yaml_text("a: 0x" + "f" * 5000 + "\n", "f.yaml")  # hex is not bound by Python's limit
    assert data is None and _codes(findings) == ["E_YAML_SYNTAX"]
    key = "k" * 100_000
    data, findings = parse_json_text(json.dumps({key: 1})[:-1] + f', "{key}": 2}}', "f.json")
    assert _codes(findings) == ["E_JSON_DUPLICATE_KEY"] and len(findings[0].message) < 200


def test_schema_messages_never_repr_a_huge_instance():
    huge = ["x" * 1000] * 100_000
    for name, instance in [("meta", {"submission": huge, "system": {"k" * 10_000: huge}}),
                           ("eval_results", {"nparams": "y" * 10**6, "probabilities": huge}),
                           ("eval_results", huge), ("dev_set_test_results", {"details": huge})]:
        errors = list(schema_errors(name, instance))
        assert errors and all(len(describe(e)) <= 400 for e in errors), name
        assert len(errors) <= 1001  # a cap with a last "more than N violations"
    assert preview(10**4000).startswith("<an integer of about 4000 digits")
    assert preview({"b", "a"}) == preview({"a", "b"}) == "{'a', 'b'}"


# --- class 2: subsets.csv ----------------------------------------------------------------------------------

KNOWN = [f"mix_{i}" for i in range(4)]


def _subsets(tmp_path, text: str, name: str = "subsets.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return read_subsets_csv(path, KNOWN)


def _refused(tmp_path, text: str) -> list:
    with pytest.raises(ReferenceSetError) as info:
        _subsets(tmp_path, text)
    assert info.value.exit_code == 3
    return info.value.findings


def test_subsets_csv_rows_are_read_or_refused_by_line(tmp_path):
    """Regression: a BOM was refused; unbalanced quotes and short rows were dropped silently."""
    assert _subsets(tmp_path, "\ufeffsoundscape,subset\nmix_1,hard\n") == {"hard": {"mix_1"}}
    assert _subsets(tmp_path, "soundscape,subset,note\nmix_1,hard\n\nmix_2,hard,x\n") == {"hard": {"mix_1", "mix_2"}}
    cases = {
        'soundscape,subset\nmix_1,"hard\nmix_2,easy\n': "line 2",  # unbalanced quote swallows the rest
        "soundscape,subset\nmix_1,hard\nmix_2\n": "line 3: no subset cell",
        "soundscape,subset\nmix_1,hard,extra\n": "line 2: 3 cells",
        "soundscape,subset\nmix_1,  \n": "line 2: empty subset name",
        "soundscape,subset\n,hard\n": "line 2: empty soundscape name",
        "soundscape,subset\nmix_1,hard\nmix_2,hard\nmix_1,hard\n": "line 4: repeats line 2",
        'soundscape,subset\nmix_1,ha"rd\n': "line 2: a name holds a quote",
    }
    for text, message in cases.items():
        findings = _refused(tmp_path, text)
        assert _codes(findings) == ["E_SUBSETS_ROW"] and message in findings[0].message, (text, findings)
    assert _codes(_refused(tmp_path, "")) == ["E_SUBSETS_HEADER"]
    assert _codes(_refused(tmp_path, "soundscape,subset,subset\nmix_1,a,b\n")) == ["E_SUBSETS_HEADER"]


@pytest.mark.parametrize("name", ["all", "ALL", "zero_target", "single", "distinct", "duplicate", "nodup", "n_ref=2",
                                  "N_REF = 7"])
def test_reserved_subset_names_are_refused(tmp_path, name):
    findings = _refused(tmp_path, f"soundscape,subset\nmix_1,{name}\nmix_2,fine\n")
    assert _codes(findings) == ["E_SUBSETS_RESERVED"] and "line 2" in findings[0].message
    with pytest.raises(ReferenceSetError):  # and never through the API either
        memberships({"mix_1": ["Speech"]}, {name: {"mix_1"}})


def test_subsets_cannot_change_the_headline_and_missing_file_is_a_usage_error(tmp_path):
    """Regression: a subsets.csv row 'mix,all' replaced the headline (n_mixtures 1 instead of all, exit 0);
    --subsets MISSING exited 3 instead of 2."""
    ref, sub = make_case(tmp_path / "case", {"mix_0": ["Speech"], "mix_1": ["Dishes", "Cough"], "mix_2": []})
    (tmp_path / "all.csv").write_text("soundscape,subset\nmix_1,all\n")
    result = invoke("score", sub, "--ref", ref, "--workers", "1", "--bootstrap", "0", "--subsets", tmp_path / "all.csv")
    assert result.exit_code == 3 and "E_SUBSETS_RESERVED" in result.output
    (ref / "subsets.csv").write_text("soundscape,subset\nmix_1,all\n")
    result = invoke("score", sub, "--ref", ref, "--workers", "1", "--bootstrap", "0")
    assert result.exit_code == 3 and "E_SUBSETS_RESERVED" in result.output
    (ref / "subsets.csv").write_text("soundscape,subset\nmix_1,ranking\n")
    result = invoke("score", sub, "--ref", ref, "--workers", "1", "--bootstrap", "0", "--subsets", "dcase2026-eval")
    assert result.exit_code == 3 and "E_SUBSETS_CONFLICT" in result.output
    (ref / "subsets.csv").write_text("\ufeffsoundscape,subset\nmix_1,hard\n")
    result = invoke("score", sub, "--ref", ref, "--workers", "1", "--bootstrap", "0", "--json")
    assert result.exit_code == 0, result.output
    subsets = json.loads(result.stdout)["subsets"]
    assert subsets["all"]["n_mixtures"] == 3 and subsets["hard"]["n_mixtures"] == 1
    for command in (["score", sub], ["score-all", tmp_path / "case", "--out", tmp_path / "out"]):
        result = invoke(*command, "--ref", ref, "--subsets", tmp_path / "missing.csv")
        assert result.exit_code == 2 and "E_USAGE" in result.output and "dcase2026-eval" in result.output
    with pytest.raises(Exception) as info:  # the API says the same
        load_extra_subsets(str(tmp_path / "missing.csv"), None, ["mix_0"])
    assert getattr(info.value, "exit_code", None) == 2


# --- class 3: side files in score-all, validate and leaderboard inputs --------------------------------------

MIXTURES = {"mix_00": ["Speech"], "mix_01": ["Dishes", "Cough"]}
DEV_OK = {"CAPI-SDRi": {"mean": 3.0}, "label_metrics": {"accuracy_mix": 50.0, "accuracy_src": 60.0}, "nparams": 7,
          "details": []}
SIDE_FILES = {  # package -> files written into it (meta YAML keyed by suffix); what submission.json keeps
    "Deep_Eval_task4_1": {"eval_results.json": "[" * 100_000 + "]" * 100_000},
    "Deep_Dev_task4_1": {"dev_set_test_results.json": '{"details": ' + "[" * 100_000},
    "Deep_Meta_task4_1": {".meta.yaml": "system: " + "[" * 200_000},
    "Inf_Nparams_task4_1": {"eval_results.json": '{{"nparams": 1e400, "probabilities": {probs}}}'},
    "Neg_Nparams_task4_1": {"eval_results.json": '{{"nparams": -1, "probabilities": {probs}}}'},
    "Bool_Nparams_task4_1": {"eval_results.json": '{{"nparams": true, "probabilities": {probs}}}'},
    "Huge_Nparams_task4_1": {"eval_results.json": '{{"nparams": 1' + "0" * 4000 + ', "probabilities": {probs}}}'},
    "Inf_Dev_task4_1": {"dev_set_test_results.json": json.dumps(DEV_OK).replace("3.0", "1e400")},
    "Huge_Dev_task4_1": {"dev_set_test_results.json": json.dumps(DEV_OK).replace("3.0", "1" + "0" * 400)},
    "Huge_Detail_task4_1": {"dev_set_test_results.json": json.dumps({**DEV_OK, "details": [
        {"soundscape": "x", "ref_labels": [], "est_labels": [],
         "metrics": [{"metric": "CAPI-SDRi", "value": 10**400}]}]})},
    "Huge_DevNparams_task4_1": {"dev_set_test_results.json": json.dumps({**DEV_OK, "nparams": 10**1000})},
    "Bad_Types_task4_1": {"dev_set_test_results.json": json.dumps({"CAPI-SDRi": "NaN", "label_metrics": [1],
                                                                  "details": "y"})},
    "Inf_Meta_task4_1": {".meta.yaml": "system: {complexity: {total_parameters: .inf}}\nresults: {development_dataset: "
                                       "{capi_sdri: 1" + "0" * 400 + ", accuracy_mix: .nan}}\n"},
    "Huge_Meta_task4_1": {".meta.yaml": "system: {complexity: {total_parameters: 1" + "0" * 4000 + "}}\n"},
    "Bomb_Meta_task4_1": {".meta.yaml": _doubling_bomb(24)},
    "Dup_Meta_task4_1": {".meta.yaml": "system: {a: 1}\nsystem: {a: 2}\n"},
}


def _package(root: Path, sub: Path, label: str, files: dict[str, str]) -> Path:
    package = root / label
    (package / "eval_out").mkdir(parents=True)
    probabilities = []
    for mix in MIXTURES:
        estimates = []
        for wav in sorted(sub.glob(f"{mix}_*.wav")):
            shutil.copy(wav, package / "eval_out" / wav.name)
            estimates.append({"filename": wav.name, "label": wav.stem.split("_")[-1], "probability": 0.9})
        probabilities.append({"soundscape": mix, "estimate": estimates})
    (package / "eval_results.json").write_text(json.dumps({"nparams": 1000, "probabilities": probabilities}))
    for name, text in files.items():
        path = package / (label + name if name.startswith(".") else name)
        path.write_text(text.replace("{probs}", json.dumps(probabilities)).replace("{{", "{").replace("}}", "}")
                        if "{probs}" in text else text)
    return package


def test_hostile_side_files_never_fail_a_submission(tmp_path):
    """Regression: side files nested 100k levels or with ``nparams: 1e400`` made score-all fail the submission
    with E_INTERNAL. Now it is scored and submission.json lacks the bad figure; validate gives findings."""
    ref, sub = make_case(tmp_path / "case", MIXTURES, seed=1)
    subs = tmp_path / "subs"
    for label, files in SIDE_FILES.items():
        _package(subs, sub, label, files)
    outcomes = score_all(subs, ref, tmp_path / "out", ScoreConfig(workers=1, n_resamples=0))
    assert {o.label: o.status for o in outcomes} == {label: "ok" for label in SIDE_FILES}, \
        [f.message for o in outcomes for f in o.findings if f.code == "E_INTERNAL"]
    info = {label: json.loads((tmp_path / "out" / label / "submission.json").read_text()) for label in SIDE_FILES}
    for label in ("Deep_Eval_task4_1", "Inf_Nparams_task4_1", "Neg_Nparams_task4_1", "Bool_Nparams_task4_1",
                  "Huge_Nparams_task4_1"):
        assert info[label]["nparams"] is None, label
    assert info["Deep_Dev_task4_1"]["nparams"] == 1000 and info["Deep_Dev_task4_1"]["dev_results"] is None
    assert info["Inf_Dev_task4_1"]["dev_results"] is None
    assert info["Huge_Dev_task4_1"]["dev_results"]["capi_sdri"] is None
    assert info["Huge_Dev_task4_1"]["dev_results"]["accuracy_mix"] == 50.0
    assert info["Huge_DevNparams_task4_1"]["dev_results"]["capi_sdri"] == 3.0
    assert info["Inf_Meta_task4_1"]["dev_results"] is None
    for label in SIDE_FILES:
        result = invoke("validate", subs / label, "--workers", "1")
        assert result.exit_code in (0, 1), (label, result.output)
    expected = {"Deep_Eval_task4_1": "E_JSON_SYNTAX", "Inf_Nparams_task4_1": "E_JSON_SYNTAX",
                "Huge_Nparams_task4_1": "E_NPARAMS", "Huge_DevNparams_task4_1": "E_DEV_RESULTS_SCHEMA",
                "Huge_Meta_task4_1": "E_META_PARAMETERS", "Bomb_Meta_task4_1": "E_YAML_ALIASES",
                "Dup_Meta_task4_1": "E_YAML_DUPLICATE_KEY", "Deep_Meta_task4_1": "E_YAML_SYNTAX"}
    for label, code in expected.items():
        assert code in invoke("validate", subs / label, "--workers", "1").output, label


def _reseal(folder: Path) -> None:
    """A hostile result folder has consistent digests: complete.json is rewritten to match."""
    marker = json.loads((folder / "complete.json").read_text())
    marker["files"] = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in marker["files"]}
    (folder / "complete.json").write_text(json.dumps(marker))


def test_leaderboard_reads_hostile_result_folders_without_a_traceback(tmp_path):
    mixtures = {f"mix_{i}": labels for i, labels in enumerate([["Speech"], ["Dishes", "Cough"], [], ["Speech"]])}
    ref, sub = make_case(tmp_path / "case", mixtures, seed=1)
    subs = tmp_path / "subs"
    for label in ("Alpha_Lab_task4_1", "Beta_Lab_task4_1"):
        shutil.copytree(sub, subs / label)
    score_all(subs, ref, tmp_path / "out", ScoreConfig(workers=1, n_resamples=0))
    base = tmp_path / "out" / "Alpha_Lab_task4_1"
    results = json.loads((base / "results.json").read_text())
    per_mixture = (base / "per_mixture.csv").read_text()
    header, first = per_mixture.splitlines()[:2]
    columns = header.split(",")

    def changed(**cells) -> str:  # per_mixture.csv with cells of its first row replaced
        row = next(csv.reader([first]))
        for column, value in cells.items():
            row[columns.index(column)] = value
        handle = io.StringIO()
        csv.writer(handle, lineterminator="\n").writerow(row)
        return per_mixture.replace(first + "\n", handle.getvalue(), 1)

    variants = {
        "submission_list": {"submission.json": "[1, 2]"},
        "submission_types": {"submission.json": json.dumps({
            "team": ["x"], "name": 5, "abbreviation": {"a": 1}, "nparams": "12",
            "dev_results": {"capi_sdri": "NaN", "accuracy_mix": 1e308, "accuracy_src": 10**400}})},
        "submission_nparams": {"submission.json": json.dumps({"nparams": 10**30, "dev_results": [1]})},
        "submission_deep": {"submission.json": "[" * 100_000 + "]" * 100_000},
        "results_nan": {"results.json": json.dumps({**results, "provenance": [1], "subsets": {
            "all": {"capi_sdri": "NaN", "n_mixtures": "x"}, "ranking": [1], "hard": {"capi_sdri": None}}})},
        "results_provenance": {"results.json": json.dumps({**results, "provenance": {
            "submission_label": ["x"], "submission": "bad\u0000path"}}), "submission.json": "null"},
        "per_mixture_columns": {"per_mixture.csv": "soundscape,subsets\nmix_0,all\n"},
        "per_mixture_types": {"per_mixture.csv": changed(tp="x", mixture_correct="maybe")},
        "per_mixture_nan_count": {"per_mixture.csv": changed(fn="NaN")},
        "per_mixture_float_count": {"per_mixture.csv": changed(fp="1.5")},
        "per_mixture_figure": {"per_mixture.csv": changed(capi_sdri="loud")},
        "per_mixture_empty_name": {"per_mixture.csv": changed(soundscape=" ")},
        "per_mixture_duplicate": {"per_mixture.csv": per_mixture + first + "\n"},
        "per_mixture_binary": {"per_mixture.csv": "\udcff\udcfe garbage"},
    }
    for name, files in variants.items():
        folder = tmp_path / "boards" / name
        shutil.copytree(tmp_path / "out" / "Beta_Lab_task4_1", folder / "Beta_Lab_task4_1")
        shutil.copytree(base, folder / "X_Hostile_task4_1")
        (folder / "score_all.json").write_text("{}")
        for filename, text in files.items():
            (folder / "X_Hostile_task4_1" / filename).write_bytes(text.encode("utf-8", "surrogateescape"))
        _reseal(folder / "X_Hostile_task4_1")
        loaded = load_inputs([folder])
        assert {s.label for s in loaded.systems} == {"Beta_Lab_task4_1", "X_Hostile_task4_1"}, name
        hostile = next(s for s in loaded.systems if s.label == "X_Hostile_task4_1")
        assert next(s for s in loaded.systems if s.label == "Beta_Lab_task4_1").mixtures is not None
        assert isinstance(hostile.team, str) and (hostile.info["nparams"] is None or hostile.info["nparams"] == 12)
        if name.startswith("per_mixture"):
            assert hostile.mixtures is None and any("per_mixture.csv" in path for path, _ in loaded.skipped), name
        result = invoke("leaderboard", folder, "--out", tmp_path / "boards_out" / name, "--bootstrap", "20", "--quiet")
        assert result.exit_code == 0, (name, result.output)
    traversal = tmp_path / "boards" / "per_mixture_binary" / "X_Hostile_task4_1"
    (traversal / "complete.json").write_text(json.dumps({"files": {"../../../../etc/hostname": "0"}}))
    loaded = load_inputs([traversal.parent])
    assert any("incomplete" in why for _, why in loaded.skipped)
