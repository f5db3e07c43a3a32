"""Inference: run a trained baseline over a set of soundscapes and write a DCASE submission package.

    s5eval baseline infer --ckpt runs/tiny/best.pt --ref REF --out SUB
    s5eval baseline infer --tagger-ckpt m2dat_4c.ckpt --separator-ckpt resunetk.ckpt --ref REF --out SUB
    s5eval baseline infer --separator-ckpt resunetk.ckpt --oracle-labels --ref REF --out SUB

The first runs this baseline (:func:`infer`), the others the official DCASE 2026
checkpoints (:func:`infer_official`, see :mod:`baseline.official`); both write through
:class:`PackageWriter`.

``SUB`` receives what the official DCASE 2026 ``generate_waveform.py`` writes:
``eval_out/<mix>_<i>_<Label>.wav`` (``i`` the model's output track; silent tracks
are not written, so indices may skip; mono PCM16 at the mixture's rate and length),
``eval_results.json`` (one entry per soundscape, ``nparams``, the configuration)
and, when ``REF`` has ``oracle_target/``, ``dev_set_test_results.json`` in the
official ``Evaluator`` layout (per soundscape: labels of every track, their
probabilities and the mixture's CAPI-SDRi, computed with :class:`s5eval.CAPISDRi`
on the written files, so that ``s5eval score SUB --ref REF`` reports the same
figures). For this baseline it also writes ``<SUB name>.meta.yaml`` (the DCASE meta
layout, with the parameter count and the development figures); for the official
checkpoints it writes what ``generate_waveform.py`` writes and nothing else. Every file
goes through :mod:`s5eval.io.package`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

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


class PackageWriter:
    """Writes a package as the official ``generate_waveform.py`` does, one mixture at a time.

    :meth:`add` writes ``eval_out/<mix>_<i>_<Label>.wav`` for every non-silent track ``i``
    (PCM16) and, when the set has targets, scores the mixture with :class:`s5eval.CAPISDRi`
    on the files as written; :meth:`finish` writes ``eval_results.json`` and
    ``dev_set_test_results.json``. Shared by the native and the official-checkpoint paths.
    """

    def __init__(self, out: str | Path, rate: int, targets: dict[str, list] | None):
        self.out = Path(out)
        self.rate = rate
        self.targets = targets
        self.est_dir = estimate_dir(self.out, clear=True)  # a package lists exactly what this run wrote
        self.metric = CAPISDRi() if targets is not None else None
        self.entries: list[tuple[str, list[EstimateEntry]]] = []
        self.details: list[DevDetail] = []
        self.n_estimates = 0
        self.n_tracks = OFFICIAL_N_SOURCES

    @property
    def n_mixtures(self) -> int:
        return len(self.entries)

    def add(self, name: str, labels: list[str], probabilities: list[float], waveforms: np.ndarray,
            mixture_channel0: np.ndarray) -> list[EstimateEntry]:
        """One mixture: ``labels``/``probabilities``/``waveforms`` of every output track, silence included."""
        self.n_tracks = max(self.n_tracks, len(labels))
        estimates: list[EstimateEntry] = []
        for track, (label, wav, prob) in enumerate(zip(labels, waveforms, probabilities)):
            if label == SILENCE:  # a silent track gets no file, as in the official script: indices may skip
                continue
            filename = estimate_filename(name, track, label)
            write_audio(self.est_dir / filename, wav, self.rate, subtype=ESTIMATE_SUBTYPE)
            estimates.append(EstimateEntry(filename, label, prob))
        self.n_estimates += len(estimates)
        self.entries.append((name, estimates))
        if self.metric is not None:
            refs = self.targets[name]
            ref_labels = [t.label for t in refs]
            # scored on the files as written (PCM16), so that `s5eval score` finds the same values
            est_wavs = [read_audio(self.est_dir / e.filename, channel=0)[0] for e in estimates]
            value = self.metric.update([e.label for e in estimates], est_wavs, ref_labels,
                                       [read_audio(t.path, channel=0)[0] for t in refs], mixture_channel0)
            self.details.append(DevDetail(name, ref_labels, list(labels), list(probabilities), value))
        return estimates

    def finish(self, nparams: int, run_config: dict[str, Any]) -> dict[str, Any] | None:
        """Write the JSON files; the development figures when the set has targets."""
        write_eval_results(self.out, eval_results_document(self.entries, nparams, run_config))
        if self.metric is None:
            return None
        document = dev_results_document(self.details, nparams, run_config, n_sources=self.n_tracks)
        write_dev_results(self.out, document)
        counts = self.metric.compute()
        return {**dev_summary(document), "n_mixtures": counts["n_mixtures"], "n_scored": counts["n_scored"]}


def iter_batches(mixtures: Sequence[tuple[str, Path]], read: Callable[[Path], np.ndarray],
                 batch_size: int = 1) -> Iterator[list[tuple[str, np.ndarray]]]:
    """Consecutive mixtures in batches of up to ``batch_size``; a batch only holds mixtures of one length."""
    batch: list[tuple[str, np.ndarray]] = []
    for name, path in mixtures:
        samples = read(path)
        if batch and (len(batch) >= batch_size or batch[0][1].shape != samples.shape):
            yield batch
            batch = []
        batch.append((name, samples))
    if batch:
        yield batch


class Progress:
    """``i/n mixtures`` on stderr every 25 mixtures and at the end."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.done = total, enabled, 0

    def advance(self, n: int) -> None:
        before, self.done = self.done, self.done + n
        if self.enabled and (self.done // 25 > before // 25 or self.done == self.total):
            print(f"{self.done}/{self.total} mixtures", file=sys.stderr, flush=True)


def infer(ckpt: str | Path, ref: str | Path, out: str | Path, device: str = "auto",
          progress: bool = True, batch_size: int = 1) -> InferResult:
    """Write the submission package of checkpoint ``ckpt`` on the soundscapes of ``ref`` into ``out``."""
    dev = select_device(device)
    system, state = load_system(ckpt, dev)
    mixtures, targets = discover(ref, system.classes)
    out = Path(out)
    config = state["config"]
    rate, n_channels = int(config["sample_rate"]), int(config["n_channels"])
    writer = PackageWriter(out, rate, targets)
    ticker = Progress(len(mixtures), progress)
    started = time.perf_counter()
    for batch in iter_batches(mixtures, lambda p: _read_mixture(p, n_channels, rate), batch_size):
        stacked = torch.from_numpy(np.stack([samples for _, samples in batch])).to(dev)
        with torch.inference_mode(), autocast(dev, bool(config["train"].get("amp", True))):
            result = system(stacked)
        labels = system.label_names(result.labels)
        wavs = result.waveforms.float().cpu().numpy()
        probs = result.probabilities.float().cpu().tolist()
        for b, (name, samples) in enumerate(batch):
            writer.add(name, labels[b], [round(float(p), 6) for p in probs[b]], wavs[b], samples[0])
        ticker.advance(len(batch))
    seconds = time.perf_counter() - started
    nparams = count_parameters(system)
    run_config = {"system": "s5eval baseline (track-wise tagger + ResUNetK)", "checkpoint": str(Path(ckpt).name),
                  "step": state.get("step"), "epoch": state.get("epoch"), "train_config": config}
    figures = writer.finish(nparams, run_config)
    write_package_meta(out, nparams, config, figures)
    return InferResult(out, writer.n_mixtures, writer.n_estimates, seconds, figures)


def infer_official(separator_ckpt: str | Path, ref: str | Path, out: str | Path,
                   tagger_ckpt: str | Path | None = None, oracle_labels: bool = False, device: str = "auto",
                   batch_size: int = 1, trust: bool = False, progress: bool = True) -> InferResult:
    """Write the package of the official DCASE 2026 checkpoints (see :mod:`baseline.official`).

    Without ``oracle_labels`` the tagger labels every track and the separator is queried
    with the tagger's vectors (silence last); with it the reference labels of ``ref`` (sorted
    file names, padded with silence to 3 tracks) are the query and every probability is 1.0,
    as the official ``Evaluator.predict(mixture, labels)``. Mixtures are read as float32
    (PCM16 / 32768) at full length; ``batch_size`` mixtures of equal length run together.
    """
    from .official import (N_CHANNELS, N_TRACKS, OFFICIAL_LABELS, SAMPLE_RATE, OfficialCheckpointError,
                           count_parameters as official_parameters, load_official_system)

    if oracle_labels:
        tagger_ckpt = None
    elif tagger_ckpt is None:
        raise S5InputError([error("E_BASELINE_CKPT", "", "the official system needs --tagger-ckpt "
                                  "(or --oracle-labels to query the separator with the reference labels)")], EXIT_USAGE)
    dev = select_device(device)
    mixtures, targets = discover(ref, OFFICIAL_LABELS)
    if oracle_labels and targets is None:
        raise S5InputError([error("E_BASELINE_ORACLE", str(ref), "--oracle-labels needs a set with references "
                                  f"({TARGET_DIR}/): the labels come from its file names")], EXIT_USAGE)
    oracle: dict[str, list[str]] = {}
    if oracle_labels:
        for name, refs in targets.items():
            labels = [t.label for t in sorted(refs, key=lambda t: t.filename)]  # the official sorted file names
            if len(labels) > N_TRACKS:
                raise S5InputError([error("E_BASELINE_ORACLE", name, f"{len(labels)} reference targets; the "
                                          f"official separator has {N_TRACKS} output tracks")], EXIT_USAGE)
            oracle[name] = labels + [SILENCE] * (N_TRACKS - len(labels))
    try:
        loaded = load_official_system(tagger_ckpt, separator_ckpt, dev, trust=trust)
    except OfficialCheckpointError as exc:
        code = "E_BASELINE_CKPT_UNTRUSTED" if exc.untrusted else "E_BASELINE_CKPT"
        raise S5InputError([error(code, "", str(exc))], EXIT_USAGE) from None
    model = loaded.model
    writer = PackageWriter(Path(out), SAMPLE_RATE, targets)
    ticker = Progress(len(mixtures), progress)
    started = time.perf_counter()
    for batch in iter_batches(mixtures, lambda p: _read_mixture(p, N_CHANNELS, SAMPLE_RATE), batch_size):
        stacked = torch.from_numpy(np.stack([samples for _, samples in batch])).to(dev)
        with torch.inference_mode():
            if oracle_labels:
                prediction = model.oracle_separate(stacked, [oracle[name] for name, _ in batch])
            else:
                prediction = model.predict_label_separate(stacked)
        wavs = prediction.waveforms.cpu().numpy()
        probs = prediction.probabilities.float().cpu().tolist()
        for b, (name, samples) in enumerate(batch):
            if wavs.shape[-1] != samples.shape[-1]:
                raise S5InputError([error("E_BASELINE_OUTPUT", name, f"the separator returned {wavs.shape[-1]} "
                                          f"samples for a mixture of {samples.shape[-1]}")])
            writer.add(name, prediction.labels[b], [float(p) for p in probs[b]], wavs[b], samples[0])
        ticker.advance(len(batch))
    seconds = time.perf_counter() - started
    nparams = official_parameters(model)
    variant = loaded.variant
    run_config = {
        "system": "official DCASE 2026 Task 4 baseline: " + ("ResUNet30 with oracle labels" if oracle_labels
                                                             else f"M2D-AT {variant} + ResUNet30"),
        "oracle_labels": bool(oracle_labels), "checkpoints": loaded.info,
        "batch_size": int(batch_size), "device": dev.type,
        "amp": "bfloat16 autocast" if dev.type == "cuda" else "float32",
    }
    figures = writer.finish(nparams, run_config)
    return InferResult(Path(out), writer.n_mixtures, writer.n_estimates, seconds, figures)


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
