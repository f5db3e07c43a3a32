"""Data, configuration, training (checkpoint, resume, CSV log) and a two-process DDP step on CPU."""
from __future__ import annotations

import csv
import os
import socket
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baseline.config import ConfigError, config_from_dict, load_config  # noqa: E402
from baseline.data import (DataSpec, FolderMixtures, SynthesizedMixtures, build_datasets,  # noqa: E402
                           encode_item)
from baseline.train import load_checkpoint, system_from_checkpoint, train  # noqa: E402

from baseline_fakes import CLASSES, FakeGenerator  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[1] / "baseline" / "configs"


def tiny_config(**train_overrides):
    """A configuration for the fake generator: 8 kHz, tiny networks, a few mixtures."""
    return {
        "name": "test", "sample_rate": 8000, "k_max": 3,
        "model": {"tagger": {"n_fft": 256, "hop": 128, "n_mels": 16, "widths": [4, 8], "head_hidden": 16},
                  "separator": {"n_fft": 128, "hop": 64, "widths": [4, 8], "cond_hidden": 8}},
        "data": {"train_size": 8, "val_size": 4, "seed": 0, "val_seed": 99},
        "train": {"batch_size": 4, "epochs": 2, "log_every": 1, "val_batch_size": 4, "device": "cpu",
                  **train_overrides},
    }


@pytest.fixture()
def label_file(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("\n".join(CLASSES) + "\n")
    return str(path)


def test_encode_item_pads_and_shuffles_slots():
    mix = np.zeros((4, 10), np.float32)
    targets = [("b", np.ones(10, np.float32)), ("a", 2 * np.ones(10, np.float32))]
    item = encode_item(mix, targets, ("a", "b"), 3, np.random.default_rng(0))
    labels = item["labels"].tolist()
    assert sorted(labels) == [0, 1, 2]  # 2 = silence
    assert item["targets"][labels.index(0)][0] == 2.0 and item["targets"][labels.index(2)].abs().sum() == 0
    with pytest.raises(ValueError, match="K_max"):
        encode_item(mix, targets * 2, ("a", "b"), 3, None)
    with pytest.raises(ValueError, match="not a class"):
        encode_item(mix, [("zzz", np.ones(10))], ("a", "b"), 3, None)


def test_synthesized_dataset_is_deterministic_and_changes_with_epoch():
    ds = SynthesizedMixtures(CLASSES, 3, 4, seed=5, generator=FakeGenerator())
    a, b = ds[1], ds[1]
    assert torch.equal(a["mixture"], b["mixture"]) and a["mixture"].shape == (4, 4000)
    ds.set_epoch(1)
    assert not torch.equal(ds[1]["mixture"], a["mixture"])


def test_folder_dataset_reads_dcase_layout(tmp_path):
    import soundfile as sf

    gen = FakeGenerator()
    (tmp_path / "soundscape").mkdir()
    (tmp_path / "oracle_target").mkdir()
    for i in range(3):
        ex = gen((1, 0, i))
        sf.write(tmp_path / "soundscape" / f"mix{i}.wav", ex.mixture.T, 8000, subtype="FLOAT")
        for j, (label, wav) in enumerate(ex.targets):
            sf.write(tmp_path / "oracle_target" / f"mix{i}_{j}_{label}.wav", wav, 8000, subtype="FLOAT")
    ds = FolderMixtures(tmp_path, CLASSES, 3, segment_seconds=0.25, shuffle_slots=False)
    item = ds[0]
    assert len(ds) == 3 and item["mixture"].shape == (4, 2000) and item["targets"].shape == (3, 2000)
    n_targets = len(gen((1, 0, 0)).targets)
    assert int((item["labels"] != len(CLASSES)).sum()) == n_targets
    # a config can train and validate on such folders
    train_set, val_set = build_datasets(DataSpec(train_folder=str(tmp_path), val_folder=str(tmp_path),
                                                 segment_seconds=0.25), CLASSES, 3)
    assert train_set[1]["mixture"].shape == (4, 2000) and val_set[1]["mixture"].shape == (4, 4000)


def test_config_files_load_and_typos_are_refused(label_file):
    for name in ("tiny.yaml", "dcase.yaml"):
        config = load_config(CONFIGS / name)
        assert config.k_max == 3 and len(config.classes) == 18
    with pytest.raises(ConfigError, match="unknown key.*batchsize"):
        config_from_dict({"train": {"batchsize": 3}})
    with pytest.raises(ConfigError, match="separation"):
        config_from_dict({"loss": {"separation": "sisdr"}})
    with pytest.raises(ConfigError, match="max_targets"):
        config_from_dict({"data": {"synth": {"max_targets": 4}}})


def test_training_writes_log_checkpoints_and_resumes(tmp_path, label_file):
    values = tiny_config()
    values["label_set"] = label_file
    config = config_from_dict(values)
    result = train(config, tmp_path / "run", generator=FakeGenerator())
    assert result.steps == 4 and result.epochs == 2  # 8 mixtures / batch 4, two epochs
    rows = list(csv.DictReader((tmp_path / "run" / "log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(np.isfinite(float(r["train_loss"])) for r in rows)
    assert rows[-1]["val_accuracy_src"] != ""
    state = load_checkpoint(tmp_path / "run" / "last.pt")
    assert state["epoch"] == 2 and state["step"] == 4 and (tmp_path / "run" / "best.pt").is_file()
    system, _ = system_from_checkpoint(state)
    assert system.classes == CLASSES
    # resume: two more epochs continue from step 4
    values["train"]["epochs"] = 4
    resumed = train(config_from_dict(values), tmp_path / "run", generator=FakeGenerator())
    assert resumed.steps == 8 and resumed.epochs == 4
    assert [int(r["epoch"]) for r in csv.DictReader((tmp_path / "run" / "log.csv").open())] == [1, 2, 3, 4]


def test_training_stops_at_max_steps(tmp_path, label_file):
    values = tiny_config(max_steps=1, epochs=5)
    values["label_set"] = label_file
    result = train(config_from_dict(values), tmp_path / "run", generator=FakeGenerator())
    assert result.steps == 1 and result.epochs == 1


def _ddp_worker(rank: int, world: int, port: int, workdir: str, label_file: str, out: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    values = tiny_config(epochs=1)
    values["label_set"] = label_file
    values["data"]["train_size"] = 16  # 8 per process, 2 steps of 4
    result = train(config_from_dict(values), workdir, resume=False, generator=FakeGenerator())
    weights = {k: v.clone() for k, v in result.system.state_dict().items()}
    torch.save({"rank": rank, "step": result.steps, "weights": weights}, Path(out) / f"rank{rank}.pt")


def test_ddp_two_processes_on_cpu_with_gloo(tmp_path, label_file):
    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path / "run"), label_file, str(tmp_path)), nprocs=2, join=True)
    state = load_checkpoint(tmp_path / "run" / "last.pt")
    assert state["step"] == 2  # 16 mixtures over 2 processes with batch 4
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    assert [r["step"] for r in ranks] == [2, 2]
    # gradients were averaged: both processes end with the same weights
    for name, value in ranks[0]["weights"].items():
        if value.is_floating_point() and "running" not in name:
            assert torch.allclose(value, ranks[1]["weights"][name], atol=1e-6), name
    assert all(torch.equal(state["model"][k], v) for k, v in ranks[0]["weights"].items())
