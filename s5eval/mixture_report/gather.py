"""What the report shows, gathered: per-mixture figures, the ranking, per-class figures, probabilities.

Nothing here reads audio or writes files, except :func:`probabilities_by_file`,
which reads the submission's ``eval_results.json`` once.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..findings import Finding


@dataclass(frozen=True)
class Entry:
    """One entry of a mixture's CAPI-SDRi mean: ``kind`` ``tp``, ``fn`` or ``fp``; ``value`` SDRi or penalty (dB)."""

    label: str
    kind: str
    value: float | None


@dataclass(frozen=True)
class MixtureFigures:
    """The figures of one scored mixture (dB for CAPI-SDRi) that the lists and class pages show."""

    soundscape: str
    capi_sdri: float | None
    tp: int
    fp: int
    fn: int
    ref_labels: tuple[str, ...]
    est_labels: tuple[str, ...]
    entries: tuple[Entry, ...] = ()

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.ref_labels) | set(self.est_labels))


def figures_from_records(records: Iterable[Any]) -> list[MixtureFigures]:
    """:class:`MixtureFigures` of the scored records of a scoring run (``ScoreRun.records``)."""
    out = []
    for r in records:
        if not r.scored:
            continue
        entries = tuple(Entry(row.label, row.kind, row.value) for row in r.sources)
        out.append(MixtureFigures(r.soundscape, r.capi_sdri, r.tp, r.fp, r.fn, tuple(r.ref_labels),
                                  tuple(r.est_labels), entries))
    return out


def figures_from_explanation(data: dict) -> MixtureFigures:
    """:class:`MixtureFigures` of an explanation (``explain_prepared``), under its selection."""
    chosen = data[data["selection"]]
    entries = [Entry(p["label"], "tp", p["sdri"]) for p in chosen["pairs"]]
    labels = {**{r["file"]: r["label"] for r in data["reference"]}, **{e["file"]: e["label"] for e in data["estimates"]}}
    entries += [Entry(labels[m["reference"]], "fn", m["penalty"]) for m in chosen["missed"]]
    entries += [Entry(labels[s["estimate"]], "fp", s["penalty"]) for s in chosen["spurious"]]
    return MixtureFigures(data["soundscape"], chosen["capi_sdri"], data["tp"], data["fp"], data["fn"],
                          tuple(r["label"] for r in data["reference"]), tuple(e["label"] for e in data["estimates"]),
                          tuple(entries))


def ranked(figures: Iterable[MixtureFigures]) -> list[MixtureFigures]:
    """Mixtures with a CAPI-SDRi value, worst first (ties by name); excluded mixtures are left out."""
    return sorted((f for f in figures if f.capi_sdri is not None), key=lambda f: (f.capi_sdri, f.soundscape))


def worst_and_best(figures: Iterable[MixtureFigures], n: int, best: bool = True,
                   ) -> tuple[list[MixtureFigures], list[MixtureFigures]]:
    """The ``n`` worst mixtures (worst first) and, with ``best``, the ``n`` best (best first).

    With fewer than 2n ranked mixtures the lists overlap rather than shrink.
    """
    order = ranked(figures)
    return order[:n], (order[::-1][:n] if best else [])


@dataclass
class ClassFigures:
    """Per-class figures over a set of mixtures, defined as ``results.json``'s ``per_class``.

    Counts of references, estimates, TP pairs, FP and FN (label multisets per
    mixture), and ``tp_sdri`` the mean SDRi (dB) of the class's TP pairs (None without any).
    """

    label: str
    n_mixtures: int = 0
    n_ref: int = 0
    n_est: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    sdri: list[float] = field(default_factory=list)

    @property
    def tp_sdri(self) -> float | None:
        return sum(self.sdri) / len(self.sdri) if self.sdri else None


def class_figures(figures: Iterable[MixtureFigures]) -> dict[str, ClassFigures]:
    """:class:`ClassFigures` of every class named by a reference or an estimate, by class name (sorted)."""
    out: dict[str, ClassFigures] = {}
    for f in figures:
        est, ref = Counter(f.est_labels), Counter(f.ref_labels)
        for label in sorted(set(est) | set(ref)):
            c = out.setdefault(label, ClassFigures(label))
            hit = min(est[label], ref[label])
            c.n_mixtures += 1
            c.n_ref += ref[label]
            c.n_est += est[label]
            c.tp += hit
            c.fp += est[label] - hit
            c.fn += ref[label] - hit
        for entry in f.entries:
            if entry.kind == "tp" and entry.value is not None and entry.label in out:
                out[entry.label].sdri.append(entry.value)
    return {label: out[label] for label in sorted(out)}


def mixtures_of_class(figures: Sequence[MixtureFigures], label: str) -> list[MixtureFigures]:
    """The ranked mixtures (worst first) whose references or estimates name ``label``."""
    return [f for f in ranked(figures) if label in f.ref_labels or label in f.est_labels]


@dataclass(frozen=True)
class Probability:
    """What ``eval_results.json`` says of one estimate file: its label and probability."""

    label: str
    probability: float | None


def probabilities_by_file(eval_results: Path | None) -> tuple[dict[tuple[str, str], Probability], list[Finding]]:
    """``{(soundscape, estimate file name): Probability}`` from ``eval_results.json`` (empty without one).

    The file is read with the project's bounded JSON reader; an unreadable or
    malformed file gives findings and no probabilities (``validate`` says more).
    """
    if eval_results is None:
        return {}, []
    from ..io.package import read_eval_results

    data, findings = read_eval_results(eval_results)
    out: dict[tuple[str, str], Probability] = {}
    entries = data.get("probabilities") if isinstance(data, dict) else None
    for item in entries if isinstance(entries, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("soundscape"), str):
            continue
        for estimate in item.get("estimate") or []:
            if not isinstance(estimate, dict) or not isinstance(estimate.get("filename"), str):
                continue
            value = estimate.get("probability")
            probability = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            label = estimate["label"] if isinstance(estimate.get("label"), str) else ""
            out[item["soundscape"], Path(estimate["filename"]).name] = Probability(label, probability)
    return out, findings
