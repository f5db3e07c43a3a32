"""Calibration submissions get their documented scores (docs/calibration.md), computed here independently."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from s5eval.calibration import KINDS
from s5eval.calibration.writer import write_reference_submission
from s5eval.cli import cli
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score
from s5eval.synth.api import SynthConfig
from s5eval.synth.writer import write_reference_set

EPS = float(np.finfo(np.float32).eps)


@pytest.fixture(scope="module")
def ref(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ref")
    write_reference_set(root, 10, SynthConfig(seconds=1.0, zero_target_rate=0.2, dup_rate=0.3), seed=3)
    return root


def _read(path: Path) -> np.ndarray:
    return sf.read(str(path), dtype="float32", always_2d=True)[0][:, 0].astype(np.float64)


def _sdr(est: np.ndarray, ref: np.ndarray) -> float:
    return float(10 * np.log10((np.sum(ref**2) + EPS) / (np.sum((ref - est) ** 2) + EPS)))


def _targets(ref: Path) -> dict[str, list[Path]]:
    out = {m.stem: [] for m in sorted((ref / "soundscape").glob("*.wav"))}
    for t in sorted((ref / "oracle_target").glob("*.wav")):
        out[t.name.rsplit("_", 2)[0]].append(t)
    return out


def _score(sub: Path, ref: Path, **options) -> dict:
    return run_score(sub, ref, ScoreConfig(workers=1, n_resamples=0, **options)).results["summary"]


def _expected_mean(ref: Path, sdri_of) -> float:
    """Dataset CAPI-SDRi when every reference pairs with its own estimate: mean over non-empty mixtures."""
    values = []
    for mix, targets in _targets(ref).items():
        if targets:
            y = _read(ref / "soundscape" / f"{mix}.wav")
            values.append(np.mean([sdri_of(_read(t), y) for t in targets]))
    return float(np.mean(values))


def _zero_share(ref: Path) -> float:
    targets = _targets(ref)
    return 100.0 * sum(not t for t in targets.values()) / len(targets)


def test_oracle_is_the_upper_bound(ref, tmp_path):
    write_reference_submission("oracle", ref, tmp_path / "Oracle_S5eval_task4_1")
    summary = _score(tmp_path / "Oracle_S5eval_task4_1", ref)
    expected = _expected_mean(ref, lambda s, y: 10 * np.log10((np.sum(s**2) + EPS) / EPS) - _sdr(y, s))
    assert summary["capi_sdri"] == pytest.approx(expected, abs=1e-3)
    assert summary["capi_sdri"] > 60
    assert summary["accuracy_mix"] == 100.0 and summary["accuracy_src"] == 100.0


def test_mixture_scores_exactly_zero(ref, tmp_path):
    write_reference_submission("mixture", ref, tmp_path / "Mixture_S5eval_task4_1")
    summary = _score(tmp_path / "Mixture_S5eval_task4_1", ref)
    assert summary["capi_sdri"] == 0.0
    assert summary["accuracy_mix"] == 100.0 and summary["accuracy_src"] == 100.0


def test_silence_scores_zero_and_only_zero_target_mixtures_are_correct(ref, tmp_path):
    write_reference_submission("silence", ref, tmp_path / "Silence_S5eval_task4_1")
    summary = _score(tmp_path / "Silence_S5eval_task4_1", ref)
    assert summary["capi_sdri"] == 0.0
    assert summary["accuracy_src"] == 0.0
    assert summary["accuracy_mix"] == pytest.approx(_zero_share(ref))
    penalised = _score(tmp_path / "Silence_S5eval_task4_1", ref, penalty_fn=-20.0)
    assert penalised["capi_sdri"] == pytest.approx(-20.0)


@pytest.mark.parametrize("snr", [0.0, 10.0, 25.0])
def test_noisy_oracle_pairs_have_the_chosen_sdr(ref, tmp_path, snr):
    sub = tmp_path / "OracleLabelsNoisy_S5eval_task4_1"
    write_reference_submission("oracle-labels-noisy", ref, sub, snr_db=snr, seed=1)
    for est in (sub / "eval_out").glob("*.wav"):
        assert _sdr(_read(est), _read(ref / "oracle_target" / est.name)) == pytest.approx(snr, abs=1e-3)
    summary = _score(sub, ref)
    assert summary["capi_sdri"] == pytest.approx(_expected_mean(ref, lambda s, y: snr - _sdr(y, s)), abs=1e-3)
    assert summary["accuracy_mix"] == 100.0 and summary["accuracy_src"] == 100.0


def test_random_labels_cost_only_their_penalties(ref, tmp_path):
    sub = tmp_path / "RandomLabels_S5eval_task4_1"
    write_reference_submission("random-labels", ref, sub, seed=4)
    assert _score(sub, ref)["capi_sdri"] == 0.0
    # with penalties, the value follows from the label counts alone (audio is the mixture: SDRi 0 for TPs)
    estimates = {m: [] for m in _targets(ref)}
    for est in (sub / "eval_out").glob("*.wav"):
        mix, _, label = est.stem.rsplit("_", 2)
        estimates[mix].append(label)
    values, tp_total, entries_total = [], 0, 0
    for mix, targets in _targets(ref).items():
        ref_labels = Counter(t.stem.rsplit("_", 1)[1] for t in targets)
        est_labels = Counter(estimates[mix])
        if not ref_labels and not est_labels:
            continue
        tp = sum((ref_labels & est_labels).values())
        fn, fp = sum(ref_labels.values()) - tp, sum(est_labels.values()) - tp
        values.append((-10.0 * fn - 5.0 * fp) / (tp + fn + fp) if tp + fn + fp else 0.0)
        tp_total, entries_total = tp_total + tp, entries_total + tp + fn + fp
    summary = _score(sub, ref, penalty_fn=-10.0, penalty_fp=-5.0)
    assert summary["capi_sdri"] == pytest.approx(np.mean(values))
    assert summary["accuracy_src"] == pytest.approx(100.0 * tp_total / entries_total)
    # seeded: the same seed writes the same labels
    again = tmp_path / "again" / "RandomLabels_S5eval_task4_1"
    write_reference_submission("random-labels", ref, again, seed=4)
    assert sorted(p.name for p in (again / "eval_out").iterdir()) == sorted(p.name for p in (sub / "eval_out").iterdir())


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_a_valid_package(ref, tmp_path, kind):
    from s5eval.validate import validate_submission

    label = "".join(p.capitalize() for p in kind.split("-")) + "_S5eval_task4_1"
    result = CliRunner().invoke(cli, ["reference", kind, "--ref", str(ref), "--out", str(tmp_path / label)])
    assert result.exit_code == 0, result.output
    report = validate_submission(tmp_path / label, ref)
    assert report.valid, [f.one_line() for f in report.findings]
    assert (tmp_path / label / "eval_results.json").is_file()
    assert (tmp_path / label / f"{label}.meta.yaml").is_file()


def test_bad_reference_set_is_a_finding_not_a_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["reference", "oracle", "--ref", str(tmp_path / "missing"),
                                      "--out", str(tmp_path / "Oracle_S5eval_task4_1")])
    assert result.exit_code == 3
    assert "E_REF_MISSING" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
