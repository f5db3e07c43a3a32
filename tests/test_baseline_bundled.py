"""The shipped tiny checkpoint (``--ckpt tiny``, the demo's baseline) and the inference-only export."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from baseline import BUNDLED_CHECKPOINTS, bundled_checkpoint, resolve_checkpoint

torch = pytest.importorskip("torch")

from baseline.config import config_from_dict  # noqa: E402
from baseline.export import export  # noqa: E402
from baseline.train import (CHECKPOINT_FORMAT, checkpoint_state, load_checkpoint, plain,  # noqa: E402
                            system_from_checkpoint, train)

from baseline_fakes import CLASSES, FakeGenerator  # noqa: E402
from test_baseline_train import tiny_config  # noqa: E402


def test_the_tiny_checkpoint_ships_as_package_data_and_loads_weights_only():
    path = bundled_checkpoint()
    assert path.name == BUNDLED_CHECKPOINTS["tiny"] and path.parent.name == "data" and path.parent.parent.name == "s5eval"
    assert path.is_file() and path.stat().st_size < 8_000_000  # a few MB: no optimiser state
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert state["format"] == CHECKPOINT_FORMAT and state["optimizer"] is None
    assert state["config"]["name"] == "tiny" and state["step"] > 0
    system, config = system_from_checkpoint(load_checkpoint(path))
    assert len(system.classes) == 18 and config.k_max == 3
    assert resolve_checkpoint("tiny") == path
    assert resolve_checkpoint("runs/tiny/best.pt") == Path("runs/tiny/best.pt")


def test_training_checkpoints_hold_plain_values_and_export_drops_the_optimiser(tmp_path, label_file):
    values = tiny_config(epochs=1)
    values["label_set"] = label_file
    train(config_from_dict(values), tmp_path / "run", generator=FakeGenerator())
    full = torch.load(tmp_path / "run" / "best.pt", weights_only=True)  # figures were stored as plain values
    assert full["optimizer"] is not None
    slim = export(tmp_path / "run" / "best.pt", tmp_path / "slim.pt")
    assert slim["optimizer"] is None and slim["step"] == full["step"] and slim["validation"] == full["validation"]
    assert (tmp_path / "slim.pt").stat().st_size < (tmp_path / "run" / "best.pt").stat().st_size
    a, _ = system_from_checkpoint(load_checkpoint(tmp_path / "run" / "best.pt"))
    b, _ = system_from_checkpoint(load_checkpoint(tmp_path / "slim.pt"))
    assert a.classes == b.classes == CLASSES
    for name, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[name])


def test_a_checkpoint_with_pickled_objects_is_refused(tmp_path, label_file):
    import numpy as np

    values = tiny_config()
    values["label_set"] = label_file
    config = config_from_dict(values)
    system, _ = system_from_checkpoint({"config": config.to_dict(), "classes": list(CLASSES),
                                        "model": _fresh_weights(config)})
    state = checkpoint_state(config, system)
    state["validation"] = {"capi_sdri": np.float64(1.0)}  # not plain: needs full unpickling
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="weights_only"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(pickle.UnpicklingError):
        export(tmp_path / "bad.pt", tmp_path / "out.pt")
    assert export(tmp_path / "bad.pt", tmp_path / "out.pt", trust=True)["validation"] == {"capi_sdri": 1.0}
    assert plain({"a": (np.int64(2), np.zeros(2))}) == {"a": [2, [0.0, 0.0]]}


def _fresh_weights(config):
    from baseline.models.system import build_system

    return build_system(CLASSES, config.model, config.k_max, config.n_channels, config.sample_rate).state_dict()


@pytest.fixture()
def label_file(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("\n".join(CLASSES) + "\n")
    return str(path)


def test_ckpt_tiny_wins_over_a_folder_named_tiny(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from s5eval.cli import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny").mkdir()  # e.g. the workdir of `s5eval baseline train tiny`
    (tmp_path / "run").mkdir()
    result = CliRunner().invoke(cli, ["baseline", "infer", "--ckpt", "tiny", "--ref", "nowhere", "--out", "sub"])
    assert "--ckpt" not in result.output and "is a directory" not in result.output
    result = CliRunner().invoke(cli, ["baseline", "infer", "--ckpt", "run", "--ref", "nowhere", "--out", "sub"])
    assert result.exit_code == 2 and "is a directory" in result.output
