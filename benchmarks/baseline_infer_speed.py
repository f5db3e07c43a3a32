"""Inference throughput of the baseline on CPU (mixtures per second), ten-second 4-channel 32 kHz mixtures.

    python benchmarks/baseline_infer_speed.py [--ckpt runs/tiny/best.pt] [--config baseline/configs/tiny.yaml]
                                              [--n 8] [--threads 2]

Rows (the same weights, the same mixtures):

* ``ResUNetK, one pass``: the system as shipped: tagger, then one separator pass for all K_max tracks;
* ``naive: one pass per track``: the tagger, then one separator pass per non-silent query, as a
  single-output label-queried separator (ResUNet) does; the reference the K-output design improves on;
* ``end to end``: ``baseline.infer.infer`` on WAV files, including reading, writing the package and JSON.

Throughput does not depend on the weights, so without ``--ckpt`` a freshly initialised model of
``--config`` is timed. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from baseline.config import load_config
from baseline.infer import infer
from baseline.models import build_system
from baseline.models.system import count_parameters
from baseline.train import checkpoint_state, load_checkpoint, save_checkpoint, system_from_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def mixtures(n: int, seconds: float, rate: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(0.1 * rng.standard_normal((4, int(seconds * rate)))).astype(np.float32) for _ in range(n)]


@torch.inference_mode()
def one_pass(system, mixes):
    for mix in mixes:
        system(torch.from_numpy(mix)[None])


@torch.inference_mode()
def per_track(system, mixes):
    silence = system.silence_index
    for mix in mixes:
        x = torch.from_numpy(mix)[None]
        labels = system.tagger(x).argmax(-1)
        for k in range(labels.shape[1]):
            if labels[0, k] == silence:
                continue
            query = torch.full_like(labels, silence)
            query[0, 0] = labels[0, k]
            system.separator(x, query)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", type=Path, default=None)
    parser.add_argument("--config", type=Path, default=ROOT / "baseline" / "configs" / "tiny.yaml")
    parser.add_argument("--n", type=int, default=8, help="mixtures per measurement")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.ckpt:
            ckpt = args.ckpt
            system, config = system_from_checkpoint(load_checkpoint(ckpt))
        else:
            config = load_config(args.config)
            if config.stage != "joint":
                raise SystemExit(f"{args.config} describes separate {config.stage} runs of the official recipe; "
                                 "this benchmark times a joint system (tagger and separator in one checkpoint): "
                                 "give a joint config such as baseline/configs/tiny.yaml, or --ckpt")
            torch.manual_seed(0)
            system = build_system(config.classes, config.model, config.k_max, config.n_channels, config.sample_rate)
            with torch.no_grad():  # make the tagger emit real classes, so every track is separated
                system.tagger.head[-1].bias.view(config.k_max, -1)[:, -1] = -10.0
            ckpt = tmp / "model.pt"
            save_checkpoint(ckpt, checkpoint_state(config, system))
        system.eval()
        rate = config.sample_rate
        mixes = mixtures(args.n, args.seconds, rate)
        one_pass(system, mixes[:1])  # warm-up
        t_one = timed(one_pass, system, mixes)
        t_naive = timed(per_track, system, mixes)
        ref = tmp / "ref" / "soundscape"
        ref.mkdir(parents=True)
        for i, mix in enumerate(mixes):
            sf.write(ref / f"mix_{i:03d}.wav", mix.T, rate, subtype="PCM_16")
        result = infer(ckpt, tmp / "ref", tmp / "Baseline_S5eval_task4_1", device="cpu", progress=False)
        t_e2e = result.seconds
    n = args.n
    print(f"{config.name} model, {count_parameters(system):,} parameters, {n} mixtures of {args.seconds:g} s, "
          f"4 channels, {rate} Hz, {args.threads} threads, torch {torch.__version__}\n")
    print("| what | time (s) | mixtures/s | real-time factor |")
    print("|---|---:|---:|---:|")
    for what, t in [("ResUNetK, one pass for all tracks", t_one), ("naive: one separator pass per track", t_naive),
                    ("end to end (`baseline.infer`, WAV in, package out)", t_e2e)]:
        print(f"| {what} | {t:.2f} | {n / t:.2f} | {t / (n * args.seconds):.3f} |")
    print(f"\nspeed-up of one pass over one pass per track: {t_naive / t_one:.2f}x")


if __name__ == "__main__":
    main()
