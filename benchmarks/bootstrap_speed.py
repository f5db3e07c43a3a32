"""Speed of the leaderboard's paired bootstrap: vectorised code against a naive loop, same draws.

Default size: 10,000 resamples × 2,567 mixtures × 40 systems (the DCASE 2026
evaluation set and a large challenge). The naive loop (one mean per resample
and system, the way a straightforward script does it) runs on a reduced number
of resamples and is extrapolated linearly to the full size; it is also checked
to give the same figures as the vectorised code on those resamples.

    python benchmarks/bootstrap_speed.py [--resamples 10000 --mixtures 2567 --systems 40 --naive-resamples 200]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from s5eval.leaderboard.paired import RatioData, bootstrap_figures, ranking_statistics


def naive(values: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, values.shape[1], size=(n_resamples, values.shape[1]))
    out = np.empty((n_resamples, values.shape[0]))
    for r in range(n_resamples):
        for s in range(values.shape[0]):
            picked = values[s, idx[r]]
            out[r, s] = np.mean(picked[np.isfinite(picked)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--mixtures", type=int, default=2567)
    parser.add_argument("--systems", type=int, default=40)
    parser.add_argument("--naive-resamples", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    values = rng.normal(5.0, 4.0, size=(args.systems, args.mixtures)) + np.linspace(0, 2, args.systems)[:, None]
    values[rng.random(values.shape) < 0.05] = np.nan  # excluded mixtures
    data = RatioData.mean_of(values)

    start = time.perf_counter()
    slow = naive(values, args.naive_resamples, seed=1)
    naive_small = time.perf_counter() - start
    check = bootstrap_figures(data, args.naive_resamples, seed=1, chunk=args.naive_resamples)
    assert np.allclose(slow, check), "vectorised and naive figures differ"
    naive_full = naive_small * args.resamples / args.naive_resamples

    start = time.perf_counter()
    bootstrap_figures(data, args.resamples, seed=0)
    figures = time.perf_counter() - start
    start = time.perf_counter()
    stats = ranking_statistics(data, args.resamples, seed=0)
    full = time.perf_counter() - start

    size = f"{args.resamples} × {args.mixtures} × {args.systems}"
    print("| what | size (resamples × mixtures × systems) | time (s) |")
    print("|---|---|---|")
    print(f"| naive loop, measured | {args.naive_resamples} × {args.mixtures} × {args.systems} | {naive_small:.2f} |")
    print(f"| naive loop, extrapolated | {size} | {naive_full:.1f} |")
    print(f"| vectorised resampled figures | {size} | {figures:.2f} |")
    print(f"| vectorised full statistics (CIs, all-pairs p, Holm, groups, rank intervals) | {size} | {full:.2f} |")
    print()
    print(f"speed-up of the resampled figures over the naive loop: {naive_full / figures:.0f}×; "
          f"groups found: {max(stats.groups)}")


if __name__ == "__main__":
    main()
