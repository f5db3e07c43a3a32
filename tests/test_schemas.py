"""The shipped JSON Schemas: well-formed, one copy, used by the code, and matching what s5eval writes and reads."""
from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score
from s5eval.validate.schemas import SCHEMA_FILES, load_schema, schema_errors, validator

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_submissions"
VALID = SAMPLES / "valid" / "Smith_ACME_task4_1"


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_schema_is_valid_draft_2020_12(name):
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator(name)  # resolves cross-file references


def test_top_level_schemas_folder_is_the_package_folder():
    top = ROOT / "schemas"
    assert top.is_symlink() and top.resolve() == (ROOT / "s5eval" / "schemas").resolve()
    assert sorted(p.name for p in top.glob("*.json")) == sorted(SCHEMA_FILES.values())


def test_schemas_ship_in_the_wheel():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "schemas/*.json" in project["tool"]["setuptools"]["package-data"]["s5eval"]


def test_sample_files_follow_their_schemas():
    assert list(schema_errors("eval_results", json.loads((VALID / "eval_results.json").read_text()))) == []
    meta = yaml.safe_load((VALID / "Smith_ACME_task4_1.meta.yaml").read_text())
    assert list(schema_errors("meta", meta)) == []
    with (SAMPLES / "ref" / "subsets.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(not list(schema_errors("subsets_row", row)) for row in rows)


def test_dev_results_schema_is_the_official_evaluator_layout():
    import zipfile
    official = ROOT / "tests" / "data" / "official_examples" / "Nguyen_NTT_task4_1.zip"
    with zipfile.ZipFile(official) as archive:
        document = json.loads(archive.read("Nguyen_NTT_task4_1/dev_set_test_results.json"))
    assert list(schema_errors("dev_set_test_results", document)) == []
    without_model = {k: v for k, v in document.items() if k not in ("nparams", "config")}
    assert list(schema_errors("dev_set_test_results", without_model)) == []  # pre-computed waveforms
    # the eval_results.json layout is not the dev results layout
    assert list(schema_errors("dev_set_test_results", {"nparams": 3, "probabilities": []}))
    broken = json.loads(json.dumps(document))
    broken["details"][0]["metrics"][1]["value"]["tp"] = -1
    broken["details"][1]["metrics"][0]["value"] = "7.1"
    paths = {tuple(e.absolute_path) for e in schema_errors("dev_set_test_results", broken)}
    assert ("details", 0, "metrics", 1, "value", "tp") in paths and ("details", 1, "metrics", 0, "value") in paths


@pytest.mark.parametrize("instance, path", [
    ({"nparams": -1, "probabilities": []}, "nparams"),
    ({"nparams": True, "probabilities": []}, "nparams"),
    ({"nparams": 1, "probabilities": [{"soundscape": "m", "estimate": [{"filename": "m_0_Speech.wav",
                                                                       "label": "Speech", "probability": -0.1}]}]},
     "probability"),
    ({"nparams": 1, "probabilities": [{"soundscape": "m", "estimate": [{"filename": "sub/m_0_Speech.wav",
                                                                       "label": "Speech", "probability": 0.1}]}]},
     "filename"),
])
def test_eval_results_schema_rejects(instance, path):
    errors = list(schema_errors("eval_results", instance))
    assert errors and str(list(errors[0].absolute_path)[-1]) == path


@pytest.mark.parametrize("row, ok", [({"soundscape": "eval_0001", "subset": "ranking"}, True),
                                     ({"soundscape": "", "subset": "ranking"}, False),
                                     ({"soundscape": "a/b", "subset": "x"}, False),
                                     ({"subset": "ranking"}, False)])
def test_subsets_row_schema(row, ok):
    assert (not list(schema_errors("subsets_row", row))) == ok


@pytest.mark.parametrize("metric", ["capi-sdri", "ca-sdri"])
def test_results_json_written_by_score_follows_its_schema(metric):
    run = run_score(VALID, SAMPLES / "ref", ScoreConfig(metric=metric, workers=1, n_resamples=20))
    data = json.loads(json.dumps(run.results))
    assert list(schema_errors("results", data)) == []
    broken = dict(data, summary=dict(data["summary"], accuracy_mix=140.0))
    assert list(schema_errors("results", broken))


def test_the_typed_results_document_the_schema_and_a_run_name_the_same_keys():
    """s5eval.results.document (Python types), schemas/results.schema.json and what runs with every metric write."""
    from typing import get_type_hints

    from s5eval.results.document import ClassFigures, Figures, Provenance, ResultsDocument, Summary
    from s5eval.results.figures import METRICS

    schema = load_schema("results")
    assert set(get_type_hints(ResultsDocument)) == set(schema["properties"]) == set(schema["required"])
    assert set(get_type_hints(Figures)) == set(schema["$defs"]["figures"]["properties"])
    assert set(get_type_hints(Summary)) - set(get_type_hints(Figures)) == {"metric", "n_skipped"}
    assert set(get_type_hints(ClassFigures)) == set(schema["properties"]["per_class"]["additionalProperties"]["properties"])
    assert set(get_type_hints(Provenance)) == set(schema["properties"]["provenance"]["properties"])
    written: dict[str, set[str]] = {"figures": set(), "summary": set(), "class": set(), "provenance": set()}
    for metric in METRICS:
        results = run_score(VALID, SAMPLES / "ref", ScoreConfig(metric=metric, workers=1, n_resamples=20)).results
        assert list(schema_errors("results", json.loads(json.dumps(results)))) == []
        for figures in results["subsets"].values():
            written["figures"] |= set(figures)
        written["summary"] |= set(results["summary"])
        for figures in results["per_class"].values():
            written["class"] |= set(figures)
        written["provenance"] |= set(results["provenance"])
    assert written["figures"] <= set(get_type_hints(Figures))
    assert written["summary"] <= set(get_type_hints(Summary))
    assert written["class"] == set(get_type_hints(ClassFigures))
    assert written["provenance"] == set(get_type_hints(Provenance))
