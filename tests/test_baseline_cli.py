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
