"""Regenerates resunet30.json and resunet30_reference.npz from the official ResUNet30 (not run by the tests).

Run it in a throwaway virtual environment, never in the project's one:

    python -m venv --system-site-packages /tmp/tlvenv
    /tmp/tlvenv/bin/pip install torchlibrosa==0.1.0 librosa
    mkdir -p /tmp/off/src/models/resunet2 && cd /tmp/off/src/models/resunet2
    git --git-dir OFFICIAL_REPO show HEAD:src/models/resunet2/resunet_mod.py > resunet_mod.py
    git --git-dir OFFICIAL_REPO show HEAD:src/models/resunet2/base.py > base.py
    touch /tmp/off/src/__init__.py /tmp/off/src/models/__init__.py /tmp/off/src/models/resunet2/__init__.py
    /tmp/tlvenv/bin/python tests/data/official_keys/regenerate_resunet30.py --official /tmp/off --commit SHA [--parity]

OFFICIAL_REPO is a clone of nttcslab/dcase2026_task4_baseline. ``--parity`` also prints the
comparison of baseline.models.resunet30 with the official model (float32 and float64, forward and
gradients, train and eval mode) that the report quotes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
KERNELS = ("base.stft.conv_real.weight", "base.stft.conv_imag.weight", "base.istft.ola_window",
           "base.istft.conv_real.weight", "base.istft.conv_imag.weight")


def dump_keys(official_cls, commit: str) -> dict:
    model = official_cls(input_channels=4, output_channels=1, target_sources_num=3, label_len=54)
    state, params = model.state_dict(), dict(model.named_parameters())
    checks = {}
    for name in KERNELS:
        flat = state[name].double().flatten()
        index = list(range(0, flat.numel(), max(1, flat.numel() // 97)))[:97]
        checks[name] = {"sum": float(flat.sum()), "abs_sum": float(flat.abs().sum()), "sample_index": index,
                        "sample_values": [float(flat[i]) for i in index]}
    doc = {
        "about": "state_dict keys and shapes of the official DCASE 2026 Task 4 ResUNet30 separator "
                 "(src/models/resunet2/resunet_mod.py, ResUNet30(input_channels=4, output_channels=1, "
                 "target_sources_num=3, label_len=54), torchlibrosa 0.1.0), dumped by instantiating the official "
                 "class; written by regenerate_resunet30.py",
        "official_repository": "nttcslab/dcase2026_task4_baseline",
        "official_commit": commit,
        "torch": torch.__version__,
        "lightning_prefix": "model.",
        "lightning_prefix_source": "BaseLightningModule.__init__ stores the separator as self.model; "
                                   "S5._load_ckpt strips that prefix",
        "parameter_count": {
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "all_parameters_official": sum(p.numel() for p in model.parameters()),
            "frozen_torchlibrosa_kernels": sum(p.numel() for p in model.parameters() if not p.requires_grad),
        },
        "frozen_parameters": [n for n, p in params.items() if not p.requires_grad],
        "buffers": [k for k in state if k not in params],
        "fixed_tensor_checks": checks,
        "state_dict": {k: list(v.shape) for k, v in state.items()},
    }
    (HERE / "resunet30.json").write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def make_reference(official_cls, shapes: dict) -> None:
    from torchlibrosa.stft import ISTFT, STFT, magphase
    from test_official_resunet30 import deterministic_state_dict

    kw = dict(n_fft=1024, hop_length=160, win_length=1024, window="hann", center=True, pad_mode="reflect",
              freeze_parameters=True)
    stft, istft = STFT(**kw), ISTFT(**kw)
    rng = np.random.default_rng(20260)
    t = np.arange(3200) / 32000.0
    signal = (0.3 * rng.standard_normal((1, 3200)) + 0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    x = torch.from_numpy(signal)
    real, imag = stft(x)  # (1, 1, frames, 513)
    mag = torch.clamp(real ** 2 + imag ** 2, 1e-10, np.inf) ** 0.5  # the official Base.spectrogram_phase
    out = {"signal": signal, "tl_real": real[:, 0].numpy(), "tl_imag": imag[:, 0].numpy(),
           "tl_mag": mag[:, 0].numpy(), "tl_cos": (real / mag)[:, 0].numpy(), "tl_sin": (imag / mag)[:, 0].numpy(),
           "tl_istft": istft(real, imag, 3200).numpy()}
    rand_real = rng.standard_normal(real.shape).astype(np.float32)
    rand_imag = rng.standard_normal(real.shape).astype(np.float32)
    out.update(rand_real=rand_real[:, 0], rand_imag=rand_imag[:, 0],
               tl_istft_rand=istft(torch.from_numpy(rand_real), torch.from_numpy(rand_imag), 3200).numpy())
    mp_real = np.tanh(rng.standard_normal(64)).astype(np.float32)
    mp_imag = np.tanh(rng.standard_normal(64)).astype(np.float32)
    mp_real[:4] = 0.0
    mp_imag[:2] = 0.0  # two exact zeros: cos = sin = 0
    _, mp_cos, mp_sin = magphase(torch.from_numpy(mp_real), torch.from_numpy(mp_imag))
    out.update(mp_real=mp_real, mp_imag=mp_imag, mp_cos=mp_cos.numpy(), mp_sin=mp_sin.numpy())

    model = official_cls(input_channels=4, output_channels=1, target_sources_num=3, label_len=54)
    model.load_state_dict(deterministic_state_dict(shapes), strict=False)  # the DFT kernels stay the official ones
    model.eval()
    mixture = (0.2 * rng.standard_normal((2, 4, 3201))).astype(np.float32)
    labels = np.zeros((2, 3, 18), np.float32)
    labels[0, 0, 3] = labels[0, 1, 3] = labels[0, 2, 9] = 1.0
    labels[1, 1, 17] = labels[1, 2, 0] = 1.0  # track 0 of item 1 is silence
    labels = labels.reshape(2, 54)
    with torch.no_grad():
        wave = model({"mixture": torch.from_numpy(mixture), "label_vector": torch.from_numpy(labels)})["waveform"]
    out.update(model_mixture=mixture, model_labels=labels, model_waveform=wave.numpy())
    np.savez_compressed(HERE / "resunet30_reference.npz", **out)


def parity(official_cls) -> None:
    from baseline.models.resunet30 import ResUNet30

    torch.manual_seed(0)
    official, ours = official_cls(4, 1, 3, 54), ResUNet30(4, 1, 3, 54)
    gen = torch.Generator().manual_seed(3)
    state = {k: v.clone() for k, v in ours.state_dict().items()}
    with torch.no_grad():  # non-trivial batch-norm statistics and biases
        for k, v in state.items():
            if v.dtype.is_floating_point and k not in KERNELS:
                if k.endswith("running_var"):
                    v.copy_(0.5 + torch.rand(v.shape, generator=gen))
                elif k.endswith("running_mean") or k.endswith("bias"):
                    v.copy_(0.1 * torch.randn(v.shape, generator=gen))
    reference_state = official.state_dict()
    for k in KERNELS:
        print(f"kernel {k}: max |ours - official| = {(state[k] - reference_state[k]).abs().max():.3g}")
    for dtype in (torch.float32, torch.float64):
        official.load_state_dict(state, strict=True)  # afresh: the training-mode pass moves the running stats
        ours.load_state_dict(state, strict=True)
        official.to(dtype)
        ours.to(dtype)
        if dtype == torch.float64:  # exact float64 DFT kernels for the official convolutions
            n = np.arange(1024)
            win = 0.5 - 0.5 * np.cos(2 * np.pi * n / 1024)
            ph = 2 * np.pi * ((n[:, None] * n[None, :]) % 1024) / 1024
            official.base.stft.conv_real.weight.data = torch.from_numpy(np.cos(ph[:513]) * win)[:, None]
            official.base.stft.conv_imag.weight.data = torch.from_numpy(-np.sin(ph[:513]) * win)[:, None]
            official.base.istft.conv_real.weight.data = torch.from_numpy(np.cos(ph) * win[:, None] / 1024)[..., None]
            official.base.istft.conv_imag.weight.data = torch.from_numpy(np.sin(ph) * win[:, None] / 1024)[..., None]
            official.base.istft.ola_window.data = torch.from_numpy(win ** 2)
        for mode, batch, length in (("eval", 2, 16001), ("train", 3, 12345)):
            official.train(mode == "train")
            ours.train(mode == "train")
            mixture = 0.1 * torch.randn(batch, 4, length, generator=gen, dtype=dtype)
            labels = torch.zeros(batch, 54, dtype=dtype)
            for b in range(batch):
                labels[b, b % 18] = 1.0
                labels[b, 36 + (3 * b) % 18] = 1.0
            official.zero_grad()
            ours.zero_grad()
            a = official({"mixture": mixture, "label_vector": labels})["waveform"]
            b_ = ours({"mixture": mixture, "label_vector": labels})["waveform"]
            (a ** 2).sum().backward()
            (b_ ** 2).sum().backward()
            po, pu = dict(official.named_parameters()), dict(ours.named_parameters())
            keys = [k for k, p in pu.items() if p.grad is not None and "shortcut.bias" not in k]
            ga = torch.cat([po[k].grad.flatten() for k in keys])
            gb = torch.cat([pu[k].grad.flatten() for k in keys])
            worst = max(((po[k].grad - pu[k].grad).norm() / po[k].grad.norm()).item() for k in keys)
            same_none = ({k for k, p in po.items() if p.requires_grad and p.grad is None}
                         == {k for k, p in pu.items() if p.grad is None})
            print(f"{str(dtype)[6:]} {mode}: forward max|diff| {(a - b_).abs().max():.3g} (max|out| "
                  f"{a.abs().max():.3g}, rel L2 {((a - b_).norm() / a.norm()):.3g}); "
                  f"grads rel L2 {((ga - gb).norm() / ga.norm()):.3g}, worst tensor {worst:.3g}; "
                  f"same params without grad: {same_none}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", required=True, help="folder holding src/models/resunet2/{resunet_mod,base}.py")
    parser.add_argument("--commit", required=True, help="the official repository's commit")
    parser.add_argument("--parity", action="store_true")
    args = parser.parse_args()
    sys.path[:0] = [args.official, str(REPO), str(REPO / "tests")]
    from src.models.resunet2.resunet_mod import ResUNet30 as Official

    doc = dump_keys(Official, args.commit)
    print(len(doc["state_dict"]), "keys;", doc["parameter_count"])
    make_reference(Official, doc["state_dict"])
    if args.parity:
        parity(Official)


if __name__ == "__main__":
    main()
