"""Inference writes a complete DCASE package that s5eval scores, with the same figures."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

from baseline.config import config_from_dict  # noqa: E402
from baseline.infer import infer  # noqa: E402
from baseline.models import build_system  # noqa: E402
from baseline.train import checkpoint_state, save_checkpoint  # noqa: E402
from s5eval.findings import S5InputError  # noqa: E402
from s5eval.score import ScoreConfig, run_score  # noqa: E402

from baseline_fakes import CLASSES, FakeGenerator  # noqa: E402

RATE = 8000


@pytest.fixture()
def checkpoint(tmp_path):
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
        system.tagger.head[-1].bias.view(3, len(CLASSES) + 1)[:, -1] = -3.0
    path = tmp_path / "model.pt"
    save_checkpoint(path, checkpoint_state(config, system, epoch=1, step=3))
    return path


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
    package = json.loads((out / "eval_results.json").read_text())
    assert package["nparams"] > 0 and package["config"]["step"] == 3
    assert [e["soundscape"] for e in package["probabilities"]] == [f"mix_{i}" for i in range(5)]
    listed = sorted(e["filename"] for p in package["probabilities"] for e in p["estimate"])
    assert listed == [w.name for w in wavs]
    assert all(0 < e["probability"] <= 1 for p in package["probabilities"] for e in p["estimate"])
    dev = json.loads((out / "dev_set_test_results.json").read_text())
    run = run_score(out, ref, ScoreConfig(label_set=str(checkpoint.parent / "labels.txt"), workers=1,
                                          n_resamples=10))
    summary = run.results["summary"]
    assert summary["n_mixtures"] == 5
    assert summary["capi_sdri"] == pytest.approx(dev["results"]["capi_sdri"], abs=1e-4)
    assert summary["accuracy_src"] == pytest.approx(dev["results"]["accuracy_src"])
    # the package is complete: s5eval validate accepts it
    from click.testing import CliRunner
    from s5eval.cli import cli

    checked = CliRunner().invoke(cli, ["validate", str(out), "--ref", str(ref),
                                       "--label-set", str(checkpoint.parent / "labels.txt")])
    assert checked.exit_code == 0, checked.output


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
