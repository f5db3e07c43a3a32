"""The official DCASE results on the conformance set, reproduced by the full scoring pipeline."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score

DATA = Path(__file__).parent / "data" / "conformance"
EXPECTED = json.loads((DATA / "expected.json").read_text())
TOL_DB = 1e-4


def _close(actual, expected) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and abs(actual - expected) <= TOL_DB


@pytest.fixture(scope="module", params=["official", "paper"])
def run(request):
    return run_score(DATA / "sub", DATA / "ref", ScoreConfig(selection=request.param, workers=2, n_resamples=200))


@pytest.fixture(scope="module")
def records(run):
    return {r.soundscape: r for r in run.records}


@pytest.mark.parametrize("expected", EXPECTED["per_mixture"], ids=lambda e: e["soundscape"])
def test_per_mixture(records, run, expected):
    record = records[expected["soundscape"]]
    key = "capi_sdri" if run.config.selection == "official" else "capi_sdri_paper_selection"
    assert _close(record.capi_sdri, expected[key]), (record.capi_sdri, expected[key], expected["case"])
    assert _close(record.capi_sdri_official, expected["capi_sdri"])
    assert _close(record.capi_sdri_paper, expected["capi_sdri_paper_selection"])
    assert _close(record.ca_sdri_2025, expected["ca_sdri_2025"])
    assert record.label_set_correct_2025 == expected["label_set_correct_2025"]
    assert record.mixture_correct == expected["mixture_correct"]
    assert (record.tp, record.fp, record.fn) == (expected["tp"], expected["fp"], expected["fn"])
    assert sorted(record.ref_labels) == sorted(expected["ref_labels"])
    assert sorted(record.est_labels) == sorted(expected["est_labels"])


def test_summary(run):
    summary = run.results["summary"]
    exp = EXPECTED["summary"]
    key = "capi_sdri" if run.config.selection == "official" else "capi_sdri_paper_selection"
    assert summary["capi_sdri"] == pytest.approx(exp[key], abs=TOL_DB)
    assert summary["accuracy_mix"] == pytest.approx(exp["accuracy_mix"], abs=1e-9)
    assert summary["accuracy_src"] == pytest.approx(exp["accuracy_src"], abs=1e-9)
    assert summary["n_mixtures"] == exp["n_mixtures"]
    assert summary["n_scored"] == exp["n_scored"]
    assert summary["ca_sdri_2025"] == pytest.approx(exp["ca_sdri_2025"], abs=TOL_DB)
    assert summary["label_accuracy_2025"] == pytest.approx(exp["label_accuracy_2025"], abs=1e-9)
    assert summary["n_scored_2025"] == exp["n_scored_2025"]


def test_one_worker_equals_two(run):
    single = run_score(DATA / "sub", DATA / "ref", ScoreConfig(selection=run.config.selection, workers=1,
                                                                n_resamples=200))
    assert single.results["summary"] == run.results["summary"]


@pytest.mark.parametrize("subtype", ["FLOAT", "PCM_24"])
def test_other_wav_formats_score_identically(tmp_path, subtype):
    """The same sample values as FLOAT or PCM_24 files (decoded by soundfile, scored on float32) give the very
    same per-mixture values as the PCM16 files (scored on their int16 samples)."""
    import shutil

    import soundfile as sf

    sub = tmp_path / "sub"
    shutil.copytree(DATA / "sub", sub)
    for path in sorted(sub.rglob("*.wav"))[::2]:  # every other estimate: mixtures mix both formats
        samples, rate = sf.read(path, dtype="float32")
        sf.write(path, samples, rate, subtype=subtype)
    config = ScoreConfig(selection="paper", workers=1, n_resamples=0)
    pcm16 = {r.soundscape: r for r in run_score(DATA / "sub", DATA / "ref", config).records}
    other = run_score(sub, DATA / "ref", config).records
    assert len(other) == len(pcm16)
    for record in other:
        same = pcm16[record.soundscape]
        assert (record.capi_sdri_official, record.capi_sdri_paper, record.ca_sdri_2025) == \
            (same.capi_sdri_official, same.capi_sdri_paper, same.ca_sdri_2025)
        assert record.pairing == same.pairing


def test_reference_files_in_other_formats_score_identically(tmp_path):
    """FLOAT mixtures and PCM_24 targets holding the same values give the very same values as the PCM16 set."""
    import shutil

    import soundfile as sf

    ref = tmp_path / "ref"
    shutil.copytree(DATA / "ref", ref)
    for path in sorted((ref / "soundscape").glob("*.wav")):
        samples, rate = sf.read(path, dtype="float32")
        sf.write(path, samples, rate, subtype="FLOAT")
    for path in sorted((ref / "oracle_target").glob("*.wav"))[::3]:
        samples, rate = sf.read(path, dtype="float32")
        sf.write(path, samples, rate, subtype="PCM_24")
    config = ScoreConfig(selection="paper", workers=1, n_resamples=0)
    pcm16 = {r.soundscape: r for r in run_score(DATA / "sub", DATA / "ref", config).records}
    for record in run_score(DATA / "sub", ref, config).records:
        same = pcm16[record.soundscape]
        assert (record.capi_sdri_official, record.capi_sdri_paper, record.ca_sdri_2025, record.pairing) == \
            (same.capi_sdri_official, same.capi_sdri_paper, same.ca_sdri_2025, same.pairing)
