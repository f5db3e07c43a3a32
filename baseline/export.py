"""Write a checkpoint for inference only: ``python -m baseline.export runs/tiny/best.pt OUT.pt``.

Keeps the weights, the config, the classes and the progress (epoch, step, validation figures) and drops the
optimiser state; everything it holds is tensors and plain values, so ``torch.load(weights_only=True)`` reads it.
This is how ``s5eval/data/baseline_tiny.pt`` (``--ckpt tiny``) was written.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import torch

from .train import CHECKPOINT_FORMAT, save_checkpoint, slim_checkpoint


def export(src: str | Path, dst: str | Path, trust: bool = False) -> dict:
    """Read the training checkpoint ``src`` and write its inference-only copy to ``dst``.

    ``trust`` loads ``src`` with full unpickling (needed for checkpoints written before their figures were stored
    as plain values; only for your own files)."""
    state = torch.load(Path(src), map_location="cpu", weights_only=not trust)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{src} is not a checkpoint of this baseline (format {CHECKPOINT_FORMAT})")
    slim = slim_checkpoint(state)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(Path(dst), slim)
    return slim


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write an inference-only copy of a baseline checkpoint.")
    parser.add_argument("src", help="checkpoint written by training (best.pt, last.pt)")
    parser.add_argument("dst", help="file to write")
    parser.add_argument("--trust", action="store_true",
                        help="load SRC with full unpickling (your own older checkpoints only)")
    args = parser.parse_args(argv)
    slim = export(args.src, args.dst, trust=args.trust)
    print(f"{args.dst}: epoch {slim['epoch']}, step {slim['step']}, {Path(args.dst).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
