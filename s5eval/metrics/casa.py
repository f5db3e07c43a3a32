"""CASA-SDR: class- and source-aware SDR (after Mishra, Magron & Serizel, arXiv 2511.07075).

What is implemented here (values are SDR improvements over the mixture, dB):

1. Class-blind matching: all estimates and all references are paired to
   maximise the summed SDR (assignment solver, min(n̂, n) pairs), ignoring labels.
2. Labels are checked after matching: a matched pair is *label-correct* when
   the estimate's label equals the reference's; unmatched references are
   misses, unmatched estimates are false alarms.
3. Two aggregations over one mixture:

   * source-based (``casa_sdr_sb``): one entry per source slot,
     max(n̂, n) entries; a label-correct pair gives its SDRi, a label-wrong
     pair, a miss or a false alarm gives the penalty (0 dB).
   * error-based (``casa_sdr_eb``): every matched pair gives its SDRi
     (separation is credited whatever the label), and every labelling error
     (wrong label in a pair, miss, false alarm) adds one penalty entry (0 dB).

A mixture with neither estimates nor references is excluded (None).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from .pairing import best_pairing
from .sdr import energy, error_energy, sdr_from_energies, sdr_matrix


@dataclass(frozen=True)
class CASAResult:
    casa_sdr_sb: float | None
    casa_sdr_eb: float | None
    n_pairs: int
    n_label_errors: int
    n_missed: int
    n_false_alarms: int

    def to_dict(self) -> dict:
        return asdict(self)


def casa_sdr(est_labels: Sequence[str], est_wavs: Sequence[np.ndarray], ref_labels: Sequence[str],
             ref_wavs: Sequence[np.ndarray], mixture: np.ndarray | None = None,
             penalty: float = 0.0) -> CASAResult:
    """CASA-SDR of one mixture (see module docstring); ``mixture`` is the reference channel y."""
    n_est, n_ref = len(est_labels), len(ref_labels)
    if n_est == 0 and n_ref == 0:
        return CASAResult(None, None, 0, 0, 0, 0)
    ref_energies = [energy(r) for r in ref_wavs]
    matrix = sdr_matrix(list(est_wavs), list(ref_wavs), ref_energies) if n_est and n_ref else np.zeros((n_est, n_ref))
    if mixture is not None and n_ref:
        mix_sdr = np.array([sdr_from_energies(e, error_energy(r, mixture)) for r, e in zip(ref_wavs, ref_energies)])
    else:
        mix_sdr = np.zeros(n_ref)
    pairs = best_pairing(matrix) if matrix.size else []
    improvements = [float(matrix[e, r] - mix_sdr[r]) for e, r in pairs]
    correct = [est_labels[e] == ref_labels[r] for e, r in pairs]
    n_wrong = sum(not c for c in correct)
    n_missed = n_ref - len(pairs)
    n_false = n_est - len(pairs)
    sb_total = sum(v for v, ok in zip(improvements, correct) if ok) + penalty * (n_wrong + n_missed + n_false)
    sb = sb_total / max(n_est, n_ref)
    errors = n_wrong + n_missed + n_false
    eb = (sum(improvements) + penalty * errors) / (len(pairs) + errors)
    return CASAResult(sb, eb, len(pairs), n_wrong, n_missed, n_false)
