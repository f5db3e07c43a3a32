"""The bundled S5 baseline: a track-wise audio tagger and the label-queried separator ResUNetK.

Needs the ``baseline`` extra (``pip install "s5eval[baseline]"``, i.e. torch).
Modules: :mod:`baseline.models` (networks), :mod:`baseline.losses` (CA-PI-SDR and
PIT cross-entropy), :mod:`baseline.data` (synthesized and DCASE-folder datasets),
:mod:`baseline.train` and :mod:`baseline.infer`.
"""
from __future__ import annotations

__all__ = ["TORCH_MISSING_MESSAGE"]

# The one wording of this message: `s5eval baseline` and `s5eval demo` show it (s5eval.commands.baseline).
TORCH_MISSING_MESSAGE = (
    "the baseline needs PyTorch, which is not installed; install the extra with "
    'pip install "s5eval[baseline]"'
)
