"""Python API, filename grammar, subsets and bootstrap helpers."""
from __future__ import annotations

import numpy as np
import pytest

import s5eval
from s5eval.io.filenames import FilenameError, parse_source_filename, parse_source_filename_free
from s5eval.labels import DCASE_CLASSES, resolve_label_set
from s5eval.stats import bootstrap_ratios, resampled_sums, resample_indices
from s5eval.results.subsets import automatic_subsets, memberships, preset_subsets

MIXES = {"mix_1", "mix_10", "soundscape_0000"}


@pytest.mark.parametrize("name, mix, label, index", [
    ("mix_1_0_Speech.wav", "mix_1", "Speech", 0),
    ("mix_10_2_Speech.wav", "mix_10", "Speech", 2),
    ("mix_1_Speech.wav", "mix_1", "Speech", None),
    ("mix_10_Speech.wav", "mix_10", "Speech", None),
    ("soundscape_0000_3_CupboardOpenClose.wav", "soundscape_0000", "CupboardOpenClose", 3),
])
def test_filenames_match_soundscapes_exactly(name, mix, label, index):
    parsed = parse_source_filename(name, MIXES, DCASE_CLASSES)
    assert (parsed.soundscape, parsed.label, parsed.index) == (mix, label, index)


@pytest.mark.parametrize("name, code", [
    ("mix_1_0_speech.wav", "E_UNKNOWN_LABEL"),
    ("mix_100_0_Speech.wav", "E_UNKNOWN_SOUNDSCAPE"),
    ("mix_Speech.wav", "E_UNKNOWN_SOUNDSCAPE"),
    ("mix_1_0_Speech.flac", "E_BAD_NAME"),
    ("Speech.wav", "E_UNKNOWN_LABEL"),
])
def test_bad_filenames(name, code):
    with pytest.raises(FilenameError) as info:
        parse_source_filename(name, MIXES, DCASE_CLASSES)
    assert info.value.code == code


def test_ambiguous_filename_is_reported():
    with pytest.raises(FilenameError) as info:
        parse_source_filename("mix_1_0_Speech.wav", {"mix_1", "mix_1_0"}, DCASE_CLASSES)
    assert info.value.code == "E_AMBIGUOUS_NAME"


def test_free_parsing_without_reference():
    assert parse_source_filename_free("soundscape_0000_Speech.wav", DCASE_CLASSES).soundscape == "soundscape_0000"
    parsed = parse_source_filename_free("soundscape_0000_1_Speech.wav", DCASE_CLASSES)
    assert (parsed.soundscape, parsed.index) == ("soundscape_0000", 1)


def test_label_set_from_file(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("Cat\nDog\n\n# comment\nDog\n")
    assert resolve_label_set(str(path)) == ("Cat", "Dog")
    with pytest.raises(ValueError):
        resolve_label_set("dcase1999")


def test_api_accepts_torch_and_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    refs = rng.standard_normal((2, 1000)).astype(np.float32)
    mixture = refs.sum(0)
    ests = refs + 0.1 * rng.standard_normal((2, 1000)).astype(np.float32)
    labels = ["Speech", "Speech"]
    a = s5eval.capi_sdri(labels, ests, labels, refs, mixture)
    b = s5eval.capi_sdri(labels, torch.from_numpy(ests[::-1].copy()), labels, torch.from_numpy(refs),
                         torch.from_numpy(mixture))
    assert a.value == pytest.approx(b.value, abs=1e-5)  # tensors: float32 energies, as the official torch code
    assert a.value > 10
    assert sorted((p.est, p.ref) for p in a.pairs) == [(0, 0), (1, 1)]
    assert s5eval.sdri(ests[0], refs[0], mixture) == pytest.approx(a.pairs[0].sdri)


def test_accumulator_matches_per_mixture_values():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    acc = s5eval.CAPISDRi()
    values = []
    for _ in range(5):
        refs = rng.standard_normal((3, 800)).astype(np.float32)
        ests = refs + 0.5 * rng.standard_normal((3, 800)).astype(np.float32)
        ref_labels = ["Speech", "Dishes", "silence"]
        est_labels = ["Speech", "Typing", "silence"]
        values.append(acc.update(est_labels, ests, ref_labels, refs, refs.sum(0)))
    out = acc.compute()
    assert out["capi_sdri"] == pytest.approx(np.mean(values))
    assert out["accuracy_mix"] == 0.0
    assert out["accuracy_src"] == pytest.approx(100 * 5 / 15)
    acc.reset()
    assert acc.compute()["n_mixtures"] == 0
    batch = acc.update_batch([["Speech"]], [torch.zeros(1, 800)], [[]], [torch.zeros(0, 800)], [torch.zeros(800)])
    assert batch == [0.0]


def test_automatic_subsets():
    assert automatic_subsets([]) == ["all", "n_ref=0", "zero_target"]
    assert set(automatic_subsets(["A"])) == {"all", "n_ref=1", "single", "nodup"}
    assert set(automatic_subsets(["A", "B"])) == {"all", "n_ref=2", "distinct", "nodup"}
    assert set(automatic_subsets(["A", "A", "B"])) == {"all", "n_ref=3", "duplicate"}
    members = memberships({"m1": ["A"], "m2": []}, {"custom": {"m2"}})
    assert list(members)[:2] == ["all", "zero_target"]
    assert members["custom"] == ["m2"]


def test_dcase2026_eval_preset():
    names = [f"eval_{i:04d}" for i in range(2567)]
    preset = preset_subsets("dcase2026-eval", names)
    assert len(preset["ranking"]) == 1512 and len(preset["analysis"]) == 1055
    assert "eval_1511" in preset["ranking"] and "eval_1512" in preset["analysis"]


def test_dcase2025_eval_preset_ranks_the_first_1620():
    names = [f"eval_{i:04d}" for i in range(2290)]
    preset = preset_subsets("dcase2025-eval", names)
    assert len(preset["ranking"]) == 1620 and len(preset["analysis"]) == 670
    assert "eval_1619" in preset["ranking"] and "eval_1620" in preset["analysis"]


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(3)
    values = rng.normal(5, 2, size=300)
    tp = rng.integers(0, 3, 300).astype(float)
    total = tp + rng.integers(0, 2, 300)
    ratios = {"mean": (values, np.ones(300)), "accuracy": (100 * tp, total)}
    a = bootstrap_ratios(ratios, 500, seed=7)
    assert a == bootstrap_ratios(ratios, 500, seed=7)
    assert a["mean"].low < values.mean() < a["mean"].high
    assert a["accuracy"].low < 100 * tp.sum() / total.sum() < a["accuracy"].high
    assert bootstrap_ratios({"none": (values, np.zeros(300))}, 100, seed=1)["none"].low is None


@pytest.mark.parametrize("chunk", [1, 7, 40, 256])
def test_resampled_sums_are_those_of_the_drawn_indices(chunk):
    """Drawing and counting the resamples in chunks gives exactly the draws of resample_indices."""
    indices = resample_indices(50, 40, seed=11)
    values = np.random.default_rng(1).normal(size=(50, 2))
    sums = resampled_sums(values, 40, seed=11, chunk=chunk)
    assert np.allclose(sums, values[indices].sum(axis=1), rtol=1e-12, atol=1e-12)
