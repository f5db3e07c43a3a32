"""``CAPISDRi``: an accumulator for training and validation loops.

    metric = CAPISDRi()
    for batch in loader:
        metric.update_batch(est_labels, est_wavs, ref_labels, ref_wavs, mixtures)
    metric.compute()  # {'capi_sdri': dB, 'accuracy_mix': %, 'accuracy_src': %, ...}

numpy arrays or torch tensors in (any device), plain floats out.
"""
from __future__ import annotations

from typing import Any, Sequence

from .capi import SELECTIONS, capi_sdri
from ..labels import SILENCE
from .label_counts import label_counts


class CAPISDRi:
    """Streams mixtures and reports dataset CAPI-SDRi (dB) and label accuracies (%)."""

    def __init__(self, selection: str = "official", penalty_fn: float = 0.0, penalty_fp: float = 0.0):
        if selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, not {selection!r}")
        self.selection = selection
        self.penalty_fn = penalty_fn
        self.penalty_fp = penalty_fp
        self.reset()

    def reset(self) -> None:
        self.values: list[float | None] = []
        self._correct = 0
        self._tp = self._fp = self._fn = 0

    def update(self, est_labels: Sequence[str], est_wavs: Any, ref_labels: Sequence[str], ref_wavs: Any,
               mixture: Any) -> float | None:
        """Add one mixture; returns its CAPI-SDRi in dB (None when excluded).

        ``silence`` labels (and their waveforms) are dropped, so fixed-size model
        outputs can be passed as they are.
        """
        est_keep = [i for i, lb in enumerate(est_labels) if lb != SILENCE]
        ref_keep = [i for i, lb in enumerate(ref_labels) if lb != SILENCE]
        est_l = [est_labels[i] for i in est_keep]
        ref_l = [ref_labels[i] for i in ref_keep]
        result = capi_sdri(est_l, [est_wavs[i] for i in est_keep], ref_l, [ref_wavs[i] for i in ref_keep],
                           mixture, self.selection, self.penalty_fn, self.penalty_fp)
        counts = label_counts(est_l, ref_l)
        self.values.append(result.value)
        self._correct += counts.correct
        self._tp += counts.tp
        self._fp += counts.fp
        self._fn += counts.fn
        return result.value

    def update_batch(self, est_labels: Sequence[Sequence[str]], est_wavs: Any, ref_labels: Sequence[Sequence[str]],
                     ref_wavs: Any, mixtures: Any) -> list[float | None]:
        """Add a batch of mixtures (first axis = batch)."""
        return [self.update(el, ew, rl, rw, mx)
                for el, ew, rl, rw, mx in zip(est_labels, est_wavs, ref_labels, ref_wavs, mixtures)]

    def compute(self) -> dict:
        """Dataset figures so far: CAPI-SDRi (mean over non-excluded mixtures, dB) and accuracies (%)."""
        scored = [v for v in self.values if v is not None]
        n = len(self.values)
        total = self._tp + self._fp + self._fn
        return {
            "capi_sdri": sum(scored) / len(scored) if scored else None,
            "accuracy_mix": 100.0 * self._correct / n if n else None,
            "accuracy_src": 100.0 * self._tp / total if total else None,
            "n_mixtures": n,
            "n_scored": len(scored),
        }
