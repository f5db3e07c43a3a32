"""Write the sample submissions of this folder (reproducible: fixed seed, fixed zip timestamps).

    python sample_submissions/make_samples.py [OUT]     (default: this folder)

Writes a small reference set (``ref/``: six 0.5 s, 32 kHz, 4-channel PCM16
mixtures and their mono targets), one valid DCASE package
(``valid/Smith_ACME_task4_1``), two zips exactly as the official DCASE tools
write them (``official/``: a 2026 package and a 2025 one), a bare folder of WAVs
(``bare/``) and one broken package per family of problem under ``broken/``
(zips for the archive family). Every package file is written through
:mod:`s5eval.io.package` (the broken ones are corrupted afterwards where the
problem is a syntax error). ``ref/`` stands in for the development test set too:
``dev_set_test_results.json`` holds the estimates' figures on it, computed with
``s5eval score``. ``expected_codes.json`` lists the finding codes each sample
must raise with ``s5eval validate SUB --ref ref``; README.md shows the same table.
"""
from __future__ import annotations

import copy
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from s5eval.io.package import (DevDetail, EstimateEntry, dev_results_document, estimate_filename,
                               eval_results_document, write_dev_results, write_eval_results, write_meta, zip_package)

RATE = 32_000
SECONDS = 0.5
FRAMES = int(RATE * SECONDS)
SEED = 2026
PACKAGE = "Smith_ACME_task4_1"
NPARAMS = 1_234_567
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
CONFIG = {"checkpoint": "sample.ckpt", "threshold": 0.5}

# soundscape -> reference labels (one zero-target mixture, one same-class pair)
MIXTURES: dict[str, list[str]] = {
    "sample_0": ["Speech", "Doorbell"],
    "sample_1": ["FootSteps", "FootSteps"],
    "sample_2": [],
    "sample_3": ["Typing"],
    "sample_4": ["Blender", "Dishes", "Cough"],
    "sample_5": ["AlarmClock"],
}


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, subtype: str = "PCM_16") -> Path:
    """Write a WAV; float files get their PEAK chunk's timestamp zeroed so reruns give identical bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples, rate, subtype=subtype, format="WAV")
    data = bytearray(path.read_bytes())
    peak = data.find(b"PEAK")
    if peak >= 0:
        data[peak + 12:peak + 16] = bytes(4)  # PEAK: id, size, version, timestamp
        path.write_bytes(bytes(data))
    return path


def make_reference(root: Path, rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """``root/soundscape``, ``root/oracle_target`` and ``root/subsets.csv``; returns the targets."""
    targets: dict[str, list[np.ndarray]] = {}
    t = np.arange(FRAMES) / RATE
    for k, (mix, labels) in enumerate(MIXTURES.items()):
        sources = []
        for i, _ in enumerate(labels):
            tone = 0.1 * np.sin(2 * np.pi * (220 + 110 * (k + i)) * t)
            sources.append((tone + 0.03 * rng.standard_normal(FRAMES)).astype(np.float32))
        targets[mix] = sources
        noise = 0.01 * rng.standard_normal(FRAMES)
        channel0 = noise + (np.sum(sources, axis=0) if sources else 0.0)
        channels = [channel0] + [0.6 * channel0 + 0.005 * rng.standard_normal(FRAMES) for _ in range(3)]
        write_wav(root / "soundscape" / f"{mix}.wav", np.stack(channels, axis=1))
        for i, (label, source) in enumerate(zip(labels, sources)):
            write_wav(root / "oracle_target" / f"{mix}_{i}_{label}.wav", source)
    rows = ["soundscape,subset"] + [f"{m},{'ranking' if j < 4 else 'analysis'}" for j, m in enumerate(MIXTURES)]
    (root / "subsets.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return targets


def meta(label: str, dev: dict | None = None) -> dict:
    """A complete DCASE meta YAML document, with a few task-specific keys; ``dev``: its development figures."""
    dev = dev if dev is not None else {"capi_sdri": 11.2, "accuracy_mix": 58.0, "accuracy_src": 71.5}
    return {
        "submission": {
            "label": label,
            "name": "Sample label-queried separator",
            "abbreviation": "SampleSep",
            "authors": [
                {"lastname": "Smith", "firstname": "Ada", "email": "ada.smith@acme.example", "corresponding": True,
                 "affiliation": {"abbreviation": "ACME", "institute": "ACME Research", "department": "Audio",
                                 "location": "Springfield, Country"}},
                {"lastname": "Jones", "firstname": "Bo", "email": "bo.jones@acme.example",
                 "affiliation": {"abbreviation": "ACME", "institute": "ACME Research", "department": "Audio",
                                 "location": "Springfield, Country"}},
            ],
        },
        "system": {
            "description": {"input_channels": 4, "sampling_rate": "32kHz", "tagger": "M2D",
                            "separator": "ResUNetK", "data_augmentation": ["mixing", "gain"]},
            "complexity": {"total_parameters": NPARAMS, "macs": 1.2e9},
            "external_datasets": [{"name": "FSD50K", "url": "https://zenodo.org/records/4060432",
                                   "total_audio_length": 108.3}],
            "source_code": "https://example.org/acme/sample-s5",
        },
        "results": {"development_dataset": dict(dev)},
    }


def estimate_plan(targets: dict[str, list[np.ndarray]]) -> list[tuple[str, str, np.ndarray]]:
    """The valid package's estimates: ``(soundscape, filename, samples)``; silence padding for the empty mixture."""
    rng = np.random.default_rng(SEED + 1)
    plan = []
    for mix, labels in MIXTURES.items():
        if not labels:
            plan.append((mix, f"{mix}_0_silence.wav", np.zeros(FRAMES, np.float32)))
        for i, (label, source) in enumerate(zip(labels, targets[mix])):
            plan.append((mix, f"{mix}_{i}_{label}.wav", source + 0.02 * rng.standard_normal(FRAMES).astype(np.float32)))
    return plan


def label_of(filename: str) -> str:
    return filename[:-4].rsplit("_", 1)[-1]


def probability_of(label: str) -> float:
    return 0.0 if label == "silence" else 0.9


def eval_results(entries: dict[str, list[str]], nparams=NPARAMS) -> dict:
    """``eval_results.json`` listing ``filename``s per soundscape with their filename labels."""
    return eval_results_document(
        ((mix, [EstimateEntry(f, label_of(f), probability_of(label_of(f))) for f in files])
         for mix, files in entries.items()), nparams, CONFIG)


def write_package(root: Path, plan, label: str, results: dict | None = None, meta_doc: dict | None = None,
                  dev: dict | None = None) -> Path:
    """A package folder ``root/label`` with ``eval_out/``, ``eval_results.json``, ``<label>.meta.yaml`` and,
    when ``dev`` is given, ``dev_set_test_results.json``."""
    pkg = root / label
    entries: dict[str, list[str]] = {m: [] for m in MIXTURES}
    for mix, filename, samples in plan:
        write_wav(pkg / "eval_out" / filename, samples)
        entries.setdefault(mix, []).append(filename)
    write_eval_results(pkg, results if results is not None else eval_results(entries))
    write_meta(pkg, label, meta_doc if meta_doc is not None else meta(label))
    if dev is not None:
        write_dev_results(pkg, dev)
    return pkg


def scored_values(pkg: Path, ref: Path) -> dict[str, float | None]:
    """Each soundscape's CAPI-SDRi (dB, None when excluded) as ``s5eval score PKG --ref REF`` gives it."""
    from s5eval.scoring.config import ScoreConfig
    from s5eval.scoring.run import run_score

    run = run_score(pkg, ref, ScoreConfig(workers=1, n_resamples=0))
    return {r.soundscape: r.capi_sdri for r in run.records}


def dev_document(values: dict[str, float | None], tracks: dict[str, list[tuple[str, float]]],
                 nparams: int = NPARAMS, config=None) -> dict:
    """``dev_set_test_results.json`` (official layout) of ``tracks`` (soundscape -> (label, probability) of
    every output track) with the CAPI-SDRi ``values``; ``ref/`` plays the development test set."""
    details = [DevDetail(mix, MIXTURES[mix], [label for label, _ in tracks.get(mix, [])],
                         [p for _, p in tracks.get(mix, [])], values.get(mix)) for mix in MIXTURES]
    return dev_results_document(details, nparams, CONFIG if config is None else config)


def plan_tracks(plan) -> dict[str, list[tuple[str, float]]]:
    """The (label, probability) of each estimate of a plan, per soundscape (silence padding included)."""
    tracks: dict[str, list[tuple[str, float]]] = {}
    for mix, filename, _ in plan:
        tracks.setdefault(mix, []).append((label_of(filename), probability_of(label_of(filename))))
    return tracks


def broken_layout(root: Path, plan) -> Path:
    """Bad package name, no eval_results.json nor dev_set_test_results.json, stray and junk files, a non-WAV
    and a folder in eval_out."""
    pkg = root / "Smith_ACME_task_1"
    for _, filename, samples in plan:
        write_wav(pkg / "eval_out" / filename, samples)
    (pkg / "eval_out" / "notes.txt").write_text("not an estimate\n")
    write_wav(pkg / "eval_out" / "extra" / "sample_0_0_Speech.wav", plan[0][2])
    (pkg / "eval_out" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (pkg / "model.ckpt").write_bytes(b"\x00" * 16)
    return pkg


def broken_names(root: Path, plan, dev: dict) -> Path:
    """Lower-case label, unknown soundscape, a slot used twice, the 2025 form mixed in, too many estimates."""
    files = {filename: (mix, samples) for mix, filename, samples in plan}
    mix0, speech = files.pop("sample_0_0_Speech.wav")
    files["sample_0_0_speech.wav"] = (mix0, speech)                           # E_UNKNOWN_LABEL
    files["sample_9_0_Speech.wav"] = ("sample_0", speech)                     # E_UNKNOWN_SOUNDSCAPE
    files["sample_1_1_Typing.wav"] = ("sample_1", files["sample_1_1_FootSteps.wav"][1])  # W_SHARED_OUTPUT_INDEX
    mix3, typing = files.pop("sample_3_0_Typing.wav")
    files["sample_3_Typing.wav"] = (mix3, typing)                             # W_MIXED_FORMS
    files["sample_4_3_Speech.wav"] = ("sample_4", files["sample_4_0_Blender.wav"][1])  # W_TOO_MANY_ESTIMATES
    return write_package(root, [(m, f, s) for f, (m, s) in sorted(files.items())], "Smith_ACME_task4_2", dev=dev)


def broken_audio(root: Path, plan, dev: dict) -> Path:
    """Every audio problem, one file each."""
    files = {filename: samples for _, filename, samples in plan}
    pkg = write_package(root, plan, "Smith_ACME_task4_3", dev=dev)
    out = pkg / "eval_out"
    write_wav(out / "sample_0_0_Speech.wav", np.stack([files["sample_0_0_Speech.wav"]] * 2, axis=1))  # E_CHANNELS
    write_wav(out / "sample_0_1_Doorbell.wav", files["sample_0_1_Doorbell.wav"], rate=16_000)           # E_SAMPLE_RATE
    write_wav(out / "sample_1_0_FootSteps.wav", files["sample_1_0_FootSteps.wav"][: FRAMES // 2])      # E_LENGTH
    nan = files["sample_1_1_FootSteps.wav"].copy()
    nan[100] = np.nan
    write_wav(out / "sample_1_1_FootSteps.wav", nan, subtype="FLOAT")                                   # E_NONFINITE
    write_wav(out / "sample_3_0_Typing.wav", np.zeros(FRAMES, np.float32))                             # W_SILENT_ESTIMATE
    write_wav(out / "sample_4_0_Blender.wav", np.clip(20 * files["sample_4_0_Blender.wav"], -1, 1))    # W_CLIPPING
    whole = (out / "sample_4_1_Dishes.wav").read_bytes()
    (out / "sample_4_1_Dishes.wav").write_bytes(whole[: len(whole) // 2])                             # E_TRUNCATED
    (out / "sample_4_2_Cough.wav").write_bytes(b"this is not audio\n")                                  # E_UNREADABLE
    write_wav(out / "sample_5_0_AlarmClock.wav", np.zeros(0, np.float32))                              # E_EMPTY_AUDIO
    return pkg


def broken_eval_results(root: Path, plan) -> Path:
    """eval_results.json disagreeing with the files and with its schema; a dev_set_test_results.json in
    another layout (the pre-2026 one of this toolkit)."""
    results = eval_results({m: [f for mm, f, _ in plan if mm == m] for m in MIXTURES}, nparams=-5)  # E_NPARAMS
    probs = results["probabilities"]
    probs[0]["estimate"][0]["probability"] = 1.5                                      # E_PROBABILITY
    probs[0]["estimate"][1]["label"] = "Buzzer"                                       # E_RESULTS_LABEL_MISMATCH
    probs[1]["estimate"].append(dict(probs[1]["estimate"][0]))                        # E_RESULTS_DUPLICATE_ENTRY
    probs[3]["estimate"].append({"filename": "sample_3_1_Speech.wav", "label": "Speech",
                                 "probability": 0.5})                                 # E_RESULTS_MISSING_FILE
    moved = probs[4]["estimate"].pop(2)
    probs[5]["estimate"].append(moved)                                                # E_RESULTS_SOUNDSCAPE_MISMATCH
    del probs[5]["estimate"][0]["probability"]                                        # E_RESULTS_SCHEMA
    probs.append({"soundscape": "sample_3", "estimate": []})                          # E_RESULTS_DUPLICATE_SOUNDSCAPE
    probs.append({"soundscape": "sample_7", "estimate": []})                          # E_RESULTS_UNKNOWN_SOUNDSCAPE
    del probs[2]                                                # sample_2 unlisted: E_RESULTS_UNLISTED_FILE, W_RESULTS_MISSING_SOUNDSCAPE
    pkg = write_package(root, plan, "Smith_ACME_task4_4", results=results)            # W_NPARAMS_MISMATCH (meta says 1234567)
    write_dev_results(pkg, {"nparams": 10, "probabilities": {"dev_0001": []}})        # E_DEV_RESULTS_SCHEMA
    return pkg


def broken_dev_results(root: Path, plan, dev: dict) -> Path:
    """A dev_set_test_results.json in the official layout whose contents disagree with themselves."""
    doc = copy.deepcopy(dev)
    details = doc["details"]
    details.append(copy.deepcopy(details[1]))                     # E_DEV_RESULTS_DUPLICATE_SOUNDSCAPE
    details[0]["est_labels"][1] = "Doorbel"                       # E_DEV_RESULTS_LABEL
    details[3]["metrics"][1]["value"]["tp"] = 3                   # W_DEV_RESULTS_DETAIL
    doc["CAPI-SDRi"]["mean"] += 1.0                               # W_DEV_RESULTS_SUMMARY
    return write_package(root, plan, "Smith_ACME_task4_1", dev=doc)


def broken_syntax(root: Path, plan, dev: dict) -> Path:
    """eval_results.json that is not JSON (NaN) and a meta YAML that is not YAML (both corrupted once written)."""
    pkg = write_package(root, plan, "Smith_ACME_task4_1", dev=dev)
    path = pkg / "eval_results.json"
    path.write_text(path.read_text().replace('"probability": 0.9', '"probability": NaN', 1))           # E_JSON_SYNTAX
    path = pkg / f"{pkg.name}.meta.yaml"
    path.write_text(path.read_text().replace("label: Smith_ACME_task4_1", "label: [unclosed", 1))    # E_YAML_SYNTAX
    return pkg


def broken_meta(root: Path, plan, dev: dict) -> Path:
    """A meta YAML that breaks each rule of the DCASE meta layout once."""
    doc = meta("Smith_ACME_task4_1")                                                  # E_META_LABEL (package is _task4_2)
    doc["submission"]["abbreviation"] = "SampleSeparator"                             # E_META_ABBREVIATION
    doc["submission"]["authors"][1]["corresponding"] = True                           # E_META_CORRESPONDING
    doc["system"]["complexity"]["total_parameters"] = "1.2M"                          # E_META_PARAMETERS
    del doc["results"]                                                                # E_META_SCHEMA
    return write_package(root, plan, "Smith_ACME_task4_2", meta_doc=doc, dev=dev)


# --- the official tools' packages -------------------------------------------------------------------------

# soundscape -> the label of each output track of the official 2026 sample ("silence": the track is not written)
OFFICIAL_TRACKS: dict[str, list[str]] = {
    "sample_0": ["Speech", "silence", "Doorbell"],     # track 1 silent: files _0_ and _2_
    "sample_1": ["FootSteps", "FootSteps", "silence"],
    "sample_2": ["silence", "silence", "silence"],     # nothing written: an empty estimate list
    "sample_3": ["silence", "Typing", "silence"],      # only _1_
    "sample_4": ["Blender", "Dishes", "Cough"],
    "sample_5": ["AlarmClock", "silence", "silence"],
}
OFFICIAL_CONFIG = {"model": {"tagger": "M2DAT", "separator": "ResUNetK", "checkpoint": "checkpoint/s5.ckpt"},
                   "dataset": {"sample_rate": RATE, "n_sources": 3}}


def _fix_times(folder: Path) -> None:
    """Give every file and folder the same modification time, so that the zip is the same on every run."""
    stamp = time.mktime((*ZIP_TIME, 0, 0, -1))
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (stamp, stamp))


def official_2026(out: Path, targets: dict[str, list[np.ndarray]], work: Path) -> Path:
    """``official/Smith_ACME_task4_1.zip`` as ``generate_waveform.sh`` and ``zip -r`` make it: ``eval_out/``
    with output-track indices (silent tracks skipped), ``eval_results.json`` with every soundscape and the
    official ``dev_set_test_results.json``; no meta YAML."""
    rng = np.random.default_rng(SEED + 2)
    pkg = work / PACKAGE
    eval_out = _mkdir(pkg / "eval_out")
    entries, tracks = [], {}
    for mix, labels in OFFICIAL_TRACKS.items():
        sources = iter(targets[mix])
        written, probabilities = [], []
        for track, label in enumerate(labels):
            probability = round(float(rng.uniform(0.55, 0.99)), 4)
            probabilities.append(probability)
            if label == "silence":
                continue
            filename = estimate_filename(mix, track, label)
            samples = next(sources) + 0.03 * rng.standard_normal(FRAMES).astype(np.float32)
            sf.write(str(eval_out / filename), samples, RATE)  # as generate_waveform.py: soundfile's default PCM_16
            written.append(EstimateEntry(filename, label, probability))
        entries.append((mix, written))
        tracks[mix] = list(zip(labels, probabilities))
    write_eval_results(pkg, eval_results_document(entries, NPARAMS, OFFICIAL_CONFIG))
    write_dev_results(pkg, dev_document(scored_values(pkg, out / "ref"), tracks, config=OFFICIAL_CONFIG))
    _fix_times(pkg)
    return zip_package(pkg, _mkdir(out / "official") / f"{PACKAGE}.zip")


def official_2025(out: Path, targets: dict[str, list[np.ndarray]], work: Path) -> Path:
    """``official/Smith_ACME_task4_2_out.zip``: the 2025 form, ``<label>_out/eval_out/<mix>_<Label>.wav`` only
    (one file per label of a mixture)."""
    rng = np.random.default_rng(SEED + 3)
    pkg = work / "Smith_ACME_task4_2_out"
    eval_out = _mkdir(pkg / "eval_out")
    for mix, labels in MIXTURES.items():
        for label, source in zip(labels, targets[mix]):
            path = eval_out / estimate_filename(mix, None, label)
            if not path.exists():
                sf.write(str(path), source + 0.05 * rng.standard_normal(FRAMES).astype(np.float32), RATE)
    _fix_times(pkg)
    return zip_package(pkg, _mkdir(out / "official") / f"{pkg.name}.zip")


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _zip_info(name: str, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def broken_archives(root: Path, valid: Path) -> list[Path]:
    """Four zips, each with one archive problem beside the valid package's text files.

    A refused zip is never extracted, so its other members are not checked and
    the WAVs are left out to keep the zips small.
    """
    root.mkdir(parents=True, exist_ok=True)
    members = sorted(p for p in valid.rglob("*") if p.is_file() and p.suffix != ".wav")

    def write(name: str, extra) -> Path:
        path = root / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for p in members:
                archive.writestr(_zip_info(f"{PACKAGE}/{p.relative_to(valid).as_posix()}"), p.read_bytes())
            extra(archive)
        return path

    return [
        write("traversal.zip", lambda z: z.writestr(_zip_info(f"{PACKAGE}/../../evil.txt"), b"escape")),
        write("absolute.zip", lambda z: z.writestr(_zip_info("/tmp/s5eval-evil.txt"), b"escape")),
        write("symlink.zip", lambda z: z.writestr(_zip_info(f"{PACKAGE}/eval_out/link.wav", 0o120777), b"/etc/passwd")),
        write("bomb.zip", lambda z: z.writestr(_zip_info(f"{PACKAGE}/padding.bin"), bytes(8 * 1024**2),
                                               compress_type=zipfile.ZIP_BZIP2)),
    ]


OFFICIAL_2026 = f"official/{PACKAGE}.zip"
OFFICIAL_2025 = "official/Smith_ACME_task4_2_out.zip"

# sample -> codes it must raise with `s5eval validate SAMPLE --ref ref` (exactly these, no others)
EXPECTED: dict[str, list[str]] = {
    f"valid/{PACKAGE}": [],
    OFFICIAL_2026: [],
    OFFICIAL_2025: [],
    "bare": ["W_NOT_A_PACKAGE"],
    "broken/layout/Smith_ACME_task_1": ["E_MISSING_EVAL_RESULTS", "E_NESTED_FILES", "E_NOT_WAV", "E_PACKAGE_NAME",
                                        "W_JUNK_FILE", "W_MISSING_DEV_RESULTS", "W_STRAY_FILE"],
    "broken/names/Smith_ACME_task4_2": ["E_UNKNOWN_LABEL", "E_UNKNOWN_SOUNDSCAPE", "W_MIXED_FORMS",
                                        "W_SHARED_OUTPUT_INDEX", "W_TOO_MANY_ESTIMATES"],
    "broken/audio/Smith_ACME_task4_3": ["E_CHANNELS", "E_EMPTY_AUDIO", "E_LENGTH", "E_NONFINITE", "E_SAMPLE_RATE",
                                        "E_TRUNCATED", "E_UNREADABLE", "W_CLIPPING", "W_SILENT_ESTIMATE"],
    "broken/eval_results/Smith_ACME_task4_4": ["E_DEV_RESULTS_SCHEMA", "E_NPARAMS", "E_PROBABILITY",
                                               "E_RESULTS_DUPLICATE_ENTRY", "E_RESULTS_DUPLICATE_SOUNDSCAPE",
                                               "E_RESULTS_LABEL_MISMATCH", "E_RESULTS_MISSING_FILE",
                                               "E_RESULTS_SCHEMA", "E_RESULTS_SOUNDSCAPE_MISMATCH",
                                               "E_RESULTS_UNKNOWN_SOUNDSCAPE", "E_RESULTS_UNLISTED_FILE",
                                               "W_NPARAMS_MISMATCH", "W_RESULTS_MISSING_SOUNDSCAPE"],
    "broken/dev_results/Smith_ACME_task4_1": ["E_DEV_RESULTS_DUPLICATE_SOUNDSCAPE", "E_DEV_RESULTS_LABEL",
                                              "W_DEV_RESULTS_DETAIL", "W_DEV_RESULTS_SUMMARY"],
    "broken/syntax/Smith_ACME_task4_1": ["E_JSON_SYNTAX", "E_YAML_SYNTAX"],
    "broken/meta/Smith_ACME_task4_2": ["E_META_ABBREVIATION", "E_META_CORRESPONDING", "E_META_LABEL",
                                       "E_META_PARAMETERS", "E_META_SCHEMA"],
    "broken/archive/traversal.zip": ["E_ZIP_TRAVERSAL"],
    "broken/archive/absolute.zip": ["E_ZIP_ABSOLUTE"],
    "broken/archive/symlink.zip": ["E_ZIP_SYMLINK"],
    "broken/archive/bomb.zip": ["E_ZIP_RATIO"],
}


DESCRIPTIONS: dict[str, str] = {
    f"valid/{PACKAGE}": "A complete, valid package (2026 filenames, a `silence` file for the zero-target mixture, "
                        "`eval_results.json`, the official `dev_set_test_results.json`, a meta YAML).",
    OFFICIAL_2026: "A 2026 package zipped exactly as the official `generate_waveform.sh` and `zip -r` make it: "
                   "output-track indices with silent tracks skipped (`sample_3_1_Typing.wav` alone), an empty "
                   "`estimate` list for `sample_2`, the official `dev_set_test_results.json`, no meta YAML.",
    OFFICIAL_2025: "A 2025 package: `Smith_ACME_task4_2_out/eval_out/<mix>_<Label>.wav` and nothing else.",
    "bare": "The same estimates as a bare folder of WAVs: fine for `score`, not an upload.",
    "broken/layout/Smith_ACME_task_1": "Bad package name, no `eval_results.json` nor `dev_set_test_results.json`, a "
                                       "folder, a text file and `.DS_Store` in `eval_out/`, a stray `model.ckpt`.",
    "broken/names/Smith_ACME_task4_2": "Lower-case label, unknown soundscape `sample_9`, output slot 1 used twice, one "
                                       "2025-form name, four estimates for one mixture.",
    "broken/audio/Smith_ACME_task4_3": "Stereo, 16 kHz, half length, NaN (float WAV), all-zero, clipped, truncated, "
                                       "not audio, zero samples.",
    "broken/eval_results/Smith_ACME_task4_4": "`eval_results.json` with negative `nparams`, a probability of 1.5, a "
                                              "missing field, files listed twice / missing / unlisted / under the wrong "
                                              "soundscape or label, a repeated and an unknown soundscape; a "
                                              "`dev_set_test_results.json` not in the official layout.",
    "broken/dev_results/Smith_ACME_task4_1": "An official-layout `dev_set_test_results.json` with a soundscape twice, "
                                             "an unknown label, `label_metrics` that disagree with the labels and a "
                                             "`CAPI-SDRi` mean that is not the mean of `details`.",
    "broken/syntax/Smith_ACME_task4_1": "`eval_results.json` with `NaN` (not JSON) and a meta YAML that does not parse.",
    "broken/meta/Smith_ACME_task4_2": "Meta YAML with the wrong label, a 15-character abbreviation, two corresponding "
                                      "authors, `total_parameters: 1.2M` and no `results` section.",
    "broken/archive/traversal.zip": "A member `Smith_ACME_task4_1/../../evil.txt`.",
    "broken/archive/absolute.zip": "A member `/tmp/s5eval-evil.txt`.",
    "broken/archive/symlink.zip": "A member stored as a symbolic link to `/etc/passwd`.",
    "broken/archive/bomb.zip": "An 8 MiB member of zeros compressed with bzip2 (ratio above 2000).",
}


def readme() -> str:
    lines = [
        "# Sample submissions",
        "",
        "Generated by `python sample_submissions/make_samples.py` (seeded; rerunning gives identical files).",
        "Every sample is checked against the small reference set `ref/` (six 0.5 s, 32 kHz, 4-channel",
        "PCM16 mixtures, one without targets, one with two `FootSteps`):",
        "",
        "```",
        "s5eval validate sample_submissions/valid/Smith_ACME_task4_1 --ref sample_submissions/ref",
        "s5eval score sample_submissions/valid/Smith_ACME_task4_1 --ref sample_submissions/ref",
        "s5eval validate sample_submissions/official/Smith_ACME_task4_1.zip --ref sample_submissions/ref",
        "```",
        "",
        "Every package file is written through `s5eval/io/package.py`, so the samples have the layout the",
        "official DCASE 2026 tools write: `eval_out/<mix>_<i>_<Label>.wav` (`i` the model's output track),",
        "`eval_results.json` (indent 4, one entry per soundscape) and `dev_set_test_results.json` in the",
        "official `Evaluator` layout. `ref/` stands in for the development test set too: the",
        "`dev_set_test_results.json` files hold the estimates' figures on it, as `s5eval score` computes them.",
        "`official/` holds two zips made as the official scripts make them (a 2026 package without meta",
        "YAML, which travels in the separate submission package, and a 2025 `_out` package with WAVs only).",
        "",
        "Each sample must raise exactly these finding codes (no others); `tests/test_validate_samples.py`",
        "asserts it, reading `expected_codes.json`. The codes are explained in `docs/findings.md`.",
        "",
        "| sample | what it holds or what is wrong | codes |",
        "|---|---|---|",
    ]
    for sample, codes in EXPECTED.items():
        shown = ", ".join(f"`{c}`" for c in codes) or "none (exit 0)"
        lines.append(f"| `{sample}` | {DESCRIPTIONS[sample]} | {shown} |")
    return "\n".join(lines) + "\n"


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    for name in ("ref", "valid", "official", "bare", "broken"):
        shutil.rmtree(out / name, ignore_errors=True)
    targets = make_reference(out / "ref", rng)
    plan = estimate_plan(targets)
    valid = write_package(out / "valid", plan, PACKAGE)
    dev = dev_document(scored_values(valid, out / "ref"), plan_tracks(plan))
    write_dev_results(valid, dev)
    figures = {key: round(value["mean" if key == "capi_sdri" else key], 2) for key, value in
               (("capi_sdri", dev["CAPI-SDRi"]), ("accuracy_mix", dev["label_metrics"]),
                ("accuracy_src", dev["label_metrics"]))}
    write_meta(valid, PACKAGE, meta(PACKAGE, figures))
    with tempfile.TemporaryDirectory() as work:
        official_2026(out, targets, Path(work) / "2026")
        official_2025(out, targets, Path(work) / "2025")
    for _, filename, samples in plan:
        write_wav(out / "bare" / filename, samples)
    broken = out / "broken"
    broken_layout(broken / "layout", plan)
    broken_names(broken / "names", plan, dev)
    broken_audio(broken / "audio", plan, dev)
    broken_eval_results(broken / "eval_results", plan)
    broken_dev_results(broken / "dev_results", plan, dev)
    broken_syntax(broken / "syntax", plan, dev)
    broken_meta(broken / "meta", plan, dev)
    broken_archives(broken / "archive", valid)
    write_json(out / "expected_codes.json", EXPECTED)
    (out / "README.md").write_text(readme(), encoding="utf-8")


def write_json(path: Path, data) -> None:
    """A plain JSON file of this folder (not a package file): ``expected_codes.json``."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
