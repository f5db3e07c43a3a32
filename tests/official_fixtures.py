"""Artifacts laid out exactly as the official DCASE tooling writes and distributes them.

Written from the conformance set (``tests/data/conformance``), whose official
figures are known, following the official code (nttcslab/dcase2026_task4_baseline
and dcase2025_task4_baseline):

* 2026 ``generate_waveform.py``: ``<label>/eval_out/<mix>_<i>_<Label>.wav`` with
  ``i`` the output track (silent tracks not written), ``eval_results.json``
  (``json.dump(..., indent=4)``: ``nparams``, ``probabilities`` with one entry per
  soundscape, ``config``) and ``dev_set_test_results.json`` (the ``Evaluator``'s
  ``{"CAPI-SDRi": {"mean"}, "label_metrics", "nparams", "details", "config"}``);
  ``generate_waveform.sh`` zips it as ``zip -r <label>.zip <label>``.
* 2025 ``generate_waveform.py``: ``<label>_out/eval_out/<mix>_<Label>.wav`` (a
  repeated label leaves one file), zipped as ``<label>_out.zip``.
* The evaluation sets as distributed: 2026 ``eval_set/synthesized/eval/soundscape``,
  2025 ``eval_set/soundscape``, no references; the 2026 dev test set
  ``dev_set/synthesized/test/{soundscape,oracle_target}``.

The evaluation soundscapes are the conformance mixtures renamed ``eval_0000`` …
in sorted order (``tests/data/official_examples/eval_names.csv``). This module
writes its files itself, without s5eval's package writers, so the tests compare
s5eval against an independent rendering of the official layout.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import zipfile
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).parent / "data"
CONFORMANCE = DATA / "conformance"
OFFICIAL = DATA / "official_examples"
NPARAMS = 12345678
CONFIG = {"model": {"module": "src.models.s5.s5", "main": "S5", "args": {"label_set": "dcase2026t4"}}}
N_SOURCES = 3
PROBABILITY = 0.9


def eval_names() -> dict[str, str]:
    """Conformance soundscape -> evaluation soundscape name."""
    with (OFFICIAL / "eval_names.csv").open(newline="") as handle:
        return {row["conformance_soundscape"]: row["eval_soundscape"] for row in csv.DictReader(handle)}


def expected() -> dict:
    """``official_examples/expected.json``: the official figures of the dev results and of the eval package."""
    return json.loads((OFFICIAL / "expected.json").read_text())


def _parse(filename: str, soundscapes: set[str]) -> tuple[str, int | None, str]:
    """``(soundscape, index or None, label)`` of a conformance estimate name (both forms)."""
    stem = filename[:-4]
    for mix in sorted(soundscapes, key=len, reverse=True):
        if stem.startswith(mix + "_"):
            rest = stem[len(mix) + 1:]
            head, _, tail = rest.partition("_")
            if head.isdigit() and tail:
                return mix, int(head), tail
            return mix, None, rest
    raise ValueError(filename)


def model_tracks() -> dict[str, list[tuple[int, str, Path]]]:
    """Per conformance soundscape, the tracks a model wrote: ``(track index, label, estimate WAV)``.

    Estimates named in the 2025 form get the lowest free track index, in sorted order.
    """
    names = eval_names()
    per_mix: dict[str, list[tuple[int | None, str, Path]]] = defaultdict(list)
    for wav in sorted((CONFORMANCE / "sub" / "eval_out").glob("*.wav")):
        mix, index, label = _parse(wav.name, set(names))
        per_mix[mix].append((index, label, wav))
    tracks: dict[str, list[tuple[int, str, Path]]] = {}
    for mix, items in per_mix.items():
        used = {index for index, _, _ in items if index is not None}
        free = (k for k in range(100) if k not in used)
        tracks[mix] = sorted((index if index is not None else next(free), label, wav) for index, label, wav in items)
    return tracks


def _write_json_as_official(path: Path, document: dict) -> None:
    with path.open("w") as outfile:
        json.dump(document, outfile, indent=4)


def zip_like_zip_r(folder: Path, zip_path: Path | None = None) -> Path:
    """``cd parent && zip -r NAME.zip NAME``: one top folder, folder entries, deflated files."""
    zip_path = zip_path or folder.with_name(folder.name + ".zip")
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for current, dirs, files in os.walk(folder):
            dirs.sort()
            here = Path(current)
            archive.write(here, here.relative_to(folder.parent).as_posix() + "/")
            for name in sorted(files):
                archive.write(here / name, (here / name).relative_to(folder.parent).as_posix())
    return zip_path


def official_dev_results(nparams: int | None = NPARAMS) -> dict:
    """``dev_set_test_results.json`` as the official ``Evaluator`` writes it for the conformance set (the dev test set).

    Per-mixture values are the official ones of ``conformance/expected.json``;
    label lists are padded with ``silence`` to 3 tracks, as the dataset pads them.
    """
    details = []
    values: list[float] = []
    label_values: list[dict] = []
    for row in json.loads((CONFORMANCE / "expected.json").read_text())["per_mixture"]:
        ref = list(row["ref_labels"]) + ["silence"] * max(0, N_SOURCES - len(row["ref_labels"]))
        est = list(row["est_labels"]) + ["silence"] * max(0, N_SOURCES - len(row["est_labels"]))
        label_value = {"acc": row["mixture_correct"], "tp": row["tp"], "fp": row["fp"], "fn": row["fn"]}
        details.append({
            "soundscape": row["soundscape"], "ref_labels": ref, "est_labels": est,
            "probabilities": [1.0] * len(row["est_labels"]) + [0.0] * (len(est) - len(row["est_labels"])),
            "metrics": [{"metric": "CAPI-SDRi", "value": row["capi_sdri"]},
                        {"metric": "label_metrics", "value": label_value}],
        })
        if row["capi_sdri"] is not None:
            values.append(row["capi_sdri"])
        label_values.append(label_value)
    tp = sum(v["tp"] for v in label_values)
    fp = sum(v["fp"] for v in label_values)
    fn = sum(v["fn"] for v in label_values)
    summary: dict = {
        "CAPI-SDRi": {"mean": sum(values) / len(values)},
        "label_metrics": {"accuracy_mix": sum(v["acc"] for v in label_values) * 100 / len(label_values),
                          "accuracy_src": tp * 100 / (tp + fp + fn)},
    }
    if nparams is not None:
        summary["nparams"] = nparams
    summary["details"] = details
    summary["config"] = CONFIG
    return summary


def write_package_2026(out_dir: Path, label: str = "Nguyen_NTT_task4_1", zipped: bool = False,
                       dev_results: bool = True) -> Path:
    """The 2026 audio package of the conformance submission, as ``generate_waveform.sh`` writes it.

    Returns the package folder, or ``<label>.zip`` with ``zipped``.
    """
    names = eval_names()
    tracks = model_tracks()
    package = out_dir / label
    eval_out = package / "eval_out"
    eval_out.mkdir(parents=True)
    probabilities = []
    for mix in sorted(names):
        eval_mix = names[mix]
        entry = {"soundscape": eval_mix, "estimate": []}
        for index, mix_label, wav in tracks.get(mix, []):
            filename = f"{eval_mix}_{index}_{mix_label}.wav"
            shutil.copyfile(wav, eval_out / filename)
            entry["estimate"].append({"filename": filename, "label": mix_label, "probability": PROBABILITY})
        probabilities.append(entry)
    if dev_results:
        _write_json_as_official(package / "dev_set_test_results.json", official_dev_results())
    _write_json_as_official(package / "eval_results.json",
                            {"nparams": NPARAMS, "probabilities": probabilities, "config": CONFIG})
    return zip_like_zip_r(package) if zipped else package


def write_package_2025(out_dir: Path, label: str = "Nguyen_NTT_task4_2", zipped: bool = False) -> Path:
    """The 2025 audio package ``<label>_out``: ``eval_out/<mix>_<Label>.wav`` only.

    The official script writes every non-silent track to ``<mix>_<Label>.wav``, so
    a repeated label leaves one file; which track survives depends on the model's
    track order. Here it is the lowest track, as in ``official_examples/``.
    """
    names = eval_names()
    package = out_dir / f"{label}_out"
    eval_out = package / "eval_out"
    eval_out.mkdir(parents=True)
    for mix, items in sorted(model_tracks().items()):
        for _, mix_label, wav in reversed(items):  # a later write replaces an earlier one of the same label
            shutil.copyfile(wav, eval_out / f"{names[mix]}_{mix_label}.wav")
    return zip_like_zip_r(package) if zipped else package


def write_eval_set(out_dir: Path, year: int = 2026, with_references: bool = False) -> Path:
    """The evaluation set as distributed, under ``out_dir/data``; returns that dataset root.

    2026: ``data/eval_set/synthesized/eval/soundscape``; 2025: ``data/eval_set/soundscape``.
    ``with_references`` adds ``oracle_target/`` (renamed conformance targets), what
    organizers score against.
    """
    names = eval_names()
    root = out_dir / "data"
    base = root / "eval_set" / ("synthesized/eval" if year == 2026 else "")
    (base / "soundscape").mkdir(parents=True)
    for mix, eval_mix in names.items():
        shutil.copyfile(CONFORMANCE / "ref" / "soundscape" / f"{mix}.wav", base / "soundscape" / f"{eval_mix}.wav")
    if with_references:
        (base / "oracle_target").mkdir()
        for wav in sorted((CONFORMANCE / "ref" / "oracle_target").glob("*.wav")):
            mix, index, mix_label = _parse(wav.name, set(names))
            suffix = mix_label if index is None else f"{index}_{mix_label}"
            shutil.copyfile(wav, base / "oracle_target" / f"{names[mix]}_{suffix}.wav")
    return root


def write_dev_test_set(out_dir: Path) -> Path:
    """The 2026 development test set ``data/dev_set/synthesized/test`` (the conformance set); returns ``data``."""
    root = out_dir / "data"
    test = root / "dev_set" / "synthesized" / "test"
    test.mkdir(parents=True)
    for folder in ("soundscape", "oracle_target"):
        shutil.copytree(CONFORMANCE / "ref" / folder, test / folder)
    return root
