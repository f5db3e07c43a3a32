"""``s5eval baseline``: help, the message without torch, clean errors for bad input."""
from __future__ import annotations

import importlib.util

import pytest
from click.testing import CliRunner

from s5eval.cli import cli


def test_baseline_help_lists_train_and_infer():
    result = CliRunner().invoke(cli, ["baseline", "--help"])
    assert result.exit_code == 0
    assert "train" in result.output and "infer" in result.output


def test_without_torch_says_how_to_install(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    result = CliRunner().invoke(cli, ["baseline", "train", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert 'pip install "s5eval[baseline]"' in result.output
    assert "Traceback" not in result.output


def test_bad_config_and_missing_checkpoint_are_findings(tmp_path):
    pytest.importorskip("torch")
    config = tmp_path / "bad.yaml"
    config.write_text("train: {batchsize: 2}\n")
    result = CliRunner().invoke(cli, ["baseline", "train", str(config)])
    assert result.exit_code == 2 and "E_BASELINE_CONFIG" in result.output and "batchsize" in result.output
    result = CliRunner().invoke(cli, ["baseline", "train", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "cannot read" in result.output
    result = CliRunner().invoke(cli, ["baseline", "train", "no-such-bundled-config"])
    assert result.exit_code == 2 and "cannot read" in result.output
    (tmp_path / "ref" / "soundscape").mkdir(parents=True)
    result = CliRunner().invoke(cli, ["baseline", "infer", "--ckpt", str(tmp_path / "none.pt"),
                                      "--ref", str(tmp_path / "ref"), "--out", str(tmp_path / "sub")])
    assert result.exit_code == 2 and "E_BASELINE_CKPT" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_s5eval_does_not_import_torch_for_the_baseline_help():
    import subprocess
    import sys

    code = ("import sys; from click.testing import CliRunner; from s5eval.cli import cli; "
            "r = CliRunner().invoke(cli, ['baseline', 'infer', '--help']); "
            "assert r.exit_code == 0, r.output; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_train_accepts_a_bundled_config_name(monkeypatch, tmp_path):
    pytest.importorskip("torch")
    import baseline.train as train_module

    seen = {}

    def fake_train(config, workdir, resume=True):
        seen.update(name=config.name, minutes=config.train.max_minutes, workdir=workdir, resume=resume)
        return train_module.TrainResult(workdir, 0, 0, None, 0)

    monkeypatch.setattr(train_module, "train", fake_train)
    result = CliRunner().invoke(cli, ["baseline", "train", "tiny", "--workdir", str(tmp_path / "w"),
                                      "--max-minutes", "1", "--no-resume"])
    assert result.exit_code == 0, result.output
    assert seen == {"name": "tiny", "minutes": 1.0, "workdir": tmp_path / "w", "resume": False}
