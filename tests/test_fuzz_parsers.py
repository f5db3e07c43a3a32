"""No input of any shape produces a traceback: the filename parser and the JSON/YAML loaders, fuzzed."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s5eval.io.filenames import FilenameError, parse_source_filename, parse_source_filename_free
from s5eval.labels import DCASE_CLASSES, SILENCE
from s5eval.validate import ValidateOptions
from s5eval.validate.context import Context, EstimateFile
from s5eval.io.loaders import parse_json_text, parse_yaml_text
from s5eval.validate.meta import check_meta, check_nparams
from s5eval.validate.names import check_names
from s5eval.validate.results_json import check_against_files, check_eval_results

FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LABELS = DCASE_CLASSES + (SILENCE,)
PACKAGE = "Smith_ACME_task4_1"

name_parts = st.sampled_from(["mix", "mix_1", "mix_10", "eval_0001", "a_0", "a", "_", "0", "", "..", "Speech",
                              "speech", "FootSteps", "silence", "Foot_Steps"])
filenames = st.one_of(
    st.text(max_size=60),
    st.lists(name_parts, max_size=5).map(lambda parts: "_".join(parts) + ".wav"),
    st.builds(lambda a, i, lab, ext: f"{a}_{i}_{lab}{ext}", name_parts, st.integers(-5, 10**6),
              st.sampled_from(LABELS + ("Unknown", "")), st.sampled_from([".wav", ".WAV", ".wav.bak", "", ".Wav"])),
)
soundscape_sets = st.sets(st.one_of(name_parts, st.text(max_size=12)), max_size=6)


@FUZZ
@given(filenames, soundscape_sets)
def test_filename_parser_raises_only_filename_errors(filename, soundscapes):
    for parse in (lambda: parse_source_filename(filename, soundscapes, LABELS),
                  lambda: parse_source_filename_free(filename, LABELS)):
        try:
            name = parse()
        except FilenameError as exc:
            assert exc.code in {"E_BAD_NAME", "E_UNKNOWN_LABEL", "E_UNKNOWN_SOUNDSCAPE", "E_AMBIGUOUS_NAME"}
        else:
            assert name.label in LABELS and filename.endswith(f"_{name.label}" + filename[-4:])


def make_ctx(root: Path, names: list[str] = ()) -> Context:
    eval_out = root / "eval_out"
    eval_out.mkdir(parents=True, exist_ok=True)
    ctx = Context(root=root, shown_root=PACKAGE, kind="package", estimate_dir=eval_out, label=PACKAGE,
                  labels=DCASE_CLASSES, options=ValidateOptions(workers=1))
    ctx.estimates = [EstimateFile.at(eval_out / n, f"{PACKAGE}/eval_out/{n}") for n in names]
    return ctx


@FUZZ
@given(st.lists(filenames.filter(lambda n: n and "/" not in n and "\x00" not in n), max_size=8))
def test_name_checks_never_raise(names):
    with tempfile.TemporaryDirectory() as tmp:
        ctx = make_ctx(Path(tmp), names)
        for finding in check_names(ctx):
            assert finding.code.startswith(("E_", "W_"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
eval_like = st.fixed_dictionaries({
    "nparams": json_values,
    "probabilities": st.one_of(json_values, st.lists(st.fixed_dictionaries({
        "soundscape": st.one_of(st.text(max_size=10), json_values),
        "estimate": st.one_of(json_values, st.lists(st.fixed_dictionaries({
            "filename": st.one_of(filenames, json_values), "label": st.one_of(st.sampled_from(LABELS), json_values),
            "probability": json_values}), max_size=3)),
    }), max_size=4)),
})


@FUZZ
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps), eval_like.map(json.dumps),
                 st.sampled_from(["[" * 100_000, '{"a": NaN}', '{"a": 1, "a": 2}', "\ufeff{}", '{"nparams": 1e999}'])))
def test_json_loader_and_eval_results_checks_never_raise(text):
    data, findings = parse_json_text(text, "eval_results.json")
    assert data is None or not findings
    with tempfile.TemporaryDirectory() as tmp:
        ctx = make_ctx(Path(tmp), ["mix_0_Speech.wav"])
        (ctx.root / "eval_results.json").write_text(text, encoding="utf-8", errors="replace")
        loaded, found = check_eval_results(ctx)
        for finding in found:
            assert finding.code.startswith(("E_", "W_"))
        if data is not None:
            check_against_files(ctx, data)


yaml_docs = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.one_of(st.text(max_size=10), st.integers()), children, max_size=4),
    max_leaves=25,
)
yaml_snippets = st.sampled_from([
    "a: &x [1, 2]\nb: *x\n", "!!python/object/apply:os.system ['echo hi']\n", "x: !!binary 'AAAA'\n",
    "date: 2026-13-45\n", "a: [" * 5000, "? [a, b]\n: c\n", "submission: {authors: [{corresponding: yes}]}\n",
    "\t- bad indent", "%YAML 9.9\n---\na: 1\n", "a: &a [" + ",".join(["*a"] * 3) + "]\n",
    "l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 13)),
])


@FUZZ
@given(st.one_of(st.text(max_size=200), yaml_docs.map(lambda d: yaml.safe_dump(d)), yaml_snippets))
def test_yaml_loader_and_meta_checks_never_raise(text):
    data, findings = parse_yaml_text(text, "meta.yaml")
    assert data is None or not findings
    with tempfile.TemporaryDirectory() as tmp:
        ctx = make_ctx(Path(tmp))
        (ctx.root / f"{PACKAGE}.meta.yaml").write_text(text, encoding="utf-8", errors="replace")
        meta, found = check_meta(ctx)
        for finding in found:
            assert finding.code.startswith(("E_", "W_"))
        check_nparams(ctx, {"nparams": 5}, meta)


def test_billion_laughs_is_refused_quickly():
    text = "l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 13))
    data, findings = parse_yaml_text(text, "meta.yaml")
    assert data is None and [f.code for f in findings] == ["E_YAML_ALIASES"]


def test_unsafe_yaml_tags_are_refused():
    data, findings = parse_yaml_text("!!python/object/apply:os.system ['echo hi']\n", "meta.yaml")
    assert data is None and [f.code for f in findings] == ["E_YAML_SYNTAX"]
