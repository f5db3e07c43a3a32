"""Inference writes a complete DCASE package, as the official tools do, that s5eval scores with the same figures."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

from baseline.config import config_from_dict  # noqa: E402
from baseline.infer import infer, load_system  # noqa: E402
from baseline.models import build_system  # noqa: E402
from baseline.train import checkpoint_state, save_checkpoint  # noqa: E402
from s5eval.findings import S5InputError  # noqa: E402
from s5eval.io.package import summary_from_details  # noqa: E402
from s5eval.scoring.config import ScoreConfig  # noqa: E402
from s5eval.scoring.run import run_score  # noqa: E402
from s5eval.validate.schemas import schema_errors  # noqa: E402

from baseline_fakes import CLASSES, FakeGenerator  # noqa: E402

RATE = 8000


def write_checkpoint(tmp_path, silent_track: int | None = None):
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(CLASSES) + "\n")
    config = config_from_dict({
        "label_set": str(labels), "sample_rate": RATE,
        "model": {"tagger": {"n_fft": 256, "hop": 128, "n_mels": 16, "widths": [4, 8], "head_hidden": 16},
                  "separator": {"n_fft": 128, "hop": 64, "widths": [4, 8], "cond_hidden": 8}},
        "train": {"device": "cpu"}})
    torch.manual_seed(0)
    system = build_system(config.classes, config.model, sample_rate=RATE)
    with torch.no_grad():  # bias the tagger towards real classes so that estimates get written
        bias = system.tagger.head[-1].bias.view(3, len(CLASSES) + 1)
        bias[:, -1] = -3.0
        if silent_track is not None:  # this output track always says silence
            bias[silent_track, -1] = 30.0
    path = tmp_path / "model.pt"
    save_checkpoint(path, checkpoint_state(config, system, epoch=1, step=3))
    return path


@pytest.fixture()
def checkpoint(tmp_path):
    return write_checkpoint(tmp_path)


def make_set(root, n=5, with_targets=True):
    gen = FakeGenerator(RATE, 0.6)
    (root / "soundscape").mkdir(parents=True)
    if with_targets:
        (root / "oracle_target").mkdir()
    for i in range(n):
        ex = gen((7, i))
        sf.write(root / "soundscape" / f"mix_{i}.wav", ex.mixture.T, RATE, subtype="FLOAT")
        if with_targets:
            for j, (label, wav) in enumerate(ex.targets):
                sf.write(root / "oracle_target" / f"mix_{i}_{j}_{label}.wav", wav, RATE, subtype="FLOAT")
    return root


def model_tracks(ckpt, ref, n):
    """``(mixture, track, label, probability)`` of every non-silent output track, from the model itself."""
    system, _ = load_system(ckpt, torch.device("cpu"))
    out = []
    for i in range(n):
        mixture, _ = sf.read(ref / "soundscape" / f"mix_{i}.wav", dtype="float32", always_2d=True)
        result = system(torch.from_numpy(np.ascontiguousarray(mixture.T))[None])
        labels = system.label_names(result.labels)[0]
        probs = result.probabilities[0].tolist()
        out += [(f"mix_{i}", k, label, p) for k, (label, p) in enumerate(zip(labels, probs)) if label != "silence"]
    return out


def test_infer_writes_a_package_that_scores_the_same(tmp_path, checkpoint):
    ref = make_set(tmp_path / "ref")
    out = tmp_path / "Baseline_S5eval_task4_1"
    result = infer(checkpoint, ref, out, device="cpu", progress=False)
    assert result.n_mixtures == 5 and result.n_estimates > 0
    wavs = sorted((out / "eval_out").glob("*.wav"))
    assert len(wavs) == result.n_estimates
    for wav in wavs:
        info = sf.info(wav)
        assert info.channels == 1 and info.samplerate == RATE and info.frames == int(0.6 * RATE)
        assert info.subtype == "PCM_16"  # soundfile's default, as the official generate_waveform.py writes
    # file names carry the model's output track index
    expected = model_tracks(checkpoint, ref, 5)
    assert [w.name for w in wavs] == sorted(f"{m}_{k}_{label}.wav" for m, k, label, _ in expected)
    package = json.loads((out / "eval_results.json").read_text())
    assert list(package) == ["nparams", "probabilities", "config"]
    assert package["nparams"] > 0 and package["config"]["step"] == 3
    assert [e["soundscape"] for e in package["probabilities"]] == [f"mix_{i}" for i in range(5)]
    listed = sorted(e["filename"] for p in package["probabilities"] for e in p["estimate"])
    assert listed == [w.name for w in wavs]
    assert all(0 < e["probability"] <= 1 for p in package["probabilities"] for e in p["estimate"])
    assert list(schema_errors("eval_results", package)) == []

    # dev_set_test_results.json: the official Evaluator layout
    dev = json.loads((out / "dev_set_test_results.json").read_text())
    assert list(schema_errors("dev_set_test_results", dev)) == []
    assert list(dev) == ["CAPI-SDRi", "label_metrics", "nparams", "details", "config"]
    assert dev["nparams"] == package["nparams"]
    assert [d["soundscape"] for d in dev["details"]] == [f"mix_{i}" for i in range(5)]
    capi, labels = summary_from_details(dev["details"])
    assert dev["CAPI-SDRi"] == capi and dev["label_metrics"] == labels
    for detail in dev["details"]:
        ref_labels = sorted(p.stem.split("_", 3)[3] for p in (ref / "oracle_target").glob(f"{detail['soundscape']}_*"))
        assert len(detail["ref_labels"]) == len(detail["est_labels"]) == len(detail["probabilities"]) == 3
        assert sorted(x for x in detail["ref_labels"] if x != "silence") == ref_labels
        tracks = [(k, label) for m, k, label, _ in expected if m == detail["soundscape"]]
        assert [(k, label) for k, label in enumerate(detail["est_labels"]) if label != "silence"] == tracks
        assert [m["metric"] for m in detail["metrics"]] == ["CAPI-SDRi", "label_metrics"]
    assert result.figures["capi_sdri"] == dev["CAPI-SDRi"]["mean"]
    assert result.figures["accuracy_src"] == dev["label_metrics"]["accuracy_src"]

    # s5eval score on the written files gives the same figures
    run = run_score(out, ref, ScoreConfig(label_set=str(checkpoint.parent / "labels.txt"), workers=1,
                                          n_resamples=10))
    summary = run.results["summary"]
    assert summary["n_mixtures"] == 5
    assert summary["capi_sdri"] == pytest.approx(dev["CAPI-SDRi"]["mean"], abs=1e-4)
    assert summary["accuracy_src"] == pytest.approx(dev["label_metrics"]["accuracy_src"])
    assert summary["accuracy_mix"] == pytest.approx(dev["label_metrics"]["accuracy_mix"])
    by_name = {r.soundscape: r.capi_sdri for r in run.records}
    for detail in dev["details"]:
        value = detail["metrics"][0]["value"]
        assert (value is None) == (by_name[detail["soundscape"]] is None)
        if value is not None:
            assert value == pytest.approx(by_name[detail["soundscape"]], abs=1e-4)
    # the meta YAML states the same development figures
    import yaml
    meta = yaml.safe_load((out / "Baseline_S5eval_task4_1.meta.yaml").read_text())
    assert meta["submission"]["label"] == "Baseline_S5eval_task4_1"
    assert meta["results"]["development_dataset"]["capi_sdri"] == dev["CAPI-SDRi"]["mean"]
    # the package is complete: s5eval validate accepts it
    from click.testing import CliRunner
    from s5eval.cli import cli

    checked = CliRunner().invoke(cli, ["validate", str(out), "--ref", str(ref),
                                       "--label-set", str(checkpoint.parent / "labels.txt")])
    assert checked.exit_code == 0, checked.output


def test_silent_tracks_are_skipped_and_indices_keep_the_model_track(tmp_path):
    ckpt = write_checkpoint(tmp_path, silent_track=0)
    ref = make_set(tmp_path / "ref", n=3)
    out = tmp_path / "Baseline_S5eval_task4_2"
    infer(ckpt, ref, out, device="cpu", progress=False)
    names = sorted(p.name for p in (out / "eval_out").glob("*.wav"))
    assert names and not any(n.split("_")[2] == "0" for n in names)  # track 0 is silent: no _0_ file
    assert names == sorted(f"{m}_{k}_{label}.wav" for m, k, label, _ in model_tracks(ckpt, ref, 3))
    package = json.loads((out / "eval_results.json").read_text())
    probabilities = {(m, k): p for m, k, _, p in model_tracks(ckpt, ref, 3)}
    for entry in package["probabilities"]:
        for estimate in entry["estimate"]:
            track = int(estimate["filename"].split("_")[2])
            assert estimate["probability"] == pytest.approx(probabilities[(entry["soundscape"], track)], abs=1e-6)
    dev = json.loads((out / "dev_set_test_results.json").read_text())
    assert list(schema_errors("dev_set_test_results", dev)) == []
    assert all(d["est_labels"][0] == "silence" for d in dev["details"])
    assert len(dev["details"]) == 3
    from s5eval.validate import ValidateOptions, validate_submission
    report = validate_submission(out, ref, ValidateOptions(label_set=str(ckpt.parent / "labels.txt"), workers=1))
    assert report.valid, [f.one_line() for f in report.findings]


def test_infer_without_targets_and_rerun_replaces_old_estimates(tmp_path, checkpoint):
    ref = make_set(tmp_path / "ref", n=2, with_targets=False)
    out = tmp_path / "sub"
    (out / "eval_out").mkdir(parents=True)
    (out / "eval_out" / "stale_0_Cough.wav").write_bytes(b"old")
    infer(checkpoint, ref, out, device="cpu", progress=False)
    assert not (out / "dev_set_test_results.json").exists()
    assert not (out / "eval_out" / "stale_0_Cough.wav").exists()
    assert len(json.loads((out / "eval_results.json").read_text())["probabilities"]) == 2


def test_infer_refuses_bad_checkpoint_and_wrong_rate(tmp_path, checkpoint):
    ref = make_set(tmp_path / "ref", n=1)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(S5InputError) as exc:
        infer(bad, ref, tmp_path / "out", device="cpu")
    assert exc.value.findings[0].code == "E_BASELINE_CKPT"
    lightning = tmp_path / "resunetk.ckpt"
    torch.save({"state_dict": {}, "pytorch-lightning_version": "2.0"}, lightning)
    with pytest.raises(S5InputError) as exc:
        infer(lightning, ref, tmp_path / "out", device="cpu")
    assert "Lightning" in exc.value.findings[0].message
    sf.write(ref / "soundscape" / "mix_0.wav", np.zeros((100, 4), np.float32), 16000)
    with pytest.raises(S5InputError) as exc:
        infer(checkpoint, ref, tmp_path / "out", device="cpu")
    assert exc.value.findings[0].code == "E_BASELINE_INPUT"
