"""baseline.models.resunet30.ResUNet30 against the official DCASE 2026 Task 4 separator.

The reference data under tests/data/official_keys/ was produced once, outside the
project's environment, by ``tests/data/official_keys/regenerate_resunet30.py`` in a throwaway
virtual environment with torchlibrosa 0.1.0 and the official ``ResUNet30``
(nttcslab/dcase2026_task4_baseline): the official state_dict keys and shapes, the
Lightning prefix, the parameter count, checks of the fixed DFT kernels, torchlibrosa's
STFT/ISTFT of a seeded 0.1-s signal, and the official model's output for weights
made by :func:`deterministic_state_dict`. These tests need neither torchlibrosa nor
the official code.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baseline.models.resunet30 import (  # noqa: E402
    LIGHTNING_PREFIX,
    ResUNet30,
    SpectrumAnalyzer,
    SpectrumSynthesizer,
    count_parameters,
    polar_parts,
    separator_state_dict,
    unit_phasor,
)

DATA = Path(__file__).parent / "data" / "official_keys"
OFFICIAL = json.loads((DATA / "resunet30.json").read_text())
KERNEL_KEYS = ("base.stft.conv_real.weight", "base.stft.conv_imag.weight", "base.istft.ola_window",
               "base.istft.conv_real.weight", "base.istft.conv_imag.weight")


def deterministic_state_dict(shapes: dict[str, list[int]], seed: int = 2026) -> dict[str, torch.Tensor]:
    """Plausible weights for every key but the fixed DFT kernels, from numpy's PCG64 (key index as stream).

    Also used by regenerate_resunet30.py to give the official model the same weights."""
    out = {}
    for index, (name, shape) in enumerate(shapes.items()):
        if name in KERNEL_KEYS:
            continue
        if name.endswith("num_batches_tracked"):
            out[name] = torch.tensor(0, dtype=torch.int64)
            continue
        rng = np.random.default_rng([seed, index])
        draw = rng.standard_normal(shape)
        if name.endswith("running_var"):
            value = 0.5 + rng.random(shape)
        elif name.endswith("running_mean") or name.endswith("bias"):
            value = 0.1 * draw
        elif len(shape) == 1:  # batch-norm / layer-norm scale
            value = 1.0 + 0.1 * draw
        else:
            value = draw / np.sqrt(np.prod(shape[1:]))
        out[name] = torch.from_numpy(np.asarray(value, dtype=np.float32))
    return out


@pytest.fixture(scope="module")
def model() -> ResUNet30:
    torch.manual_seed(0)
    return ResUNet30(input_channels=4, output_channels=1, target_sources_num=3, label_len=54)


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(DATA / "resunet30_reference.npz") as data:
        return {k: data[k] for k in data.files}


def _labels(rows: list[list[int | None]]) -> torch.Tensor:
    """Stacked one-hot queries (18 classes, 3 tracks); None = silence (all zeros)."""
    out = torch.zeros(len(rows), 3, 18)
    for b, row in enumerate(rows):
        for k, cls in enumerate(row):
            if cls is not None:
                out[b, k, cls] = 1.0
    return out.reshape(len(rows), 54)


# --- format ------------------------------------------------------------------------------------


def test_state_dict_names_and_shapes_equal_the_official_ones(model):
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert ours == list(OFFICIAL["state_dict"].items())  # same names, shapes and order
    assert len(ours) == 342


def test_parameter_count_is_the_official_trainable_count(model):
    counts = OFFICIAL["parameter_count"]
    assert count_parameters(model) == counts["trainable"] == 26_740_971
    # the official parameters() also yields torchlibrosa's frozen DFT kernels; here they are buffers
    buffers = dict(model.named_buffers())
    assert sum(buffers[k].numel() for k in KERNEL_KEYS[:2] + KERNEL_KEYS[3:]) == counts["frozen_torchlibrosa_kernels"]
    assert counts["trainable"] + counts["frozen_torchlibrosa_kernels"] == counts["all_parameters_official"]
    assert all(p.requires_grad for p in model.parameters())


def test_fixed_dft_kernels_hold_the_official_values(model):
    state = model.state_dict()
    for name, check in OFFICIAL["fixed_tensor_checks"].items():
        flat = state[name].double().flatten()
        np.testing.assert_allclose(flat[check["sample_index"]].numpy(), check["sample_values"], atol=1e-6)
        assert abs(float(flat.sum()) - check["sum"]) < 1e-3
        assert abs(float(flat.abs().sum()) - check["abs_sum"]) < 1e-6 * check["abs_sum"] + 1e-3


def test_lightning_checkpoint_with_random_weights_loads_strictly(tmp_path):
    assert OFFICIAL["lightning_prefix"] == LIGHTNING_PREFIX == "model."
    gen = torch.Generator().manual_seed(7)
    weights = {}
    for name, shape in OFFICIAL["state_dict"].items():
        weights[LIGHTNING_PREFIX + name] = (torch.tensor(3, dtype=torch.int64) if name.endswith("num_batches_tracked")
                                            else torch.randn(shape, generator=gen))
    ckpt = {
        "epoch": 0, "global_step": 0, "pytorch-lightning_version": "2.5.1",
        "state_dict": weights,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 1}}}},
        "callbacks": {"ModelCheckpoint{'monitor': 'epoch_val/loss', 'mode': 'min'}":
                      {"best_model_score": torch.tensor(-3.5), "best_model_path": "epoch=0.ckpt"}},
        "optimizer_states": [{"state": {0: {"step": torch.tensor(1.0), "exp_avg": torch.zeros(2)}},
                              "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "params": [0]}]}],
        "lr_schedulers": [],
    }
    path = tmp_path / "resunetk.ckpt"
    torch.save(ckpt, path)
    state = separator_state_dict(path)  # weights_only load, prefix stripped
    assert set(state) == set(OFFICIAL["state_dict"])
    fresh = ResUNet30()
    with pytest.warns(RuntimeWarning, match="STFT kernels differ") as caught:  # random kernels: ignored, and said so
        result = fresh.load_state_dict(state, strict=True)
    assert sorted(str(w.message).split()[2] for w in caught) == ["ISTFT", "STFT"]
    assert not result.missing_keys and not result.unexpected_keys
    loaded = fresh.state_dict()
    for name in ("base.bn0.running_var", "film.decoder_block3->conv_block2->beta1.weight", "label_embedding.3.bias",
                 "base.istft.conv_real.weight"):
        assert torch.equal(loaded[name], state[name])
    # one key short -> strict loading refuses
    state.pop("base.out_conv.bias")
    with pytest.raises(RuntimeError, match="out_conv.bias"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ResUNet30().load_state_dict(state, strict=True)


def test_own_state_dict_round_trips_without_warning(model, tmp_path):
    torch.save({"state_dict": {LIGHTNING_PREFIX + k: v for k, v in model.state_dict().items()}}, tmp_path / "c.ckpt")
    plain = separator_state_dict(model.state_dict())
    assert list(plain) == list(model.state_dict())  # no prefix: returned as is
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ResUNet30().load_state_dict(separator_state_dict(tmp_path / "c.ckpt"), strict=True)


# --- forward / backward ------------------------------------------------------------------------


def test_forward_shapes_lengths_and_silence(model):
    model.eval()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for length in (601, 3201, 5119):
            mixture = 0.1 * torch.randn(2, 4, length, generator=gen)
            out = model({"mixture": mixture, "label_vector": _labels([[3, 3, None], [None, 17, 0]])})
            assert out["waveform"].shape == (2, 3, 1, length)
            assert out["waveform"].dtype == torch.float32 and torch.isfinite(out["waveform"]).all()
            assert out["source_mask"].tolist() == [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
            assert out["waveform"][0, 2].abs().max() == 0 and out["waveform"][1, 0].abs().max() == 0
            assert out["waveform"][1, 1].abs().max() > 0
    with pytest.raises(ValueError, match="label_vector"):
        model({"mixture": torch.zeros(1, 4, 3201), "label_vector": torch.zeros(1, 3 * 54)})
    with pytest.raises(ValueError, match="longer than 512"):
        model({"mixture": torch.zeros(1, 4, 512), "label_vector": _labels([[1, None, None]])})


def test_backward_reaches_every_parameter_that_is_used(model):
    model.train()
    model.zero_grad(set_to_none=True)
    gen = torch.Generator().manual_seed(2)
    out = model({"mixture": 0.1 * torch.randn(2, 4, 3201, generator=gen),
                 "label_vector": _labels([[3, 3, 9], [None, 17, 0]])})
    (out["waveform"] ** 2).mean().backward()
    unused = set(model.unused_parameter_names())
    assert len(unused) == 24  # the 6 decoder blocks' bn2 (weight, bias) and their beta2 FiLM layers
    for name, p in model.named_parameters():
        if name in unused:
            assert p.grad is None, name
        else:
            assert p.grad is not None and torch.isfinite(p.grad).all(), name
            if "shortcut.bias" not in name:  # a bias before a training-mode batch norm gets ~0
                assert p.grad.abs().max() > 0, name
    model.zero_grad(set_to_none=True)
    model.eval()


# --- transforms against torchlibrosa (stored reference) ----------------------------------------


def test_stft_magnitude_phase_equal_torchlibrosa(reference):
    """torch.stft against torchlibrosa's conv STFT (float32 both). Measured: max |diff| 6.1e-5 on a
    spectrum peaking at 126 (4.8e-7 relative, float32 rounding of the 1024-tap sums); phase 1.3e-5."""
    signal = torch.from_numpy(reference["signal"])  # seeded 0.1 s at 32 kHz: noise and a 440-Hz tone
    spec = SpectrumAnalyzer()(signal)
    assert spec.shape == reference["tl_real"].shape
    scale = float(np.abs(reference["tl_mag"]).max())
    assert (spec.real - torch.from_numpy(reference["tl_real"])).abs().max() < 5e-6 * scale
    assert (spec.imag - torch.from_numpy(reference["tl_imag"])).abs().max() < 5e-6 * scale
    mag, cos, sin = polar_parts(spec.real, spec.imag)
    assert (mag - torch.from_numpy(reference["tl_mag"])).abs().max() < 5e-6 * scale
    reliable = torch.from_numpy(reference["tl_mag"]) > 1e-2 * scale  # the phase of near-zero bins is ill-conditioned
    assert reliable.float().mean() > 0.9
    for ours, theirs in ((cos, reference["tl_cos"]), (sin, reference["tl_sin"])):
        assert (ours - torch.from_numpy(theirs))[reliable].abs().max() < 1e-4


def test_istft_equals_torchlibrosa_and_round_trips(reference):
    signal = torch.from_numpy(reference["signal"])
    length = signal.shape[-1]
    synth = SpectrumSynthesizer()
    spec = torch.complex(torch.from_numpy(reference["tl_real"]), torch.from_numpy(reference["tl_imag"]))
    assert (synth(spec, length) - torch.from_numpy(reference["tl_istft"])).abs().max() < 1e-5
    assert (synth(SpectrumAnalyzer()(signal), length) - signal).abs().max() < 1e-4
    # arbitrary spectrum, imaginary DC/Nyquist included (both implementations ignore those)
    rand = torch.complex(torch.from_numpy(reference["rand_real"]), torch.from_numpy(reference["rand_imag"]))
    assert (synth(rand, length) - torch.from_numpy(reference["tl_istft_rand"])).abs().max() < 1e-5
    # odd lengths round-trip too
    for n in (513, 1601, 3199):
        assert (synth(SpectrumAnalyzer()(signal[:, :n]), n) - signal[:, :n]).abs().max() < 1e-4


def test_mask_phasor_equals_torchlibrosa_magphase(reference):
    cos, sin = unit_phasor(torch.from_numpy(reference["mp_real"]), torch.from_numpy(reference["mp_imag"]))
    assert (cos - torch.from_numpy(reference["mp_cos"])).abs().max() < 1e-6
    assert (sin - torch.from_numpy(reference["mp_sin"])).abs().max() < 1e-6


def test_output_equals_the_official_model_with_the_same_weights(reference):
    torch.manual_seed(0)
    ours = ResUNet30()
    ours.load_state_dict(deterministic_state_dict(OFFICIAL["state_dict"]), strict=False)
    ours.eval()
    with torch.no_grad():
        out = ours({"mixture": torch.from_numpy(reference["model_mixture"]),
                    "label_vector": torch.from_numpy(reference["model_labels"])})["waveform"]
    expected = torch.from_numpy(reference["model_waveform"])
    assert out.shape == expected.shape
    assert expected.abs().max() > 1e-2  # a non-trivial output
    assert (out - expected).abs().max() < 1e-4


def test_bf16_autocast_keeps_transforms_in_float32(model):
    model.eval()
    inputs = {"mixture": 0.1 * torch.randn(1, 4, 1601, generator=torch.Generator().manual_seed(4)),
              "label_vector": _labels([[2, None, 5]])}
    with torch.no_grad():
        full = model(inputs)["waveform"]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(inputs)["waveform"]
            spec = SpectrumAnalyzer()(torch.randn(2, 1601))
    assert out.dtype == torch.float32 and out.shape == (1, 3, 1, 1601) and torch.isfinite(out).all()
    assert spec.dtype == torch.complex64
    assert (out - full).norm() < 0.05 * full.norm()  # only the U-Net ran in bf16
