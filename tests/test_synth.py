"""The synthesizer: determinism, the DCASE 2026 recipe's statistics, reconstruction, FOA directions, files."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.labels import DCASE_CLASSES
from s5eval.synth import rooms
from s5eval.synth.api import SynthConfig, make_example
from s5eval.synth.recipe import draw_directions, draw_labels
from s5eval.synth.sources import CLASS_GENERATORS, INTERFERER_GENERATORS, render_event

SHORT = SynthConfig(seconds=2.0)


@pytest.fixture(scope="module")
def examples():
    return [make_example(seed, SHORT) for seed in range(16)]


def test_same_seed_gives_identical_arrays():
    a, b = make_example(11, SHORT), make_example(11, SHORT)
    assert a.mixture.tobytes() == b.mixture.tobytes()
    assert [(lb, t.tobytes()) for lb, t in a.targets] == [(lb, t.tobytes()) for lb, t in b.targets]
    assert a.metadata == b.metadata
    assert not np.array_equal(a.mixture, make_example(12, SHORT).mixture)


def test_example_shapes_and_types(examples):
    n = SHORT.n_samples
    for ex in examples:
        assert ex.mixture.shape == (4, n) and ex.mixture.dtype == np.float32
        assert np.all(np.isfinite(ex.mixture)) and np.max(np.abs(ex.mixture)) < 1.0
        assert ex.labels == ex.metadata["labels"]
        for label, target in ex.targets:
            assert label in DCASE_CLASSES
            assert target.shape == (n,) and target.dtype == np.float32
            assert np.max(np.abs(target)) < 1.0 and np.any(target != 0)


def test_mixture_is_the_sum_of_its_spatialised_parts(examples):
    for ex in examples:
        names = [name for name, _ in ex.parts]
        assert names[-1] == "noise"
        assert sum(name.startswith("target:") for name in names) == len(ex.targets)
        assert sum(name.startswith("interferer:") for name in names) == len(ex.metadata["interferers"])
        rebuilt = np.sum([part.astype(np.float64) for _, part in ex.parts], axis=0)
        np.testing.assert_allclose(rebuilt, ex.mixture, atol=1e-6)


def test_snrs_are_in_range_and_realised_against_the_noise(examples):
    sr = SHORT.samplerate
    for ex in examples:
        parts = dict(ex.parts)
        noise = parts["noise"][0].astype(np.float64)
        for role, (low, high) in (("targets", SHORT.target_snr_db), ("interferers", SHORT.interferer_snr_db)):
            for meta in ex.metadata[role]:
                assert low <= meta["snr_db"] <= high
                kind = role[:-1]
                wet = parts[f"{kind}:{meta['index']}:{meta['label']}"][0].astype(np.float64)
                start = round(meta["onset_s"] * sr)
                stop = min(wet.size, start + round(meta["duration_s"] * sr))
                realised = 10 * np.log10(np.mean(wet[start:stop] ** 2) / np.mean(noise[start:stop] ** 2))
                assert realised == pytest.approx(meta["snr_db"], abs=0.01)
        assert len(ex.metadata["interferers"]) <= 2


def test_dry_target_is_the_direct_path_of_the_reference_channel(examples):
    """The dry target lies inside its wet omni channel's early part: it is much closer to the wet signal
    than silence is, but not equal to it (the reverberant tail is left out)."""
    for ex in examples:
        parts = dict(ex.parts)
        for k, (label, dry) in enumerate(ex.targets):
            wet0 = parts[f"target:{k}:{label}"][0].astype(np.float64)
            residual = np.sum((wet0 - dry) ** 2) / np.sum(wet0**2)
            assert 1e-4 < residual < 0.9


def test_recipe_rates_and_counts_over_many_draws():
    config = SynthConfig(dup_rate=0.3, zero_target_rate=0.1)
    rng = np.random.default_rng(0)
    draws = [draw_labels(rng, config) for _ in range(4000)]
    kinds = Counter(kind for kind, _ in draws)
    assert kinds["zero"] / 4000 == pytest.approx(0.1, abs=0.02)
    assert kinds["dup"] / 4000 == pytest.approx(0.3, abs=0.03)
    counts = Counter(len(labels) for _, labels in draws)
    assert set(counts) == {0, 1, 2, 3}
    for kind, labels in draws:
        repeated = len(labels) != len(set(labels))
        assert repeated == (kind == "dup")
        assert (len(labels) == 0) == (kind == "zero")
        assert set(labels) <= set(DCASE_CLASSES)


@pytest.mark.parametrize("dup_rate,zero_rate", [(0.0, 0.0), (0.5, 0.5), (0.0, 1.0)])
def test_rates_are_settable(dup_rate, zero_rate):
    config = SynthConfig(dup_rate=dup_rate, zero_target_rate=zero_rate)
    rng = np.random.default_rng(1)
    kinds = Counter(draw_labels(rng, config)[0] for _ in range(2000))
    assert kinds["dup"] / 2000 == pytest.approx(dup_rate, abs=0.04)
    assert kinds["zero"] / 2000 == pytest.approx(zero_rate, abs=0.04)


def test_impossible_rates_are_refused():
    with pytest.raises(ValueError):
        SynthConfig(dup_rate=0.7, zero_target_rate=0.5)
    with pytest.raises(ValueError):
        SynthConfig(dup_rate=0.2, max_targets=1)


def test_same_class_targets_are_at_least_60_degrees_apart():
    rng = np.random.default_rng(2)
    for _ in range(300):
        labels = ["Speech"] * 3 if rng.random() < 0.5 else ["Cough", "Cough", "Dishes"]
        dirs = draw_directions(rng, labels, 2, 60.0)
        assert len(dirs) == 5
        for i in range(3):
            for j in range(i):
                if labels[i] == labels[j]:
                    assert rooms.angular_distance_deg(dirs[i], dirs[j]) >= 60.0


def test_same_class_separation_in_generated_examples(examples):
    for ex in examples:
        targets = ex.metadata["targets"]
        for i, a in enumerate(targets):
            for b in targets[:i]:
                if a["label"] == b["label"]:
                    sep = rooms.angular_distance_deg((a["azimuth_deg"], a["elevation_deg"]),
                                                     (b["azimuth_deg"], b["elevation_deg"]))
                    assert sep >= 60.0


@pytest.mark.parametrize("azimuth,elevation", [(0.0, 0.0), (90.0, 0.0), (-120.0, 30.0), (40.0, -30.0)])
def test_foa_direct_path_encodes_the_direction(azimuth, elevation):
    rir = rooms.foa_rir(1, azimuth, elevation, 1.5, 32000).astype(np.float64)
    peak = int(np.argmax(np.abs(rir[0])))
    window = slice(peak - 3, peak + 4)  # the fractional-delay kernel of the direct path
    w = rir[0, window]
    ratios = [float(rir[ch, window] @ w / (w @ w)) for ch in (1, 2, 3)]
    az, el = np.deg2rad(azimuth), np.deg2rad(elevation)
    expected = [np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)]
    np.testing.assert_allclose(ratios, expected, atol=0.05)


def test_every_class_generator_varies_per_instance_and_is_finite():
    sr, n = 16000, 16000
    for label, generator in {**CLASS_GENERATORS, **INTERFERER_GENERATORS}.items():
        a = render_event(generator, np.random.default_rng(1), sr, n)
        b = render_event(generator, np.random.default_rng(2), sr, n)
        assert a.shape == (n,) and np.all(np.isfinite(a)), label
        assert np.sqrt(np.mean(a**2)) > 0.05, label  # unit RMS over the active part, so never silent
        assert not np.allclose(a, b), label


def _features(x: np.ndarray, sr: int) -> np.ndarray:
    """Log energies in 20 log-spaced bands (spectral shape) and the envelope's modulation spread."""
    from scipy.signal import stft

    freqs, _, spec = stft(x, sr, nperseg=1024)
    power = np.abs(spec) ** 2
    edges = np.geomspace(50, sr / 2, 21)
    bands = np.array([power[(freqs >= lo) & (freqs < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])])
    shape = np.log10(bands / bands.sum() + 1e-8)
    frame_energy = np.log10(power.sum(axis=0) + 1e-8)
    return np.concatenate([shape, [2 * np.std(frame_energy)]])


def test_classes_are_distinct_nearest_centroid_recognises_them():
    """A nearest-centroid classifier on spectral shape, trained on 3 instances a class, recognises most
    held-out instances: the 18 generators make different sounds, not one sound with different seeds."""
    sr, n = 16000, 4 * 16000
    centroids, tests = {}, []
    for label, generator in CLASS_GENERATORS.items():
        feats = [_features(render_event(generator, np.random.default_rng(seed), sr, n), sr) for seed in range(5)]
        centroids[label] = np.mean(feats[:3], axis=0)
        tests += [(label, f) for f in feats[3:]]
    names = list(centroids)
    matrix = np.stack([centroids[c] for c in names])
    correct = sum(names[int(np.argmin(np.linalg.norm(matrix - f, axis=1)))] == label for label, f in tests)
    assert correct / len(tests) >= 0.85


def test_synth_command_is_worker_independent_and_writes_the_dcase_layout(tmp_path):
    runner = CliRunner()
    args = ["--n", "6", "--seconds", "1", "--seed", "5", "--quiet"]
    one = runner.invoke(cli, ["synth", str(tmp_path / "a"), *args, "--workers", "1"])
    two = runner.invoke(cli, ["synth", str(tmp_path / "b"), *args, "--workers", "2"])
    assert one.exit_code == 0, one.output
    assert two.exit_code == 0, two.output
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        if rel.name != "synth.json":
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel

    root = tmp_path / "a"
    mixtures = sorted((root / "soundscape").glob("*.wav"))
    assert [m.stem for m in mixtures] == [f"soundscape_{k:04d}" for k in range(6)]
    subsets = (root / "subsets.csv").read_text().splitlines()
    assert subsets[0] == "soundscape,subset"
    for k, mix in enumerate(mixtures):
        info = sf.info(str(mix))
        assert (info.channels, info.samplerate, info.frames, info.subtype) == (4, 32000, 32000, "PCM_16")
        meta = json.loads((root / "metadata" / f"{mix.stem}.json").read_text())
        targets = sorted((root / "oracle_target").glob(f"{mix.stem}_*.wav"))
        assert [t.name for t in targets] == [f"{mix.stem}_{i}_{lb}.wav" for i, lb in enumerate(meta["labels"])]
        expected_subset = {"dup": "dupset", "nodup": "nodupset"}.get(meta["kind"])
        assert (f"{mix.stem},{expected_subset}" in subsets) == (expected_subset is not None)
        # the file is the in-memory mixture of seed [5, k], within PCM16 rounding
        example = make_example(meta["seed"], SynthConfig(seconds=1.0))
        assert meta["seed"] == [5, k]
        audio, _ = sf.read(str(mix), dtype="float32")
        np.testing.assert_allclose(audio.T, example.mixture, atol=1.0 / 32768 + 1e-7)


def test_synth_refuses_to_overwrite_and_reports_bad_options(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["synth", str(tmp_path), "--n", "1", "--seconds", "1", "--quiet"]).exit_code == 0
    again = runner.invoke(cli, ["synth", str(tmp_path), "--n", "1", "--seconds", "1", "--quiet"])
    assert again.exit_code == 2 and "E_SYNTH_OUTPUT_EXISTS" in again.output
    assert again.exception is None or isinstance(again.exception, SystemExit)
    bad = runner.invoke(cli, ["synth", str(tmp_path / "x"), "--n", "1", "--dup-rate", "0.8",
                              "--zero-target-rate", "0.5"])
    assert bad.exit_code == 2 and "E_SYNTH_OPTIONS" in bad.output


def test_source_dir_draws_events_from_a_dev_set(tmp_path):
    dev = tmp_path / "dev_set"
    rng = np.random.default_rng(0)
    for label in DCASE_CLASSES:
        (dev / "sound_event" / label).mkdir(parents=True)
        sf.write(str(dev / "sound_event" / label / f"{label}_a.wav"), 0.1 * rng.standard_normal(16000), 16000)
    (dev / "noise").mkdir()
    sf.write(str(dev / "noise" / "room.wav"), 0.01 * rng.standard_normal((48000, 4)), 32000)
    example = make_example(3, SynthConfig(seconds=1.0, source_dir=str(dev), zero_target_rate=0.0))
    assert example.targets and all(m["source_id"].startswith("dev_set/sound_event/")
                                   for m in example.metadata["targets"])
    assert example.metadata["noise"]["model"] == "dev set noise/"
    rebuilt = np.sum([p.astype(np.float64) for _, p in example.parts], axis=0)
    np.testing.assert_allclose(rebuilt, example.mixture, atol=1e-6)


def test_unusable_source_dir_is_a_finding(tmp_path):
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "o"), "--n", "1", "--source-dir", str(tmp_path)])
    assert result.exit_code == 2 and "E_SYNTH_SOURCE_DIR" in result.output
