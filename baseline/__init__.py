"""The bundled S5 baseline: a track-wise audio tagger and the label-queried separator ResUNetK.

Needs the ``baseline`` extra (``pip install "s5eval[baseline]"``, i.e. torch).
Modules: :mod:`baseline.models` (networks), :mod:`baseline.losses` (CA-PI-SDR and
PIT cross-entropy), :mod:`baseline.data` (synthesized and DCASE-folder datasets),
:mod:`baseline.train` and :mod:`baseline.infer`.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["BUNDLED_CHECKPOINTS", "TORCH_MISSING_MESSAGE", "bundled_checkpoint", "resolve_checkpoint"]

# Checkpoints shipped as package data of s5eval (s5eval/data/), by the name that `--ckpt` accepts.
BUNDLED_CHECKPOINTS = {"tiny": "baseline_tiny.pt"}

# The one wording of this message: `s5eval baseline` and `s5eval demo` show it (s5eval.commands.baseline).
TORCH_MISSING_MESSAGE = (
    "the baseline needs PyTorch, which is not installed; install the extra with "
    'pip install "s5eval[baseline]"'
)


def bundled_checkpoint(name: str = "tiny") -> Path:
    """The path of a checkpoint shipped with the package (``tiny``: see baseline/README.md, "The shipped tiny
    checkpoint"). Imports no torch. Raises KeyError for an unknown name; the file may be absent from a
    source tree stripped of package data (check ``.is_file()``)."""
    from importlib.resources import files

    return Path(str(files("s5eval") / "data" / BUNDLED_CHECKPOINTS[name]))


def resolve_checkpoint(ckpt: str | Path) -> Path:
    """``--ckpt``: a bundled name (``tiny``) stands for the shipped checkpoint and wins over a file of that
    name in the current folder (as bundled config names do); anything else is a path."""
    if str(ckpt) in BUNDLED_CHECKPOINTS:
        return bundled_checkpoint(str(ckpt))
    return Path(ckpt)
