"""CA-SDRi of DCASE 2025 (the official ``ca_metric`` function).

Labels are taken as *sets*: when a label repeats, only its last source (in the
given order; the scorer passes files in sorted filename order) is kept, for
estimates and references alike. With TP = Ĉ ∩ C, FP = Ĉ − C, FN = C − Ĉ:

    CA-SDRi = Σ_{c ∈ TP} SDRi(ŝ_c, s_c, y) / (|TP| + |FP| + |FN|)      [dB]

FP and FN classes contribute 0. A mixture without reference target is
undefined (``None``). Label accuracy of 2025: Ĉ == C as sets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from ..labels import SILENCE
from .capi import ClassMatrix


@dataclass(frozen=True)
class CA2025Result:
    value: float | None
    label_set_correct: bool | None


def _last_index(labels: Sequence[str]) -> dict[str, int]:
    last: dict[str, int] = {}
    for i, label in enumerate(labels):
        if label != SILENCE:
            last[label] = i
    return last


def ca_sdri_2025_from_matrices(est_labels: Sequence[str], ref_labels: Sequence[str],
                               matrices: Mapping[str, ClassMatrix]) -> CA2025Result:
    """CA-SDRi (dB) of one mixture, reusing the same-class SDR matrices of CAPI-SDRi."""
    est_last = _last_index(est_labels)
    ref_last = _last_index(ref_labels)
    if not ref_last:
        return CA2025Result(None, None)
    tp = sorted(set(est_last) & set(ref_last))  # a defined order: the float sum must not depend on hash seeds
    n_entries = len(set(est_last) | set(ref_last))
    total = 0.0
    for label in tp:
        cm = matrices[label]
        e = cm.est_index.index(est_last[label])
        r = cm.ref_index.index(ref_last[label])
        total += float(cm.sdr[e, r] - cm.sdr_mixture[r])
    return CA2025Result(total / n_entries, set(est_last) == set(ref_last))
