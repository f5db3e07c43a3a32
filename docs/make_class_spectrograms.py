"""Draw docs/class_spectrograms.png: one 4-second example of each of the 18 procedural classes.

    python docs/make_class_spectrograms.py [--out docs/class_spectrograms.png] [--seed 0]
"""
from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import stft  # noqa: E402

from s5eval.synth.sources import CLASS_GENERATORS, render_event  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/class_spectrograms.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sr, seconds = 32000, 4.0
    fig, axes = plt.subplots(6, 3, figsize=(13, 15), sharex=True, sharey=True)
    for ax, (label, generator) in zip(axes.flat, CLASS_GENERATORS.items()):
        x = render_event(generator, np.random.default_rng(args.seed), sr, int(seconds * sr))
        freqs, times, spec = stft(x, sr, nperseg=1024, noverlap=768)
        level = 20 * np.log10(np.abs(spec) + 1e-6)
        ax.pcolormesh(times, freqs / 1000, level, vmin=level.max() - 70, vmax=level.max(), shading="auto",
                      cmap="magma")
        ax.set_title(label, fontsize=10)
        ax.set_ylim(0, 12)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    for ax in axes[:, 0]:
        ax.set_ylabel("frequency (kHz)")
    fig.suptitle(f"s5eval synth: one procedural example per class (seed {args.seed}, 32 kHz, dB, 70 dB range)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=60)


if __name__ == "__main__":
    main()
