"""Record the official M2D-AT state_dict layout and numerical references (run once, by hand).

Not part of the test suite and not a project dependency: it runs the *official*
classes (nttcslab/dcase2026_task4_baseline ``src/models/m2dat``) in a throwaway
virtual environment with the official versions of their dependencies
(timm 1.0.15, einops 0.8.1, nnAudio 0.3.3, as in the baseline's environment.yml),
e.g.::

    python -m venv --system-site-packages /tmp/offvenv        # reuses this torch
    /tmp/offvenv/bin/pip install -c <(echo torch==$TORCH) timm==1.0.15 einops==0.8.1 nnaudio==0.3.3
    git -C <mirror> archive HEAD src/models/m2dat | tar -x -C /tmp/official
    /tmp/offvenv/bin/python tests/data/official_keys/record_m2dat_reference.py /tmp/official

The real M2D weight file is not needed: a random-weight file in its format is
written under the directory name the official runtime parses
(``m2d_as_vit_base-80x1001p16x16p32k-...``: input 80x1001, patch 16x16, 32 kHz).

Writes, next to this script: ``m2dat_1c.json`` / ``m2dat_4c.json`` ({key: shape}
in state_dict order) and ``m2dat_reference.npz`` (the official log-mel of seeded
1.2 s and 10 s signals, and the official ``forward``/``predict`` outputs of
seeded random-weight models, see ``random_tagger_state_dict``), and prints how
far our port (baseline/models/m2dat.py) is from the official outputs on the
full tensors.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
SR = 32000
NORM_STATS = (-6.5, 3.5)
SEED_1C, SEED_4C = 11, 12
HEAD_ARGS = {"track_input_dim": 1024, "track_hidden_dim": 512}


def seeded_wave(seed: int, batch: int, channels: int, seconds: float) -> torch.Tensor:
    """Noise plus one tone per channel, float32 (B, C, T); the test rebuilds it identically."""
    n = int(round(seconds * SR))
    g = torch.Generator().manual_seed(seed)
    noise = 0.05 * torch.randn(batch, channels, n, generator=g)
    t = torch.arange(n, dtype=torch.float64) / SR
    freqs = torch.tensor([330.0 + 410.0 * c for c in range(channels)], dtype=torch.float64)
    tone = 0.2 * torch.sin(2 * torch.pi * freqs[:, None] * t[None, :])
    return (noise + tone.to(torch.float32)[None]).contiguous()


def main() -> None:
    # imported here so that the tests can import this file for seeded_wave and the seeds
    sys.path.insert(0, str(HERE.parents[2]))  # the repository root, for baseline.models.m2dat
    sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/official")
    from src.models.m2dat.m2dat import M2dAt as OfficialM2dAt
    from src.models.m2dat.m2dat_spatial import M2dAtSpatial as OfficialM2dAtSpatial
    from src.models.m2dat.portable_m2d import LocalViT

    from baseline.models import m2dat as port

    torch.set_num_threads(8)
    tmp = Path(tempfile.mkdtemp())
    wdir = tmp / port.M2D_WEIGHT_NAME
    wdir.mkdir()
    vit = LocalViT(in_chans=1, img_size=[80, 1001], patch_size=[16, 16], embed_dim=768, depth=12, num_heads=12,
                   mlp_ratio=4, norm_layer=lambda d: torch.nn.LayerNorm(d, eps=1e-6))
    sd = vit.state_dict()
    sd["norm_stats"] = torch.tensor(NORM_STATS)
    wfile = wdir / "weights_ep69it3124-0.47998.pth"
    torch.save(sd, wfile)

    off1 = OfficialM2dAt(weight_file=str(wfile), num_classes=19, num_outputs=3, finetuning_layers="head",
                         ref_channel=0, head_layer="average_linear", head_args=dict(HEAD_ARGS)).eval()
    off4 = OfficialM2dAtSpatial(weight_file=str(wfile), num_classes=19, num_outputs=3, finetuning_layers="head",
                                nchan=4, head_layer="catchan_average_linear", head_args=dict(HEAD_ARGS)).eval()
    for name, model in (("m2dat_1c", off1), ("m2dat_4c", off4)):
        keys = {k: list(v.shape) for k, v in model.state_dict().items()}
        (HERE / f"{name}.json").write_text(json.dumps(keys, indent=1) + "\n")
        n_par = sum(p.numel() for p in model.parameters())
        n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
        print(f"{name}: {len(keys)} keys, {n_par} parameters ({n_train} trainable with finetuning_layers=head)")

    ref: dict[str, np.ndarray] = {}
    ours1, ours4 = port.m2dat_1c().eval(), port.m2dat_4c().eval()

    # front-end constants: ours, freshly built, against nnAudio's
    for k, v in off1.state_dict().items():
        if k.startswith("to_spec."):
            mine = ours1.state_dict()[k]
            print(f"{k}: {tuple(v.shape)} {v.dtype}; ours equal: {torch.equal(mine, v)}, "
                  f"max |diff| {float((mine.double() - v.double()).abs().max()):.3g}")
    ref["mel_basis"] = off1.to_spec.mel_basis.numpy()
    for k in ("wsin", "wcos"):
        w = getattr(off1.to_spec.stft, k)[:, 0, :].double()
        ref[f"{k}_rows"] = getattr(off1.to_spec.stft, k)[[0, 1, 7, 200, 400], 0, :].numpy()
        ref[f"{k}_sum_abs"] = np.array(float(w.abs().sum()))
    ref["window_mask"] = off1.to_spec.stft.window_mask.numpy()

    # random weights, identical for both implementations
    sd1 = port.random_tagger_state_dict(off1.state_dict(), seed=SEED_1C, norm_stats=NORM_STATS)
    sd4 = port.random_tagger_state_dict(off4.state_dict(), seed=SEED_4C, norm_stats=NORM_STATS)
    off1.load_state_dict(sd1, strict=True)
    off4.load_state_dict(sd4, strict=True)
    ours1.load_state_dict(sd1, strict=True)
    ours4.load_state_dict(sd4, strict=True)
    ref["norm_stats"] = np.array(NORM_STATS, dtype=np.float32)

    with torch.no_grad():
        # log-mel (before normalisation), channel 0
        for tag, seconds, seed in (("short", 1.2, 1), ("full", 10.0, 2)):
            wave = seeded_wave(seed, 1, 1, seconds)[:, 0]
            ref[f"wave_{tag}_sum_abs"] = np.array(float(wave.double().abs().sum()))
            ref[f"wave_{tag}_head"] = wave[0, :8].numpy()
            lm = off1.to_log_mel_spec(wave)  # (1, 1, 80, frames)
            mine = ours1.log_mel(wave)
            print(f"log-mel {tag}: shape {tuple(lm.shape)}, ours max |diff| {float((mine - lm).abs().max()):.3g}")
            if tag == "short":
                ref["lms_short"] = lm[0, 0].numpy()
            else:
                x = lm[0, 0]
                ref["lms_full_first"] = x[:, :16].numpy()
                ref["lms_full_last"] = x[:, -16:].numpy()
                ref["lms_full_mean_t"] = x.double().mean(1).numpy()
                ref["lms_full_mean_f"] = x.double().mean(0).numpy()
                ref["lms_full_stats"] = np.array([x.double().mean(), x.double().std(), x.min(), x.max()])
            nrm = off1.to_normalized_feature(wave)
            print(f"  normalised: ours max |diff| {float((ours1.normalized_log_mel(wave) - nrm).abs().max()):.3g}")

        cases = (
            ("1c_short", off1, ours1, (2, 4, 1.2), 3),
            ("4c_short", off4, ours4, (2, 4, 1.2), 4),
            ("1c_full", off1, ours1, (1, 4, 10.0), 5),
            ("1c_long", off1, ours1, (1, 1, 10.5), 6),  # 1051 frames: two chunks (1001 + 50 frames)
            ("4c_full", off4, ours4, (1, 4, 10.0), 7),
        )
        for tag, off, ours, (b, c, sec), seed in cases:
            wave = seeded_wave(seed, b, c, sec)
            inp = {"waveform": wave}
            logits = off(inp)["probabilities"]
            pred = off.predict(inp)
            my_logits = ours(inp)["probabilities"]
            my_pred = ours.predict(inp)
            ref[f"{tag}_logits"] = logits.numpy()
            ref[f"{tag}_prob"] = pred["probabilities"].numpy()
            ref[f"{tag}_label"] = pred["label_vector"].numpy().argmax(-1)
            ref[f"{tag}_wave_sum_abs"] = np.array(float(wave.double().abs().sum()))
            if tag in ("1c_full", "1c_long"):  # encoder features, (1, time patches, 3840): the chunking
                feats = off.encode(wave[:, 0])
                ref[f"{tag}_feat_mean_t"] = feats[0].double().mean(0).numpy()
                ref[f"{tag}_feat_slice"] = feats[0, :, :16].numpy()
                print(f"{tag}: features {tuple(feats.shape)}, ours max |diff| "
                      f"{float((ours.encode(wave[:, 0]) - feats).abs().max()):.3g}")
            assert pred["label_vector"].dtype == torch.float32 and pred["label_vector"].shape == (b, 3, 19)
            print(f"{tag}: logits {tuple(logits.shape)} ours max |diff| {float((my_logits - logits).abs().max()):.3g}"
                  f" (logit range {float(logits.min()):.2f}..{float(logits.max()):.2f}); probabilities max |diff| "
                  f"{float((my_pred['probabilities'] - pred['probabilities']).abs().max()):.3g}; labels equal "
                  f"{torch.equal(my_pred['label_vector'], pred['label_vector'])}")

    np.savez_compressed(HERE / "m2dat_reference.npz", **ref)
    print("wrote", HERE / "m2dat_reference.npz", (HERE / "m2dat_reference.npz").stat().st_size, "bytes")


if __name__ == "__main__":
    main()
