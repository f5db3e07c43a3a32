"""Inference: run a trained baseline over a set of soundscapes and write a DCASE submission package.

    s5eval baseline infer --ckpt runs/tiny/best.pt --ref REF --out SUB

``SUB`` receives ``eval_out/<mix>_<i>_<Label>.wav`` (mono, float32, the mixture's rate
and length, one file per non-silent track), ``eval_results.json`` (``nparams``, the
label probabilities of every track, the configuration), ``<SUB name>.meta.yaml`` (the DCASE
meta layout, with the parameter count and the development figures) and, when ``REF`` has
``oracle_target/``, ``dev_set_test_results.json`` (the same layout plus the
CAPI-SDRi figures computed with :class:`s5eval.CAPISDRi`). ``s5eval score SUB --ref REF``
accepts the package.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from s5eval import CAPISDRi
from s5eval.findings import EXIT_USAGE, ReferenceSetError, S5InputError, error
from s5eval.io.audio import AudioReadError, read_audio, write_audio
from s5eval.io.refset import SOUNDSCAPE_DIR, TARGET_DIR, find_reference_root, load_reference_set
from s5eval.io.submission import DEV_RESULTS, ESTIMATE_DIR, EVAL_RESULTS, PACKAGE_NAME
from s5eval.labels import SILENCE

from .models.system import S5System, count_parameters
from .train import autocast, load_checkpoint, select_device, system_from_checkpoint


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


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def infer(ckpt: str | Path, ref: str | Path, out: str | Path, device: str = "auto",
          progress: bool = True) -> InferResult:
    """Write the submission package of checkpoint ``ckpt`` on the soundscapes of ``ref`` into ``out``."""
    dev = select_device(device)
    system, state = load_system(ckpt, dev)
    mixtures, targets = discover(ref, system.classes)
    out = Path(out)
    est_dir = out / ESTIMATE_DIR
    est_dir.mkdir(parents=True, exist_ok=True)
    for old in est_dir.glob("*.wav"):  # a package lists exactly what this run wrote
        old.unlink()
    config = state["config"]
    rate, n_channels = int(config["sample_rate"]), int(config["n_channels"])
    metric = CAPISDRi() if targets is not None else None
    entries: list[dict[str, Any]] = []
    n_estimates = 0
    started = time.perf_counter()
    for index, (name, path) in enumerate(mixtures):
        mixture = _read_mixture(path, n_channels, rate)
        with torch.inference_mode(), autocast(dev, bool(config["train"].get("amp", True))):
            result = system(torch.from_numpy(mixture)[None].to(dev))
        labels = system.label_names(result.labels)[0]
        wavs = result.waveforms[0].float().cpu().numpy()
        probs = result.probabilities[0].cpu().tolist()
        estimate, kept_labels, kept_wavs = [], [], []
        for label, wav, prob in zip(labels, wavs, probs):
            if label == SILENCE:
                continue
            filename = f"{name}_{len(estimate)}_{label}.wav"
            write_audio(est_dir / filename, wav, rate, subtype="FLOAT")
            estimate.append({"filename": filename, "label": label, "probability": round(float(prob), 6)})
            kept_labels.append(label)
            kept_wavs.append(wav)
        n_estimates += len(estimate)
        entries.append({"soundscape": name, "estimate": estimate})
        if metric is not None:
            refs = targets[name]
            metric.update(kept_labels, kept_wavs, [t.label for t in refs],
                          [read_audio(t.path, channel=0)[0] for t in refs], mixture[0])
        if progress and ((index + 1) % 25 == 0 or index + 1 == len(mixtures)):
            print(f"{index + 1}/{len(mixtures)} mixtures", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    package = {
        "nparams": count_parameters(system),
        "probabilities": entries,
        "config": {"system": "s5eval baseline (track-wise tagger + ResUNetK)", "checkpoint": str(Path(ckpt).name),
                   "step": state.get("step"), "epoch": state.get("epoch"), "train_config": config},
    }
    _write_json(out / EVAL_RESULTS, package)
    figures = None
    if metric is not None:
        figures = metric.compute()
        _write_json(out / DEV_RESULTS, {**package, "results": figures})
    write_meta(out, package["nparams"], config, figures)
    return InferResult(out, len(mixtures), n_estimates, seconds, figures)


def write_meta(out: Path, nparams: int, config: dict[str, Any], figures: dict[str, Any] | None) -> Path:
    """``<label>.meta.yaml`` of the package; the label is the folder name (``<Author>_<Affil>_task4_<N>``)."""
    label = out.resolve().name
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
    path = out / f"{label}.meta.yaml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)
    return path
