"""Writing the reference submissions of :mod:`s5eval.calibration` for a reference set, and scoring them."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from . import KINDS, ReferenceSubmissionInfo
from ..io.audio import audio_info, read_audio, write_audio
from ..io.package import (ESTIMATE_DIR, DevDetail, EstimateEntry, dev_results_document,
                         estimate_filename, eval_results_document, write_dev_results, write_eval_results,
                         write_meta)
from ..io.refset import ReferenceSet, load_reference_set
from ..labels import SILENCE, resolve_label_set


def write_reference_submission(kind: str, ref: str | Path, out: str | Path, snr_db: float = 10.0, seed: int = 0,
                               label_set: str | None = None) -> ReferenceSubmissionInfo:
    """Write the calibration submission ``kind`` for reference set ``ref`` into package folder ``out``.

    ``snr_db`` (dB) is used by ``oracle-labels-noisy``, ``seed`` by the two seeded kinds.
    Raises :class:`ReferenceSetError` for a bad reference set, ``ValueError`` for an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown reference submission {kind!r}; choose one of {', '.join(KINDS)}")
    classes = resolve_label_set(label_set)
    reference = load_reference_set(ref, classes)
    root = Path(out)
    eval_out = root / ESTIMATE_DIR
    if eval_out.exists():
        shutil.rmtree(eval_out)
    eval_out.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    written: list[tuple[str, list[EstimateEntry]]] = []
    n_files = 0
    for name in reference.mixtures:
        entries = _write_mixture(kind, reference, name, eval_out, classes, rng, snr_db)
        written.append((name, entries))
        n_files += len(entries)
    label = root.name
    config = {"reference_submission": kind, "snr_db": snr_db if kind == "oracle-labels-noisy" else None,
              "seed": seed if kind in ("oracle-labels-noisy", "random-labels") else None}
    dev_figures, values = _score_on_reference(root, ref, label_set)
    write_eval_results(root, eval_results_document(written, 0, config))
    write_dev_results(root, dev_results_document(_dev_details(reference, written, values), 0, config))
    write_meta(root, label, _meta(label, kind, dev_figures))
    return ReferenceSubmissionInfo(root, label, kind, n_files)


def _write_mixture(kind: str, reference: ReferenceSet, name: str, eval_out: Path, classes: tuple[str, ...],
                   rng: np.random.Generator, snr_db: float) -> list[EstimateEntry]:
    mixture = reference.mixtures[name]
    targets = sorted(mixture.targets, key=lambda t: t.filename)
    entries: list[EstimateEntry] = []

    def add(index: int, label: str, probability: float) -> Path:
        filename = estimate_filename(name, index, label)
        entries.append(EstimateEntry(filename, label, probability))
        return eval_out / filename

    if kind == "oracle":
        for k, target in enumerate(targets):
            shutil.copyfile(target.path, add(k, target.label, 1.0))
    elif kind == "mixture":
        if targets:
            channel0, info = read_audio(mixture.path, channel=0)
            for k, target in enumerate(targets):
                write_audio(add(k, target.label, 1.0), channel0, info.samplerate, subtype="FLOAT")
    elif kind == "silence":
        info = audio_info(mixture.path)
        write_audio(add(0, SILENCE, 0.0), np.zeros(info.frames, dtype=np.float32), info.samplerate)
    elif kind == "oracle-labels-noisy":
        for k, target in enumerate(targets):
            clean, info = read_audio(target.path, channel=0)
            write_audio(add(k, target.label, 1.0), add_noise_at_snr(clean, snr_db, rng), info.samplerate,
                        subtype="FLOAT")
    elif kind == "random-labels":
        if targets:
            channel0, info = read_audio(mixture.path, channel=0)
            for k in range(len(targets)):
                label = classes[int(rng.integers(len(classes)))]
                write_audio(add(k, label, float(rng.uniform(0.5, 1.0))), channel0, info.samplerate, subtype="FLOAT")
    return entries


def add_noise_at_snr(clean: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``clean`` + white noise scaled so that 10·log10(Σclean² / Σnoise²) = ``snr_db`` exactly (float64)."""
    signal64 = clean.astype(np.float64)
    noise = rng.standard_normal(signal64.size)
    energy = float(np.sum(signal64**2))
    if energy > 0:
        noise *= np.sqrt(energy / 10 ** (snr_db / 10) / float(np.sum(noise**2)))
    else:
        noise *= 1e-3
    return (signal64 + noise).astype(np.float32)


def _score_on_reference(package: Path, ref: str | Path,
                        label_set: str | None) -> tuple[dict[str, float], dict[str, float | None]]:
    """The written package scored on ``ref``: its CAPI-SDRi (dB) and label accuracies (%), for the meta
    YAML, and each soundscape's CAPI-SDRi (None when excluded), for ``dev_set_test_results.json``."""
    from ..scoring.config import ScoreConfig
    from ..scoring.run import run_score

    run = run_score(package, ref, ScoreConfig(label_set=label_set, workers=1, n_resamples=0))
    summary = run.results["summary"]
    figures: dict[str, float] = {key: float(value) for key in ("capi_sdri", "accuracy_mix", "accuracy_src")
                                 if key in summary and (value := summary[key]) is not None}
    return figures, {r.soundscape: r.capi_sdri for r in run.records if r.scored}


def _dev_details(reference: ReferenceSet, written: list[tuple[str, list[EstimateEntry]]],
                 values: dict[str, float | None]) -> list[DevDetail]:
    """One official ``details`` entry per soundscape: reference labels, the written estimates' labels and
    probabilities (``silence`` padding files left out, as the metric does) and the mixture's CAPI-SDRi."""
    details = []
    for name, entries in written:
        kept = [e for e in entries if e.label != SILENCE]
        details.append(DevDetail(name, [t.label for t in reference.mixtures[name].targets],
                                 [e.label for e in kept], [e.probability for e in kept], values.get(name)))
    return details


def _meta(label: str, kind: str, dev_figures: dict[str, float]) -> dict:
    return {
        "submission": {
            "label": label,
            "name": f"s5eval reference submission: {kind}",
            "abbreviation": "".join(p[0].upper() for p in kind.split("-"))[:10] + "Ref",
            "authors": [{
                "lastname": "Reference", "firstname": "S5eval", "email": "s5eval@example.org", "corresponding": True,
                "affiliation": {"abbreviation": "S5eval", "institute": "s5eval toolkit",
                                "department": "calibration", "location": "n/a"},
            }],
        },
        "system": {
            "description": {"reference_submission": kind},
            "complexity": {"total_parameters": 0},
            "external_datasets": [],
            "source_code": "https://pypi.org/project/s5eval/",
        },
        "results": {"development_dataset": dev_figures or {"n_scored": 0.0}},
    }

