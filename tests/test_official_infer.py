"""The official DCASE 2026 checkpoints run through ``s5eval baseline infer``, and the bundled-config fixes of ``train``.

Random-weight checkpoints are built once per module in the official Lightning layout
(``{"state_dict": {"model.<name>": ...}, "optimizer_states": ..., "callbacks": ...}``) from
the recorded official names and shapes in ``tests/data/official_keys/``, then loaded into our
ports (``baseline/models/m2dat.py``, ``baseline/models/resunet30.py``) strictly.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402

from baseline.infer import iter_batches  # noqa: E402
from baseline.models.m2dat import m2dat_1c, m2dat_4c, random_tagger_state_dict  # noqa: E402
from baseline.models.resunet30 import ResUNet30  # noqa: E402
from baseline.official import (OFFICIAL_LABELS, OfficialCheckpointError, OfficialS5, count_parameters,  # noqa: E402
                               load_official_state_dict, load_official_system, match_state_dict,
                               silence_last_order)
from s5eval.cli import cli  # noqa: E402
from s5eval.io.package import summary_from_details  # noqa: E402
from s5eval.validate.schemas import schema_errors  # noqa: E402

from s5fixtures import make_case  # noqa: E402

KEYS = Path(__file__).parent / "data" / "official_keys"
SILENCE_INDEX = len(OFFICIAL_LABELS)  # the tagger's last output class
REF_LABELS = {"mix_a": ["Speech", "Cough"], "mix_b": ["Dishes"], "mix_c": []}
SECONDS = 0.5


def recorded(name: str) -> tuple[dict[str, list[int]], str]:
    """Official state_dict names -> shapes, and the Lightning prefix, as recorded by the porting colleagues."""
    data = json.loads((KEYS / f"{name}.json").read_text())
    shapes = data.get("state_dict", data)
    return {k: v for k, v in shapes.items() if isinstance(v, list)}, data.get("lightning_prefix", "model.")


def lightning_checkpoint(state: dict[str, torch.Tensor], prefix: str, **extra) -> dict:
    """A checkpoint as PyTorch Lightning writes it: the module under ``prefix`` plus training state."""
    return {
        "epoch": 41, "global_step": 32800, "pytorch-lightning_version": "2.5.1",
        "state_dict": {prefix + k: v for k, v in state.items()},
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 42, "completed": 41}}}},
        "callbacks": {"ModelCheckpoint{'monitor': 'val/loss', 'mode': 'min'}": {
            "best_model_score": torch.tensor(0.25), "best_model_path": "checkpoint/last.ckpt"}},
        "optimizer_states": [{"state": {0: {"step": torch.tensor(32800.0), "exp_avg": torch.zeros(4)}},
                              "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "params": [0]}]}],
        "lr_schedulers": [{"last_epoch": 41, "_step_count": 42}],
        "hparams_name": "kwargs", "hyper_parameters": {"model": {"main": "official"}},
        **extra,
    }


def tagger_state(variant: str, seed: int) -> dict[str, torch.Tensor]:
    """Random weights at every recorded official name and shape; front-end constants from our network."""
    shapes, _ = recorded(f"m2dat_{variant}")
    own = (m2dat_1c if variant == "1c" else m2dat_4c)().state_dict()
    template = {k: own[k] if k in own and list(own[k].shape) == shape else torch.zeros(shape)
                for k, shape in shapes.items()}
    return random_tagger_state_dict(template, seed=seed)


def separator_state(seed: int) -> dict[str, torch.Tensor]:
    """ResUNet30's own random initialisation (seeded) at every recorded official name and shape."""
    shapes, _ = recorded("resunet30")
    torch.manual_seed(seed)
    own = ResUNet30(input_channels=4, output_channels=1, target_sources_num=3, label_len=54).state_dict()
    return {k: own[k] if k in own and list(own[k].shape) == shape else torch.randn(shape)
            for k, shape in shapes.items()}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """``4c``, ``1c``, ``sep`` (official layout, weights-only loadable) and ``sep_objects`` (needs unpickling)."""
    root = tmp_path_factory.mktemp("official_ckpts")
    paths = {}
    tagger_prefix = recorded("m2dat_4c")[1]
    state = tagger_state("4c", seed=1)
    with torch.no_grad():  # output track 0 always says silence, tracks 1 and 2 never: exercises silence-last
        state["head.tracks.0.3.bias"][SILENCE_INDEX] = 30.0
        for k in (1, 2):
            state[f"head.tracks.{k}.3.bias"][SILENCE_INDEX] = -30.0
    paths["4c"] = root / "m2dat_4c.ckpt"
    torch.save(lightning_checkpoint(state, tagger_prefix), paths["4c"])
    del state
    paths["1c"] = root / "m2dat_1c.ckpt"
    torch.save(lightning_checkpoint(tagger_state("1c", seed=2), tagger_prefix), paths["1c"])
    sep = separator_state(seed=3)
    sep_prefix = recorded("resunet30")[1]
    paths["sep"] = root / "resunetk.ckpt"
    # a name outside the module's prefix (as a loss module's buffer would be) is ignored, as by the official loader
    checkpoint = lightning_checkpoint(sep, sep_prefix)
    checkpoint["state_dict"]["loss_func.scale"] = torch.ones(1)
    torch.save(checkpoint, paths["sep"])
    paths["sep_objects"] = root / "resunetk_objects.ckpt"
    torch.save(lightning_checkpoint(sep, sep_prefix, hyper_parameters=argparse.Namespace(lr=1e-4)),
               paths["sep_objects"])
    yield paths
    for path in paths.values():  # about 1.1 GB: do not leave it in pytest's kept temporary folders
        path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def system_4c(checkpoints):
    """The 4c tagger and the separator, loaded once for the module."""
    return load_official_system(checkpoints["4c"], checkpoints["sep"], "cpu")


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    """Three 0.5-s 4-channel 32-kHz PCM16 mixtures (2, 1 and 0 targets) with their oracle targets."""
    ref, _ = make_case(tmp_path_factory.mktemp("official_set"), REF_LABELS, seed=5, seconds=SECONDS)
    return ref


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def read_mixture(ref: Path, name: str) -> torch.Tensor:
    samples, rate = sf.read(ref / "soundscape" / f"{name}.wav", dtype="float32", always_2d=True)
    assert rate == 32000 and samples.shape[1] == 4
    return torch.from_numpy(np.ascontiguousarray(samples.T))[None]


# --- loading -----------------------------------------------------------------------------------------------


def test_recorded_names_are_those_of_our_networks():
    assert set(recorded("m2dat_1c")[0]) == set(m2dat_1c().state_dict())
    assert set(recorded("m2dat_4c")[0]) == set(m2dat_4c().state_dict())
    assert set(recorded("resunet30")[0]) == set(ResUNet30().state_dict())


def test_both_tagger_variants_and_the_separator_load_strictly(checkpoints, system_4c, small_set):
    for variant in ("4c", "1c"):
        system = system_4c if variant == "4c" else load_official_system(checkpoints[variant], checkpoints["sep"])
        assert system.variant == variant
        assert system.info["tagger"]["variant"] == variant and system.info["tagger"]["global_step"] == 32800
        stored = load_official_state_dict(checkpoints[variant])
        assert all(k.startswith("model.") for k in stored)
        own = system.model.tagger.state_dict()
        assert set(own) == {k[len("model."):] for k in stored}
        for name in ("head.tracks.2.3.weight", next(k for k in own if k.endswith("pos_embed"))):
            assert torch.equal(own[name], stored["model." + name])
        sep = system.model.separator.state_dict()
        sep_stored = load_official_state_dict(checkpoints["sep"])
        assert "loss_func.scale" in sep_stored and "scale" not in sep
        assert all(torch.equal(v, sep_stored["model." + k]) for k, v in sep.items())
        with torch.no_grad():
            out = system.model.tagger.predict({"waveform": read_mixture(small_set, "mix_a")})
        assert out["label_vector"].shape == (1, 3, SILENCE_INDEX + 1) and out["probabilities"].shape == (1, 3)
    # nparams as the official scripts count it: the separator's STFT kernels are official frozen parameters
    official = json.loads((KEYS / "resunet30.json").read_text())["parameter_count"]["all_parameters_official"]
    assert count_parameters(system.model.separator) == official


def test_a_checkpoint_that_needs_unpickling_is_refused_unless_trusted(checkpoints):
    with pytest.raises(OfficialCheckpointError) as exc:
        load_official_state_dict(checkpoints["sep_objects"])
    assert exc.value.untrusted and "argparse.Namespace" in str(exc.value) and "--trust-checkpoint" in str(exc.value)
    state = load_official_state_dict(checkpoints["sep_objects"], trust=True)
    assert set(state) == {"model." + k for k in recorded("resunet30")[0]}
    system = load_official_system(None, checkpoints["sep_objects"], "cpu", trust=True)
    assert system.model.tagger is None and system.variant is None


def test_prefix_matching_and_clear_errors(tmp_path):
    own = ["a.weight", "b.0.bias", "b.1.running_mean"]
    tensors = {k: torch.zeros(1) for k in own}
    for prefix in ("model.", "module.model."):  # names outside the prefix are ignored
        stored = {prefix + k: v for k, v in tensors.items()} | {"loss_func.x": torch.zeros(1)}
        assert set(match_state_dict(stored, own)) == set(own)
    assert set(match_state_dict(tensors, own)) == set(own)  # a bare state dict
    with pytest.raises(OfficialCheckpointError, match="unexpected: loss_func.x"):
        match_state_dict(tensors | {"loss_func.x": torch.zeros(1)}, own)  # no prefix: every name must match
    with pytest.raises(OfficialCheckpointError) as exc:
        match_state_dict({"model.a.weight": torch.zeros(1), "model.b.0.bias": torch.zeros(1),
                          "model.extra": torch.zeros(1)}, own, "sep.ckpt")
    message = str(exc.value)
    assert "prefix 'model.'" in message and "missing: b.1.running_mean" in message and "unexpected: extra" in message
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(OfficialCheckpointError, match="not a PyTorch checkpoint|cannot read") as exc:
        load_official_state_dict(bad)
    assert not exc.value.untrusted
    torch.save({"epoch": 1}, tmp_path / "nostate.ckpt")
    with pytest.raises(OfficialCheckpointError, match="no 'state_dict'"):
        load_official_state_dict(tmp_path / "nostate.ckpt")


def test_a_tagger_of_the_wrong_shape_is_a_clear_error(checkpoints, tmp_path):
    state = load_official_state_dict(checkpoints["sep"])
    state["model.label_embedding.0.weight"] = torch.zeros(512, 36)
    torch.save({"state_dict": state}, tmp_path / "wrong.ckpt")
    with pytest.raises(OfficialCheckpointError, match=r"another shape.*label_embedding\.0\.weight \(512, 36\)"):
        load_official_system(None, tmp_path / "wrong.ckpt", "cpu")
    with pytest.raises(OfficialCheckpointError, match="not an M2D-AT tagger"):
        load_official_system(checkpoints["sep"], checkpoints["sep"], "cpu")


# --- the official combination, on a hand-made tagger output ---------------------------------------------------


class HandTagger(torch.nn.Module):
    """``predict`` returns fixed one-hot vectors and probabilities, as the official M2D-AT ``predict``."""

    def __init__(self, classes: list[list[int]], probabilities: list[list[float]]):
        super().__init__()
        self.vectors = torch.nn.functional.one_hot(torch.tensor(classes), SILENCE_INDEX + 1).float()
        self.probabilities = torch.tensor(probabilities)

    def predict(self, input_dict):
        return {"label_vector": self.vectors.clone(), "probabilities": self.probabilities.clone()}


class RecordingSeparator(torch.nn.Module):
    """Remembers its query; track k of the output is the constant k + 1 (silent queries give zeros)."""

    def forward(self, input_dict):
        self.query = input_dict["label_vector"]
        b, _, t = input_dict["mixture"].shape
        wave = torch.arange(1, 4, dtype=torch.float32)[None, :, None, None].expand(b, 3, 1, t).clone()
        silent = self.query.view(b, 3, -1).sum(-1) == 0
        wave[silent] = 0.0
        return {"waveform": wave}


def test_silence_moves_last_with_its_probability_and_the_query_is_54_values():
    index = {label: i for i, label in enumerate(OFFICIAL_LABELS)}
    classes = [[SILENCE_INDEX, index["Cough"], SILENCE_INDEX],
               [index["Speech"], SILENCE_INDEX, index["Dishes"]],
               [index["Speech"], index["Speech"], index["Blender"]]]
    probabilities = [[0.9, 0.8, 0.7], [0.5, 0.6, 0.4], [0.3, 0.2, 0.1]]
    separator = RecordingSeparator()
    model = OfficialS5(HandTagger(classes, probabilities), separator)
    out = model.predict_label_separate(torch.zeros(3, 4, 100))
    assert out.labels == [["Cough", "silence", "silence"], ["Speech", "Dishes", "silence"],
                          ["Speech", "Speech", "Blender"]]
    assert torch.allclose(out.probabilities, torch.tensor([[0.8, 0.9, 0.7], [0.5, 0.4, 0.6], [0.3, 0.2, 0.1]]))
    query = separator.query
    assert query.shape == (3, 54)
    expected = torch.zeros(3, 3, 18)
    expected[0, 0, index["Cough"]] = 1
    expected[1, 0, index["Speech"]] = expected[1, 1, index["Dishes"]] = 1
    expected[2, 0, index["Speech"]] = expected[2, 1, index["Speech"]] = expected[2, 2, index["Blender"]] = 1
    assert torch.equal(query, expected.flatten(1))
    assert out.waveforms.shape == (3, 3, 100) and out.waveforms.dtype == torch.float32
    assert out.waveforms[0, :, 0].tolist() == [1.0, 0.0, 0.0]
    # label names give the same query (silence = zeros), whatever the position
    assert torch.equal(model.label_query([["Cough", "silence", "silence"]]), expected[0].flatten()[None])
    oracle = model.oracle_separate(torch.zeros(1, 4, 100), [["silence", "Dishes", "silence"]])
    assert oracle.labels == [["silence", "Dishes", "silence"]]  # given labels keep their order
    assert oracle.probabilities.tolist() == [[1.0, 1.0, 1.0]]
    assert separator.query.view(3, 18).sum(1).tolist() == [0.0, 1.0, 0.0]
    assert silence_last_order(["silence", "A", "silence", "B"]) == [1, 3, 0, 2]


def test_batches_hold_consecutive_mixtures_of_one_length():
    lengths = {"a": 5, "b": 5, "c": 5, "d": 7, "e": 5}
    batches = list(iter_batches([(k, k) for k in lengths], lambda k: np.zeros((4, lengths[k])), batch_size=2))
    assert [[name for name, _ in batch] for batch in batches] == [["a", "b"], ["c"], ["d"], ["e"]]
    assert [len(b) for b in iter_batches([(k, k) for k in lengths], lambda k: np.zeros((4, 5)), 1)] == [1] * 5


# --- s5eval baseline infer with the official checkpoints -------------------------------------------------------


def test_infer_writes_a_valid_official_package(checkpoints, system_4c, small_set, tmp_path):
    out = tmp_path / "Baseline_Official_task4_1"
    result = invoke("baseline", "infer", "--tagger-ckpt", checkpoints["4c"], "--separator-ckpt", checkpoints["sep"],
                    "--ref", small_set, "--out", out, "--batch-size", "2", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "wrote 6 estimates for 3 mixtures" in result.output and "CAPI-SDRi" in result.output

    # what the tagger says, one mixture at a time; track 0 is silence, so it moves last
    tagger = system_4c.model.tagger
    expected = {}
    for name in REF_LABELS:
        with torch.no_grad():
            pred = tagger.predict({"waveform": read_mixture(small_set, name)})
        labels = [(OFFICIAL_LABELS + ("silence",))[int(i)] for i in pred["label_vector"][0].argmax(-1)]
        probs = pred["probabilities"][0].tolist()
        assert labels[0] == "silence" and "silence" not in labels[1:]
        expected[name] = (labels[1:] + labels[:1], probs[1:] + probs[:1])

    names = sorted(p.name for p in (out / "eval_out").glob("*.wav"))
    assert names == sorted(f"{m}_{i}_{label}.wav" for m, (labels, _) in expected.items()
                           for i, label in enumerate(labels[:2]))
    for name in names:
        info = sf.info(out / "eval_out" / name)
        assert (info.channels, info.samplerate, info.frames, info.subtype) == (1, 32000, int(SECONDS * 32000), "PCM_16")
    package = json.loads((out / "eval_results.json").read_text())
    assert list(schema_errors("eval_results", package)) == []
    assert package["nparams"] == count_parameters(system_4c.model)
    assert package["config"]["checkpoints"]["tagger"]["variant"] == "4c"
    for entry in package["probabilities"]:
        labels, probs = expected[entry["soundscape"]]
        assert [e["filename"] for e in entry["estimate"]] == [f"{entry['soundscape']}_{i}_{labels[i]}.wav"
                                                              for i in range(2)]
        assert [e["probability"] for e in entry["estimate"]] == pytest.approx(probs[:2], abs=1e-5)

    dev = json.loads((out / "dev_set_test_results.json").read_text())
    assert list(schema_errors("dev_set_test_results", dev)) == []
    assert list(dev) == ["CAPI-SDRi", "label_metrics", "nparams", "details", "config"]
    assert [d["soundscape"] for d in dev["details"]] == sorted(REF_LABELS)
    for detail in dev["details"]:
        labels, probs = expected[detail["soundscape"]]
        assert detail["est_labels"] == labels and detail["probabilities"] == pytest.approx(probs, abs=1e-5)
        ref_labels = REF_LABELS[detail["soundscape"]]  # make_case numbers them in this order: sorted file names
        assert detail["ref_labels"] == ref_labels + ["silence"] * (3 - len(ref_labels))
    assert summary_from_details(dev["details"]) == (dev["CAPI-SDRi"], dev["label_metrics"])

    checked = invoke("validate", out, "--ref", small_set)
    assert checked.exit_code == 0, checked.output


def test_oracle_labels_name_files_by_the_reference_and_need_trust_for_objects(checkpoints, small_set, tmp_path):
    out = tmp_path / "Oracle_Official_task4_1"
    refused = invoke("baseline", "infer", "--separator-ckpt", checkpoints["sep_objects"], "--oracle-labels",
                     "--ref", small_set, "--out", out)
    assert refused.exit_code == 2 and "E_BASELINE_CKPT_UNTRUSTED" in refused.output
    assert "--trust-checkpoint" in refused.output and not (out / "eval_results.json").exists()
    result = invoke("baseline", "infer", "--separator-ckpt", checkpoints["sep_objects"], "--oracle-labels",
                    "--trust-checkpoint", "--ref", small_set, "--out", out, "--device", "cpu")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (out / "eval_out").glob("*.wav"))
    reference = sorted(p.name for p in (small_set / "oracle_target").glob("*.wav"))
    assert names == reference == ["mix_a_0_Speech.wav", "mix_a_1_Cough.wav", "mix_b_0_Dishes.wav"]
    package = json.loads((out / "eval_results.json").read_text())
    assert all(e["probability"] == 1.0 for p in package["probabilities"] for e in p["estimate"])
    assert package["config"]["oracle_labels"] is True
    dev = json.loads((out / "dev_set_test_results.json").read_text())
    assert list(schema_errors("dev_set_test_results", dev)) == []
    assert dev["label_metrics"]["accuracy_mix"] == 100.0
    assert all(d["probabilities"] == [1.0, 1.0, 1.0] and d["est_labels"] == d["ref_labels"] for d in dev["details"])
    assert invoke("validate", out, "--ref", small_set).exit_code == 0


def test_infer_option_conflicts_are_usage_errors(checkpoints, small_set, tmp_path):
    out = tmp_path / "x"
    cases = [
        ["--ckpt", checkpoints["sep"], "--separator-ckpt", checkpoints["sep"]],
        ["--separator-ckpt", checkpoints["sep"]],  # no tagger and no --oracle-labels
        ["--tagger-ckpt", checkpoints["4c"]],  # no separator
        ["--ckpt", checkpoints["sep"], "--oracle-labels"],
        [],
    ]
    for extra in cases:
        result = invoke("baseline", "infer", *extra, "--ref", small_set, "--out", out)
        assert result.exit_code == 2 and "Traceback" not in result.output, (extra, result.output)
    no_targets = tmp_path / "eval_set"
    (no_targets / "soundscape").mkdir(parents=True)
    for wav in (small_set / "soundscape").glob("*.wav"):
        (no_targets / "soundscape" / wav.name).write_bytes(wav.read_bytes())
    result = invoke("baseline", "infer", "--separator-ckpt", checkpoints["sep"], "--oracle-labels",
                    "--ref", no_targets, "--out", out)
    assert result.exit_code == 2 and "E_BASELINE_ORACLE" in result.output


# --- train: bundled names win over folders; python -m baseline.train takes names and --max-minutes --------------


def test_bundled_config_name_wins_over_a_folder_of_that_name(monkeypatch, tmp_path):
    import baseline.train as train_module
    from baseline.config import load_config

    seen = []

    def fake_train(config, workdir, resume=True):
        seen.append((config.name, config.train.max_minutes, Path(workdir)))
        return train_module.TrainResult(Path(workdir), 0, 0, None, 0)

    monkeypatch.setattr(train_module, "train", fake_train)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny").mkdir()
    (tmp_path / "dcase").write_text("not: [yaml")
    result = invoke("baseline", "train", "tiny", "--workdir", tmp_path / "w", "--max-minutes", "0.5")
    assert result.exit_code == 0, result.output
    assert seen[-1] == ("tiny", 0.5, tmp_path / "w")
    assert invoke("baseline", "train", "dcase", "--workdir", tmp_path / "w").exit_code == 0
    assert seen[-1][0] == "dcase"
    # a path to a YAML file still works; a folder given as a path is refused clearly
    bundled = Path(train_module.__file__).parent / "configs" / "tiny.yaml"
    (tmp_path / "mine.yaml").write_text(bundled.read_text())
    assert invoke("baseline", "train", "mine.yaml", "--workdir", tmp_path / "w").exit_code == 0
    result = invoke("baseline", "train", "./tiny", "--workdir", tmp_path / "w")
    assert result.exit_code == 2 and "E_BASELINE_CONFIG" in result.output
    # python -m baseline.train: the same names, --max-minutes
    assert train_module.main(["tiny", "--max-minutes", "0.01", "--workdir", str(tmp_path / "m")]) == 0
    assert seen[-1] == ("tiny", 0.01, tmp_path / "m")
    assert train_module.main(["mine.yaml", "--workdir", str(tmp_path / "m"), "--no-resume"]) == 0
    assert seen[-1][1] == load_config(bundled).train.max_minutes  # the config's own limit when not given
    with pytest.raises(SystemExit):
        train_module.main(["tiny", "--workdir", str(tmp_path / "m"), "--max-minutes", "-1"])
