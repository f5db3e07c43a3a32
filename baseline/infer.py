"""Inference: run a trained baseline over a set of soundscapes and write a DCASE submission package.

    s5eval baseline infer --ckpt runs/tiny/best.pt --ref REF --out SUB

``SUB`` receives what the official DCASE 2026 ``generate_waveform.py`` writes:
``eval_out/<mix>_<i>_<Label>.wav`` (``i`` the model's output track; silent tracks
are not written, so indices may skip; mono PCM16 at the mixture's rate and length),
``eval_results.json`` (one entry per soundscape, ``nparams``, the configuration)
and, when ``REF`` has ``oracle_target/``, ``dev_set_test_results.json`` in the
official ``Evaluator`` layout (per soundscape: labels of every track, their
probabilities and the mixture's CAPI-SDRi, computed with :class:`s5eval.CAPISDRi`
on the written files, so that ``s5eval score SUB --ref REF`` reports the same
figures). It also writes ``<SUB name>.meta.yaml`` (the DCASE meta layout, with the
parameter count and the development figures). Every file goes through
:mod:`s5eval.io.package`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from s5eval import CAPISDRi
from s5eval.findings import EXIT_USAGE, ReferenceSetError, S5InputError, error
from s5eval.io.audio import AudioReadError, read_audio, write_audio
from s5eval.io.package import (OFFICIAL_N_SOURCES, PACKAGE_NAME, DevDetail, EstimateEntry, dev_results_document,
                               dev_summary, estimate_dir, estimate_filename, eval_results_document,
                               package_label, write_dev_results, write_eval_results, write_meta)
from s5eval.io.refset import SOUNDSCAPE_DIR, TARGET_DIR, find_reference_root, load_reference_set
from s5eval.labels import SILENCE

from .models.system import S5System, count_parameters
from .train import autocast, load_checkpoint, select_device, system_from_checkpoint

ESTIMATE_SUBTYPE = "PCM_16"  # soundfile's default, as the official script's soundfile.write(path, waveform, 32000)


@dataclass
class InferResult:
    """What an inference run wrote and, when the set has targets, how it scored."""

    out: Path
    n_mixtures: int
    n_estimates: int
    seconds: float
    figures: dict[str, Any] | None


def load_system(ckpt: str | Path, device: torch.device) -> tuple[S5System, dict[str, Any]]:
    """The system of a checkpoint, on ``device`` in eval mode; a bad file becomes an input error."""
    path = Path(ckpt)
    if not path.is_file():
        raise S5InputError([error("E_BASELINE_CKPT", str(path), "the checkpoint file does not exist")], EXIT_USAGE)
    try:
        state = load_checkpoint(path)
        system, _ = system_from_checkpoint(state)
    except Exception as exc:  # not a torch file, another layout, a config that no longer loads
        raise S5InputError([error("E_BASELINE_CKPT", str(path), f"cannot load the checkpoint: {exc}")],
                           EXIT_USAGE) from None
    return system.to(device).eval(), state


def discover(ref: str | Path, classes: tuple[str, ...]) -> tuple[list[tuple[str, Path]], dict[str, list] | None]:
    """Soundscapes of ``ref`` (sorted) and, when it has ``oracle_target/``, their targets."""
    root = find_reference_root(ref)
    if (root / TARGET_DIR).is_dir():
        refset = load_reference_set(root, classes)
        return [(m.name, m.path) for m in refset.mixtures.values()], \
            {m.name: m.targets for m in refset.mixtures.values()}
    wavs = sorted(p for p in (root / SOUNDSCAPE_DIR).iterdir() if p.is_file() and p.suffix.lower() == ".wav")
    if not wavs:
        raise ReferenceSetError([error("E_REF_EMPTY", str(root / SOUNDSCAPE_DIR), "no soundscape WAV to process")])
    return [(p.stem, p) for p in wavs], None


def _read_mixture(path: Path, n_channels: int, rate: int) -> np.ndarray:
    try:
        samples, info = read_audio(path)
    except AudioReadError as exc:
        raise S5InputError([error("E_AUDIO_READ", str(path), str(exc))]) from None
    if info.channels != n_channels or info.samplerate != rate:
        raise S5InputError([error("E_BASELINE_INPUT", str(path),
                                  f"the model expects {n_channels} channels at {rate} Hz, the file has "
                                  f"{info.channels} at {info.samplerate} Hz")])
    return np.ascontiguousarray(samples.T)


def infer(ckpt: str | Path, ref: str | Path, out: str | Path, device: str = "auto",
          progress: bool = True) -> InferResult:
    """Write the submission package of checkpoint ``ckpt`` on the soundscapes of ``ref`` into ``out``."""
    dev = select_device(device)
    system, state = load_system(ckpt, dev)
    mixtures, targets = discover(ref, system.classes)
    out = Path(out)
    est_dir = estimate_dir(out, clear=True)  # a package lists exactly what this run wrote
    config = state["config"]
    rate, n_channels = int(config["sample_rate"]), int(config["n_channels"])
    metric = CAPISDRi() if targets is not None else None
    entries: list[tuple[str, list[EstimateEntry]]] = []
    details: list[DevDetail] = []
    n_estimates = 0
    n_tracks = OFFICIAL_N_SOURCES
    started = time.perf_counter()
    for index, (name, path) in enumerate(mixtures):
        mixture = _read_mixture(path, n_channels, rate)
        with torch.inference_mode(), autocast(dev, bool(config["train"].get("amp", True))):
            result = system(torch.from_numpy(mixture)[None].to(dev))
        labels = system.label_names(result.labels)[0]
        wavs = result.waveforms[0].float().cpu().numpy()
        probs = [round(float(p), 6) for p in result.probabilities[0].cpu().tolist()]
        n_tracks = max(n_tracks, len(labels))
        estimates: list[EstimateEntry] = []
        for track, (label, wav, prob) in enumerate(zip(labels, wavs, probs)):
            if label == SILENCE:  # a silent track gets no file, as in the official script: indices may skip
                continue
            filename = estimate_filename(name, track, label)
            write_audio(est_dir / filename, wav, rate, subtype=ESTIMATE_SUBTYPE)
            estimates.append(EstimateEntry(filename, label, prob))
        n_estimates += len(estimates)
        entries.append((name, estimates))
        if metric is not None:
            refs = targets[name]
            ref_labels = [t.label for t in refs]
            # scored on the files as written (PCM16), so that `s5eval score` finds the same values
            est_wavs = [read_audio(est_dir / e.filename, channel=0)[0] for e in estimates]
            value = metric.update([e.label for e in estimates], est_wavs, ref_labels,
                                  [read_audio(t.path, channel=0)[0] for t in refs], mixture[0])
            details.append(DevDetail(name, ref_labels, list(labels), probs, value))
        if progress and ((index + 1) % 25 == 0 or index + 1 == len(mixtures)):
            print(f"{index + 1}/{len(mixtures)} mixtures", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    nparams = count_parameters(system)
    run_config = {"system": "s5eval baseline (track-wise tagger + ResUNetK)", "checkpoint": str(Path(ckpt).name),
                  "step": state.get("step"), "epoch": state.get("epoch"), "train_config": config}
    write_eval_results(out, eval_results_document(entries, nparams, run_config))
    figures = None
    if metric is not None:
        document = dev_results_document(details, nparams, run_config, n_sources=n_tracks)
        write_dev_results(out, document)
        counts = metric.compute()
        figures = {**dev_summary(document), "n_mixtures": counts["n_mixtures"], "n_scored": counts["n_scored"]}
    write_package_meta(out, nparams, config, figures)
    return InferResult(out, len(mixtures), n_estimates, seconds, figures)


def write_package_meta(out: Path, nparams: int, config: dict[str, Any], figures: dict[str, Any] | None) -> Path:
    """``<label>.meta.yaml`` of the package; the label is the folder name (``<Author>_<Affil>_task4_<N>``)."""
    label = package_label(out.resolve().name)
    if not PACKAGE_NAME.match(label):
        print(f"note: '{label}' is not a DCASE package name (<Author>_<Affiliation>_task4_<N>); "
              "s5eval validate will say so", file=sys.stderr)
    numbers = {k: float(v) for k, v in (figures or {}).items() if isinstance(v, (int, float))}
    meta = {
        "submission": {
            "label": label, "name": "s5eval baseline: track-wise tagger + ResUNetK (CA-PI-SDR loss)",
            "abbreviation": "S5Base",
            "authors": [{"lastname": "Baseline", "firstname": "S5eval", "email": "s5eval@example.org",
                         "corresponding": True,
                         "affiliation": {"abbreviation": "S5eval", "institute": "s5eval toolkit",
                                         "department": "baseline", "location": "n/a"}}],
        },
        "system": {
            "description": {"tagger": config["model"].get("tagger", {}).get("backbone", "cnn"),
                            "separator": "ResUNetK", "loss": config["loss"]["separation"],
                            "sample_rate": config["sample_rate"], "k_max": config["k_max"]},
            "complexity": {"total_parameters": int(nparams)},
            "external_datasets": [],
            "source_code": None,
        },
        "results": {"development_dataset": numbers or {"n_mixtures": 0.0}},
    }
    return write_meta(out, label, meta)
