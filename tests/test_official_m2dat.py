"""Our M2D-AT port (baseline/models/m2dat.py) against the official DCASE 2026 tagger.

References in tests/data/official_keys/, recorded from the official classes
(nttcslab/dcase2026_task4_baseline src/models/m2dat, timm 1.0.15, nnAudio 0.3.3)
by record_m2dat_reference.py: the state_dict layouts of m2dat_1c / m2dat_4c, the
official log-mel of seeded 1.2 s and 10 s signals, and the official forward /
predict outputs of random-weight models (``random_tagger_state_dict`` with the
recorded seeds). On the recording machine the port matched all of them bit for
bit; the tolerances below only allow for float32 summation order on other CPUs.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baseline.models import m2dat as M  # noqa: E402

DATA = Path(__file__).parent / "data" / "official_keys"
_spec = importlib.util.spec_from_file_location("record_m2dat_reference", DATA / "record_m2dat_reference.py")
REC = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(REC)

LOGMEL_ATOL = 1e-4   # natural-log mel power (values -10..4); recorded: bit-identical
FEAT_ATOL = 1e-4     # encoder features after the final LayerNorm, O(1)
LOGIT_ATOL = 1e-3    # logits in -2..2; inputs differ by 0.05-0.25
PROB_ATOL = 1e-4
# official parameter counts (named_parameters(), norm_stats included) and trainable ones with finetuning_layers=head
OFFICIAL_PARAMS = {"1c": (98_905_403, 13_412_409), "4c": (134_294_843, 48_801_849)}


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(DATA / "m2dat_reference.npz"))


def _official_keys(variant):
    return json.loads((DATA / f"m2dat_{variant}.json").read_text())


@pytest.fixture(scope="module")
def models():
    """Both variants with the seeded random weights of the recording, in eval mode (built once)."""
    torch.manual_seed(0)
    out = {}
    for variant, factory, seed in (("1c", M.m2dat_1c, REC.SEED_1C), ("4c", M.m2dat_4c, REC.SEED_4C)):
        model = factory()
        sd = M.random_tagger_state_dict(model.state_dict(), seed=seed, norm_stats=REC.NORM_STATS)
        model.load_state_dict(sd, strict=True)
        out[variant] = (model.eval(), sd)
    return out


def _wave(ref, tag, seed, b, c, sec):
    wave = REC.seeded_wave(seed, b, c, sec)
    assert float(wave.double().abs().sum()) == pytest.approx(float(ref[f"{tag}_wave_sum_abs"]), rel=1e-9), \
        "the seeded test signal differs from the recorded one (torch RNG changed?)"
    return wave


# ----------------------------------------------------------------------------- layout

@pytest.mark.parametrize("variant", ["1c", "4c"])
def test_state_dict_names_and_shapes_equal_official(models, variant):
    model, _ = models[variant]
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    official = _official_keys(variant)
    assert set(ours) == set(official), (sorted(set(ours) - set(official))[:5], sorted(set(official) - set(ours))[:5])
    assert ours == official
    assert list(ours) == list(official)  # even the order
    n_par = sum(p.numel() for p in model.parameters())
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert (n_par, n_train) == OFFICIAL_PARAMS[variant]


@pytest.mark.parametrize("variant", ["1c", "4c"])
def test_lightning_checkpoint_loads_strict(models, variant):
    model, sd = models[variant]
    ckpt = {
        "epoch": 0, "global_step": 0, "pytorch-lightning_version": "2.5.1",
        "state_dict": {M.LIGHTNING_PREFIX + k: v for k, v in sd.items()},
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 1e-3, "amsgrad": True, "params": []}]}],
        "lr_schedulers": [], "callbacks": {}, "loops": {}, "hyper_parameters": {"is_validation": True},
    }
    assert M.tagger_variant_from_keys(ckpt["state_dict"]) == variant
    assert M.tagger_variant_from_keys(ckpt) == variant
    stripped = M.strip_checkpoint_prefix(ckpt["state_dict"], model)
    assert stripped.keys() == sd.keys() and set(stripped) == set(_official_keys(variant))
    fresh = M.load_m2dat_checkpoint(ckpt)  # variant from the keys, prefix stripped, load_state_dict(strict=True)
    assert type(fresh) is type(model) and not fresh.training
    assert {n for n, p in fresh.named_parameters() if p.requires_grad} == \
        {n for n, p in model.named_parameters() if p.requires_grad}
    assert all(t.device.type == "cpu" for t in fresh.state_dict().values())
    result = fresh.load_state_dict(stripped, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, sd[k]), k
    # strictness is real: one key missing or one extra fails
    broken = dict(stripped)
    broken.pop(next(k for k in broken if k.endswith("norm_stats")))
    with pytest.raises(RuntimeError, match="Missing key"):
        fresh.load_state_dict(broken, strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        fresh.load_state_dict({**stripped, "head_norm.extra": torch.zeros(1)}, strict=True)


def test_tagger_variant_from_keys():
    k1, k4 = list(_official_keys("1c")), list(_official_keys("4c"))
    assert M.tagger_variant_from_keys(k1) == "1c"
    assert M.tagger_variant_from_keys(k4) == "4c"
    assert M.tagger_variant_from_keys("model." + k for k in k1) == "1c"
    assert M.tagger_variant_from_keys("model." + k for k in k4) == "4c"
    assert M.tagger_variant_from_keys({k: None for k in k4}) == "4c"
    separator_keys = ["model.base.encoder_block1.conv_block1.conv1.weight", "model.film.weight"]
    for bad in (separator_keys, [], ["model.backbone.cls_token"]):
        with pytest.raises(ValueError):
            M.tagger_variant_from_keys(bad)


# ----------------------------------------------------------------------------- front end

def test_front_end_constants_equal_official(ref):
    model = M.m2dat_1c()  # freshly built buffers (not loaded from a checkpoint)
    spec = model.to_spec
    np.testing.assert_allclose(spec.mel_basis.numpy(), ref["mel_basis"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(spec.stft.window_mask.numpy(), ref["window_mask"], rtol=0, atol=1e-7)
    for k in ("wsin", "wcos"):
        w = getattr(spec.stft, k)
        np.testing.assert_allclose(w[[0, 1, 7, 200, 400], 0, :].numpy(), ref[f"{k}_rows"], rtol=0, atol=1e-6)
        assert float(w.double().abs().sum()) == pytest.approx(float(ref[f"{k}_sum_abs"]), rel=1e-6)
    assert model.sample_rate == 32000 and spec.stft.hop == 320 and spec.stft.n_fft == 800


def test_log_mel_equals_official(models, ref):
    model, _ = models["1c"]
    short = REC.seeded_wave(1, 1, 1, 1.2)[:, 0]
    np.testing.assert_allclose(short[0, :8].numpy(), ref["wave_short_head"], rtol=0, atol=1e-6)
    with torch.no_grad():
        lm = model.log_mel(short)
    assert lm.shape == (1, 1, 80, 121) and lm.dtype == torch.float32
    np.testing.assert_allclose(lm[0, 0].numpy(), ref["lms_short"], rtol=0, atol=LOGMEL_ATOL)

    full = REC.seeded_wave(2, 1, 1, 10.0)[:, 0]
    with torch.no_grad():
        x = model.log_mel(full)[0, 0]
    assert x.shape == (80, 1001)
    np.testing.assert_allclose(x[:, :16].numpy(), ref["lms_full_first"], rtol=0, atol=LOGMEL_ATOL)
    np.testing.assert_allclose(x[:, -16:].numpy(), ref["lms_full_last"], rtol=0, atol=LOGMEL_ATOL)
    np.testing.assert_allclose(x.double().mean(1).numpy(), ref["lms_full_mean_t"], rtol=0, atol=LOGMEL_ATOL)
    np.testing.assert_allclose(x.double().mean(0).numpy(), ref["lms_full_mean_f"], rtol=0, atol=LOGMEL_ATOL)
    stats = np.array([x.double().mean(), x.double().std(), x.min(), x.max()])
    np.testing.assert_allclose(stats, ref["lms_full_stats"], rtol=0, atol=LOGMEL_ATOL)
    # normalisation from the checkpoint's norm_stats, not a constant
    with torch.no_grad():
        nrm = model.normalized_log_mel(short)
    np.testing.assert_allclose(nrm[0, 0].numpy(), (ref["lms_short"] - ref["norm_stats"][0]) / ref["norm_stats"][1],
                               rtol=0, atol=LOGMEL_ATOL)


def test_front_end_stays_float32_under_autocast(models):
    model, _ = models["1c"]
    wave = REC.seeded_wave(1, 1, 1, 1.2)[:, 0]
    with torch.no_grad():
        plain = model.normalized_log_mel(wave)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            auto = model.normalized_log_mel(wave)
            out = model.predict({"waveform": wave})
    assert auto.dtype == torch.float32 and torch.equal(auto, plain)
    assert out["label_vector"].dtype == torch.float32 and out["probabilities"].shape == (1, 3)


# ----------------------------------------------------------------------------- outputs

CASES = [  # tag, variant, seed, (batch, channels, seconds)
    ("1c_short", "1c", 3, (2, 4, 1.2)),
    ("4c_short", "4c", 4, (2, 4, 1.2)),
    ("1c_full", "1c", 5, (1, 4, 10.0)),
    ("1c_long", "1c", 6, (1, 1, 10.5)),  # 1051 frames: chunks of 1001 and 50 frames
    ("4c_full", "4c", 7, (1, 4, 10.0)),
]


def _check_prediction(out, logits, ref, tag):
    b = logits.shape[0]
    lv, prob = out["label_vector"], out["probabilities"]
    assert lv.shape == (b, 3, 19) and lv.dtype == torch.float32 and prob.shape == (b, 3)
    assert torch.all(lv.sum(-1) == 1) and set(lv.unique().tolist()) <= {0.0, 1.0}  # one-hot, silence = index 18
    np.testing.assert_array_equal(lv.argmax(-1).numpy(), ref[f"{tag}_label"])
    np.testing.assert_allclose(prob.numpy(), ref[f"{tag}_prob"], rtol=0, atol=PROB_ATOL)
    # predict = softmax over the classes, then the top class and its probability per track
    soft = torch.softmax(logits, -1)
    assert torch.allclose(prob, soft.max(-1).values) and torch.equal(lv.argmax(-1), soft.argmax(-1))


@pytest.mark.parametrize("tag,variant,seed,shape", CASES[:2], ids=[c[0] for c in CASES[:2]])
def test_forward_and_predict_equal_official(models, ref, tag, variant, seed, shape):
    model, _ = models[variant]
    wave = _wave(ref, tag, seed, *shape)
    with torch.no_grad():
        logits = model({"waveform": wave})["probabilities"]
        out = model.predict({"waveform": wave})
    assert logits.shape == (shape[0], 3, 19)
    np.testing.assert_allclose(logits.numpy(), ref[f"{tag}_logits"], rtol=0, atol=LOGIT_ATOL)
    _check_prediction(out, logits, ref, tag)


@pytest.mark.parametrize("tag,frames", [("1c_full", 62), ("1c_long", 65)])
def test_10s_clips_and_chunking_equal_official(models, ref, tag, frames):
    """1c on 10 s (one 1001-frame chunk, 62 time patches) and 10.5 s (chunks of 1001 + 50 frames: 62 + 3)."""
    model, _ = models["1c"]
    seed, shape = {c[0]: (c[2], c[3]) for c in CASES}[tag]
    wave = _wave(ref, tag, seed, *shape)
    with torch.no_grad():
        feats = model.encode(wave[:, model.ref_channel])
        logits = model.head(feats)  # = forward() on the reference channel, one pass for both checks
    assert feats.shape == (1, frames, 3840)
    np.testing.assert_allclose(feats[0, :, :16].numpy(), ref[f"{tag}_feat_slice"], rtol=0, atol=FEAT_ATOL)
    np.testing.assert_allclose(feats[0].double().mean(0).numpy(), ref[f"{tag}_feat_mean_t"], rtol=0, atol=FEAT_ATOL)
    np.testing.assert_allclose(logits.numpy(), ref[f"{tag}_logits"], rtol=0, atol=LOGIT_ATOL)
    _check_prediction(M._prediction(logits, 19), logits, ref, tag)


def test_4c_10s_equals_official(models, ref):
    model, _ = models["4c"]
    wave = _wave(ref, "4c_full", 7, 1, 4, 10.0)
    with torch.no_grad():
        logits = model({"waveform": wave})["probabilities"]
    np.testing.assert_allclose(logits.numpy(), ref["4c_full_logits"], rtol=0, atol=LOGIT_ATOL)
    _check_prediction(M._prediction(logits, 19), logits, ref, "4c_full")


def test_1c_uses_reference_channel_only(models):
    model, _ = models["1c"]
    wave = REC.seeded_wave(8, 1, 4, 1.2)
    other = wave.clone()
    other[:, 1:] = REC.seeded_wave(9, 1, 3, 1.2)
    with torch.no_grad():
        a = model({"waveform": wave})["probabilities"]
        b = model({"waveform": other})["probabilities"]
        c = model({"waveform": wave[:, 0]})["probabilities"]  # (B, T) is taken as is
    assert torch.equal(a, b) and torch.equal(a, c)
    model.ref_channel = None
    try:
        with pytest.raises(ValueError):
            model({"waveform": wave})
    finally:
        model.ref_channel = 0


# ----------------------------------------------------------------------------- training

def test_forward_backward_and_freezing():
    torch.manual_seed(0)
    model = M.m2dat_1c()  # finetuning_layers="head": only head_norm/head train, as the official default
    model.train()
    wave = REC.seeded_wave(10, 2, 4, 1.2)
    target = torch.tensor([[0, 5, 18], [3, 18, 18]])
    logits = model({"waveform": wave})["probabilities"]
    torch.nn.functional.cross_entropy(logits.reshape(-1, 19), target.reshape(-1)).backward()
    grads = {n for n, p in model.named_parameters() if p.grad is not None}
    assert grads == {n for n, p in model.named_parameters() if n.startswith("head.")}
    assert all(torch.isfinite(model.get_parameter(n).grad).all() for n in grads)

    model.zero_grad(set_to_none=True)
    model.set_finetuning_layers("2_blocks")  # the official second stage
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {n for n, _ in model.named_parameters()
                         if n.startswith(("backbone.blocks.10.", "backbone.blocks.11.", "backbone.norm.", "head."))}
    logits = model({"waveform": wave})["probabilities"]
    torch.nn.functional.cross_entropy(logits.reshape(-1, 19), target.reshape(-1)).backward()
    assert model.backbone.blocks[11].attn.qkv.weight.grad.abs().sum() > 0
    assert model.backbone.blocks[9].attn.qkv.weight.grad is None
    assert not model.backbone.norm_stats.requires_grad
    model.set_finetuning_layers("all")
    assert {n for n, p in model.named_parameters() if not p.requires_grad} == {"backbone.norm_stats"}
    with pytest.raises(NotImplementedError):
        model.set_finetuning_layers("13_blocks")


def test_spatial_head_trains_and_sees_every_channel(models):
    model4, _ = models["4c"]
    trainable = {n for n, p in model4.named_parameters() if p.requires_grad}
    assert trainable == {n for n, _ in model4.named_parameters() if n.startswith("head.")}
    try:
        model4.set_finetuning_layers("2_blocks")
        assert {n for n, p in model4.named_parameters() if p.requires_grad} == trainable | {
            n for n, _ in model4.named_parameters()
            if n.startswith(("m2d.backbone.blocks.10.", "m2d.backbone.blocks.11.", "m2d.backbone.norm."))}
    finally:
        model4.set_finetuning_layers("head")
    wave = REC.seeded_wave(8, 1, 4, 1.2)
    other = wave.clone()
    other[:, 3] = REC.seeded_wave(9, 1, 1, 1.2)[:, 0]
    with torch.no_grad():
        assert not torch.equal(model4({"waveform": wave})["probabilities"],
                               model4({"waveform": other})["probabilities"])


def test_m2d_weight_file_loading(tmp_path):
    """A pretrained M2D file (EVAR prefix, no norm_stats) fills the encoder; sizes come from the folder name."""
    assert M._sizes_from_weight_name(f"x/{M.M2D_WEIGHT_NAME}/w.pth") == ([80, 1001], [16, 16], "32k")
    assert M._sizes_from_weight_name("x/m2d_vit_base-80x608p16x16-220930-mr7/w.pth") == ([80, 608], [16, 16], "16k")
    small = M.M2DEncoder(input_size=(80, 208), patch_size=(16, 16), dim=32, depth=1, heads=2)
    src = {("module.ar.runtime.backbone." + k): torch.randn_like(v) for k, v in small.state_dict().items()
           if k != "norm_stats"}
    src["module.head.mlp.mlp.0.weight"] = torch.zeros(2, 2)  # a task head, not part of the encoder
    path = tmp_path / "weights.pth"
    torch.save({"model": src}, path)
    target = M.M2DEncoder(input_size=(80, 208), patch_size=(16, 16), dim=32, depth=1, heads=2)
    M.load_m2d_weight_file(target, path)
    assert torch.equal(target.pos_embed, src["module.ar.runtime.backbone.pos_embed"])
    assert target.norm_stats.tolist() == pytest.approx(list(M.DEFAULT_NORM_STATS))
    torch.save({"pos_embed": torch.zeros(1)}, path)
    with pytest.raises(KeyError, match="missing encoder weights"):
        M.load_m2d_weight_file(target, path)
