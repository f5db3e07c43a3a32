"""Label accuracy of DCASE 2026: labels compared as multisets.

    TP = |est ∩ ref| (multiset intersection), FP = |est| − TP, FN = |ref| − TP
    mixture correct  ⇔  est == ref as multisets (a zero-target mixture with no estimate is correct)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from ..labels import SILENCE


@dataclass(frozen=True)
class LabelCounts:
    """Per-mixture label agreement."""

    tp: int
    fp: int
    fn: int

    @property
    def correct(self) -> bool:
        return self.fp == 0 and self.fn == 0


def without_silence(labels: Iterable[str]) -> list[str]:
    return [label for label in labels if label != SILENCE]


def label_counts(est_labels: Iterable[str], ref_labels: Iterable[str]) -> LabelCounts:
    """TP/FP/FN of estimated against reference labels, as multisets (``silence`` ignored).

    >>> from s5eval import label_counts
    >>> counts = label_counts(["Speech", "Speech", "silence"], ["Speech", "Dishes"])
    >>> counts.tp, counts.fp, counts.fn, counts.correct
    (1, 1, 1, False)
    """
    est = Counter(without_silence(est_labels))
    ref = Counter(without_silence(ref_labels))
    tp = sum((est & ref).values())
    return LabelCounts(tp=tp, fp=sum(est.values()) - tp, fn=sum(ref.values()) - tp)
