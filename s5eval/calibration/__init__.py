"""Reference (calibration) submissions: packages whose scores are known in advance.

Each kind writes a complete DCASE package folder (``eval_out/*.wav``,
``eval_results.json`` with probabilities and ``nparams``, ``dev_set_test_results.json``
in the official ``Evaluator`` layout with the package's figures on the reference set,
``<label>.meta.yaml``), every file through :mod:`s5eval.io.package`, for a
reference set. Their scores anchor a leaderboard and check the metric (see
``docs/calibration.md`` for the score each must get):

* ``oracle``: the reference targets themselves (byte copies) — the upper bound.
* ``mixture``: channel 0 of the mixture for every reference label — CAPI-SDRi
  exactly 0 dB, label accuracies 100 %.
* ``silence``: no source at all (one all-zero ``silence`` padding file per
  mixture, which the metric ignores) — CAPI-SDRi 0 dB with zero penalties.
* ``oracle-labels-noisy``: every reference target plus white noise at
  ``snr_db`` dB (float WAV) — each pair's SDR is ``snr_db``.
* ``random-labels``: as many estimates as references, labels drawn uniformly
  (seeded) — audio is channel 0 of the mixture, so every TP pair has SDRi 0 dB.

The kinds and names live here (light: the command line lists them without
importing numpy); :mod:`s5eval.calibration.writer` writes the packages.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KINDS = ("oracle", "mixture", "silence", "oracle-labels-noisy", "random-labels")


@dataclass(frozen=True)
class ReferenceSubmissionInfo:
    """What was written: the package folder, its label and how many estimate files."""

    root: Path
    label: str
    kind: str
    n_files: int


def package_label(kind: str) -> str:
    """A package name that follows ``<Author>_<Affiliation>_task4_<N>``, e.g. ``Oracle_S5eval_task4_1``."""
    author = "".join(part.capitalize() for part in kind.split("-"))
    return f"{author}_S5eval_task4_1"
