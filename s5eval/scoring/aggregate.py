"""Dataset-level figures from per-mixture records.

All SDR-type figures are in dB, accuracies and rates in percent. ``None``
stands for a figure that is undefined on a subset (e.g. CAPI-SDRi when every
mixture of it is excluded).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence, cast

import numpy as np

from .. import __version__
from ..io.refset import ReferenceSet
from ..io.submission import Submission
from ..results.figures import METRIC_KEYS, SI_METRICS
from ..results.document import ClassFigures, Figures, Provenance, ResultsDocument, Summary
from ..results.record import MixtureRecord
from ..stats import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_ratios
from .config import ScoreConfig


@dataclass(frozen=True)
class AggregateOptions:
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    confidence: float = 0.95
    casa: bool = False
    si: bool = False  # the scale-invariant figures (capi_si_sdri, ca_si_sdri_2025)


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _pct(numerator: float, denominator: float) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def summarize(records: Sequence[MixtureRecord], options: AggregateOptions = AggregateOptions()) -> dict:
    """Every dataset-level figure for one set of mixtures, with bootstrap intervals."""
    n = len(records)
    capi = [r.capi_sdri for r in records if r.capi_sdri is not None]
    tp = sum(r.tp for r in records)
    fp = sum(r.fp for r in records)
    fn = sum(r.fn for r in records)
    zero = [r for r in records if r.n_ref == 0]
    ca = [r.ca_sdri_2025 for r in records if r.ca_sdri_2025 is not None]
    ca_acc = [r.label_set_correct_2025 for r in records if r.label_set_correct_2025 is not None]
    n_pairs = sum(r.n_pairs for r in records if r.capi_sdri is not None)
    n_entries = sum(r.n_entries for r in records if r.capi_sdri is not None)
    out: dict = {
        "capi_sdri": _mean(capi),
        "accuracy_mix": _pct(sum(r.mixture_correct for r in records), n),
        "accuracy_src": _pct(tp, tp + fp + fn),
        "n_mixtures": n,
        "n_scored": len(capi),
        "tp": tp, "fp": fp, "fn": fn,
        "count_accuracy": _pct(sum(r.count_correct for r in records), n),
        "zero_target_fp_rate": _pct(sum(r.n_est > 0 for r in zero), len(zero)),
        "tp_sdri": (sum(r.tp_sdri_sum for r in records if r.capi_sdri is not None) / n_pairs) if n_pairs else None,
        "penalty_share": _pct(n_entries - n_pairs, n_entries),
        "penalty_mass": _mean([r.penalty_mass / r.n_entries for r in records if r.capi_sdri is not None]),
        "ca_sdri_2025": _mean(ca),
        "label_accuracy_2025": _pct(sum(ca_acc), len(ca_acc)),
        "n_scored_2025": len(ca),
    }
    if options.casa:
        for key in ("casa_sdr_eb", "casa_sdr_sb"):
            vals = [r.casa_sdr[key] for r in records if r.casa_sdr and r.casa_sdr.get(key) is not None]
            out[key] = _mean(vals)
    if options.si:
        capi_si = [r.capi_si_sdri for r in records if r.capi_si_sdri is not None]
        ca_si = [r.ca_si_sdri_2025 for r in records if r.ca_si_sdri_2025 is not None]
        out.update(capi_si_sdri=_mean(capi_si), n_scored_si=len(capi_si),
                   ca_si_sdri_2025=_mean(ca_si), n_scored_si_2025=len(ca_si))
    _add_intervals(out, records, options)
    return out


def _scored_values(records: Sequence[MixtureRecord], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(value × valid, valid) of a per-mixture figure: the ratio pair whose bootstrap gives its mean's interval."""
    raw = [getattr(r, key) for r in records]
    valid = np.array([v is not None for v in raw], dtype=np.float64)
    return np.array([v if v is not None else 0.0 for v in raw]) * valid, valid


def _add_intervals(out: dict, records: Sequence[MixtureRecord], options: AggregateOptions) -> None:
    si_keys = ("capi_si_sdri", "ca_si_sdri_2025") if options.si else ()
    keys = ("capi_sdri", "accuracy_mix", "accuracy_src", *si_keys)
    if options.n_resamples <= 0 or not records:
        for key in keys:
            out[f"{key}_ci_low"] = out[f"{key}_ci_high"] = None
        return
    values = np.array([r.capi_sdri if r.capi_sdri is not None else 0.0 for r in records])
    valid = np.array([r.capi_sdri is not None for r in records], dtype=np.float64)
    correct = np.array([float(r.mixture_correct) for r in records])
    tp = np.array([r.tp for r in records], dtype=np.float64)
    total = np.array([r.tp + r.fp + r.fn for r in records], dtype=np.float64)
    intervals = bootstrap_ratios({
        "capi_sdri": (values * valid, valid),               # mean over the scored mixtures, dB
        "accuracy_mix": (100.0 * correct, np.ones(len(records))),  # percent of mixtures
        "accuracy_src": (100.0 * tp, total),                # percent of source entries
        **{key: _scored_values(records, key) for key in si_keys},  # dB, mean over the mixtures it is defined on
    }, options.n_resamples, options.seed, options.confidence)
    for key, interval in intervals.items():
        out[f"{key}_ci_low"], out[f"{key}_ci_high"] = interval.low, interval.high


def _label_counts(labels: list[str]) -> dict[str, int]:
    """How often each label occurs (a plain dict: a Counter costs more for the few labels of a mixture)."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return counts


def per_class(records: Sequence[MixtureRecord], si: bool = False) -> dict[str, dict]:
    """Per class: counts, precision/recall/F1 (percent) and mean SDRi (dB) of its TP pairs; with ``si`` also the
    mean SI-SDRi (dB) of its TP pairs under the CAPI-SI-SDRi pairing (``tp_si_sdri``)."""
    stats: dict[str, dict] = {}
    sdri: dict[str, list[float]] = {}
    si_sdri: dict[str, list[float]] = {}
    for r in records:
        est, ref = _label_counts(r.est_labels), _label_counts(r.ref_labels)
        for label in est.keys() | ref.keys():  # integer sums: the order does not matter (the result is sorted)
            s = stats.get(label)
            if s is None:
                s = stats[label] = {"n_ref": 0, "n_est": 0, "tp": 0, "fp": 0, "fn": 0}
            n_est, n_ref = est.get(label, 0), ref.get(label, 0)
            hit = min(n_est, n_ref)
            s["n_ref"] += n_ref
            s["n_est"] += n_est
            s["tp"] += hit
            s["fp"] += n_est - hit
            s["fn"] += n_ref - hit
        for row in r.sources:
            if row.kind == "tp" and row.sdri is not None:  # (a TP entry always has its SDRi)
                sdri.setdefault(row.label, []).append(row.sdri)
        for row in r.si_sources:
            if row.kind == "tp" and row.sdri is not None:
                si_sdri.setdefault(row.label, []).append(row.sdri)
    for label, s in stats.items():
        precision = _pct(s["tp"], s["tp"] + s["fp"])
        recall = _pct(s["tp"], s["tp"] + s["fn"])
        s["precision"] = precision
        s["recall"] = recall
        s["f1"] = (2 * precision * recall / (precision + recall)) if precision and recall else (
            0.0 if precision is not None and recall is not None else None)
        s["tp_sdri"] = _mean(sdri.get(label, []))
        if si:
            s["tp_si_sdri"] = _mean(si_sdri.get(label, []))
    return {label: stats[label] for label in sorted(stats)}


# Sorting the relative paths with "/" replaced by a character below every other gives pathlib's order (component
# by component) without a list of components per file. No file name holds it.
_BELOW_ALL = "\0"


def listing_digest(files: Sequence[str | Path], root: Path, known_sizes: Mapping[str, int] | None = None) -> str:
    """sha256 of the sorted ``relative path, size`` lines of the files: changes when any file is added, removed or resized.

    ``known_sizes``: sizes in bytes by path (as text) that this run has already read from the files; the others are
    asked for.
    """
    sizes = known_sizes or {}
    listed = []
    for text in map(str, files):
        folder, name = os.path.split(text)
        listed.append((os.path.join(folder, "") if folder else "", name, sizes.get(text)))
    return _listing_digest(listed, root)


def _sort_key(relative: str) -> str:
    return relative.replace(os.sep, "/").replace("/", _BELOW_ALL)


def _listing_digest(files: Iterable[tuple[str, str, int | None]], root: Path) -> str:
    """:func:`listing_digest` of ``(folder, name, size)`` triples: the folder as text ending in a separator (the
    same object for the files of one folder, as :func:`~s5eval.io.refset.folder_prefix` gives it), the file's
    name, and its size in bytes or None (to be asked for).

    The files are sorted by folder, then by name, with one sort key per folder and no path built per file. That
    is the order of the full relative paths unless one folder lies inside another that holds files of the
    listing too (then a name can fall between the inner folder's files): such listings are sorted by full path.
    """
    root_text = os.path.join(str(root), "")
    folder_keys: dict[str, str] = {}
    lines = []
    for folder, name, size in files:
        key = folder_keys.get(folder)
        if key is None:
            relative = folder[len(root_text):] if folder.startswith(root_text) else \
                os.path.join(Path(folder).relative_to(root).as_posix(), "")
            key = folder_keys[folder] = _sort_key(relative if relative not in ("./", ".\\") else "")
        lines.append((key, name, folder, size))
    keys = sorted(set(folder_keys.values()))
    nested = any(later.startswith(key) for key, later in zip(keys, keys[1:]))  # "" or "a\0" before "a\0b\0"
    lines.sort(key=(lambda line: line[0] + line[1]) if nested else None)
    digest = hashlib.sha256()
    for key, name, folder, size in lines:
        if size is None:
            size = os.stat(folder + name).st_size
        line = f"{key.replace(_BELOW_ALL, '/')}{name}\t{size}\n"
        digest.update(line.encode("utf-8", "surrogateescape"))  # names need not be UTF-8
    return digest.hexdigest()


def _reference_files(reference: ReferenceSet,
                     sizes: Mapping[str, tuple[int, ...]]) -> Iterator[tuple[str, str, int | None]]:
    """Every reference file as (folder, name, size): each mixture's, then its targets', with the sizes of
    ``sizes[mixture]`` (in that order) where known."""
    for mixture in reference.mixtures.values():
        known: tuple[int | None, ...] = sizes.get(mixture.name, ())
        files = [mixture, *mixture.targets]
        if len(known) != len(files):
            known = (None,) * len(files)
        yield from ((file.folder, file.filename, size) for file, size in zip(files, known))


def listing_digests(reference: ReferenceSet, submission: Submission,
                    reference_sizes: Mapping[str, tuple[int, ...]] | None = None) -> tuple[str, str | None]:
    """:func:`listing_digest` of the reference files and of the scored estimate files (None without any).

    The estimates' sizes come from their header checks where those ran; ``reference_sizes`` are the sizes of
    a mixture's files by its name, the mixture's first and then its targets' in order, where known (the
    reference cache's stamps).
    """
    estimates = ((e.folder, e.filename, e.size) for files in submission.estimates.values() for e in files)
    return (_listing_digest(_reference_files(reference, reference_sizes or {}), reference.root),
            _listing_digest(estimates, submission.root) if any(submission.estimates.values()) else None)


def build_results(records: list[MixtureRecord], subsets: dict[str, list[str]], config: ScoreConfig,
                  reference: ReferenceSet, submission: Submission, n_total: int,
                  digests: tuple[str, str | None] | None = None) -> ResultsDocument:
    """The content of results.json; ``digests`` as :func:`listing_digests` gives them (computed when None)."""
    agg = AggregateOptions(config.n_resamples, config.seed, casa=config.metric == "casa-sdr",
                           si=config.metric in SI_METRICS)
    by_name = {r.soundscape: r for r in records}
    subset_figures = {name: summarize([by_name[m] for m in mixes], agg) for name, mixes in subsets.items()}
    summary = dict(subset_figures["all"])
    summary["metric"] = METRIC_KEYS[config.metric]
    summary["n_skipped"] = n_total - len(records)
    reference_digest, submission_digest = digests or listing_digests(reference, submission)
    provenance: Provenance = {
        "tool": "s5eval",
        "version": __version__,
        "metric": config.metric,
        "selection": config.selection,
        "penalty_fn": config.penalty_fn,
        "penalty_fp": config.penalty_fp,
        "bootstrap_resamples": config.n_resamples,
        "bootstrap_seed": config.seed,
        "subsets_source": config.subsets,
        "label_set": config.label_set or "dcase2026t4",
        "reference": str(reference.root),
        "reference_digest": reference_digest,
        "submission": submission.source or str(submission.root),
        "submission_label": submission.label,
        "submission_digest": submission_digest,
        "forced": config.force,
    }
    # summarize and per_class build their dicts key by key (the interval keys by name): the keys of these types
    return {"summary": cast(Summary, summary), "subsets": cast(dict[str, Figures], subset_figures),
            "per_class": cast(dict[str, ClassFigures], per_class(records, si=config.metric in SI_METRICS)),
            "provenance": provenance}
