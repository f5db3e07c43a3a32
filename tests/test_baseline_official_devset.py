"""The official development set as distributed: layout, mixing recipe, rendering and metadata/valid.json.

A miniature dev set is built in code (:func:`make_mini_dev_set`): three classes with
``train``/``valid`` splits, nested speaker folders for the exclusion depth, an
interferer, 4-channel noise, a SOFA room written with ``sofar`` and a
``metadata/valid.json`` with one mixture written by hand in the SpAudSyn layout and two
drawn by our recipe.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from s5eval.synth.devset import DevSetError
from s5eval.synth.devset_layout import SceneSources, split_folders
from s5eval.synth.scene_metadata import read_metadata, read_metadata_list, write_metadata_list
from s5eval.synth.scene_recipe import SceneDrawer, SceneRecipe, allowed_files
from s5eval.synth.scene_render import render_scene, resolve

sofar = pytest.importorskip("sofar")

SR = 32000
CLASSES = ("Cough", "Dishes", "Speech")
SECONDS = 0.5
# 8 directions on the horizon, 4 raised: cartesian positions 1.5 m from the listener at the origin
AZ = [float(a) for a in range(0, 360, 45)] + [45.0, 135.0, 225.0, 315.0]
EL = [0.0] * 8 + [40.0] * 4


def positions() -> np.ndarray:
    az, el = np.deg2rad(AZ), np.deg2rad(EL)
    return 1.5 * np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)


def write_room(path: Path, n: int = 512, seed: int = 0) -> None:
    """A SingleRoomSRIR file: FOA direct paths (W, Y, Z, X gains) at sample 40 plus a decaying tail."""
    rng = np.random.default_rng(seed)
    pos = positions()
    ir = np.zeros((len(pos), 4, n))
    unit = pos / np.linalg.norm(pos, axis=1, keepdims=True)
    ir[:, :, 40] = np.concatenate([np.ones((len(pos), 1)), unit[:, [1, 2, 0]]], axis=1)
    ir += 0.01 * rng.standard_normal(ir.shape) * np.exp(-np.arange(n) / 80.0)
    sofa = sofar.Sofa("SingleRoomSRIR")
    sofa.Data_IR = ir
    sofa.Data_SamplingRate = SR
    sofa.SourcePosition = pos
    sofa.SourcePosition_Type, sofa.SourcePosition_Units = "cartesian", "metre"
    sofa.ListenerPosition = np.zeros((len(pos), 3))
    sofa.delete("ReceiverDescriptions")
    sofa.delete("EmitterDescriptions")
    sofa.ReceiverPosition = np.zeros((4, 3, 1))
    sofa.ReceiverView = np.tile([[1.0], [0.0], [0.0]], (4, 1, 1))
    sofa.ReceiverUp = np.tile([[0.0], [0.0], [1.0]], (4, 1, 1))
    sofa.MeasurementDate = np.zeros(len(pos))
    sofa.Data_Delay = np.zeros((1, 4))
    path.parent.mkdir(parents=True, exist_ok=True)
    sofar.write_sofa(str(path), sofa)


def _tone(rng, freq: float, seconds: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t) * (1 + 0.3 * rng.standard_normal(t.size))).astype(np.float32)


def official_metadata() -> dict:
    """One validation mixture written by hand as SpAudSyn writes it (paths as in the official dev set)."""
    return {
        "config": {"duration": SECONDS, "sr": SR, "max_event_overlap": 3, "max_event_dur": SECONDS, "ref_db": -55,
                   "foreground_dir": "data/dev_set/sound_event/valid", "background_dir": "data/dev_set/noise/valid",
                   "interference_dir": "data/dev_set/interference/valid",
                   "room_config": {"module": "src.modules.spatial_audio_synthesizer.room", "main": "SofaRoom",
                                   "args": {"path": "data/dev_set/room_ir/valid", "direct_range_ms": [6, 50]}},
                   "verbose": True},
        "fg_events": [
            {"label": "Speech", "source_file": "Speech/p2/s.wav", "source_time": 0, "event_time": 0.05,
             "event_duration": 0.3, "event_position": [positions()[2].tolist()], "snr": 12.0, "role": "foreground"},
            {"label": "Dishes", "source_file": "Dishes/d.wav", "source_time": 0, "event_time": 0.1,
             "event_duration": 0.3, "event_position": [positions()[6].tolist()], "snr": 8.0, "role": "foreground"}],
        "bg_events": [{"label": None, "source_file": "hall.wav", "source_time": 0, "event_time": 0,
                       "event_duration": SECONDS, "event_position": None, "snr": 0, "role": "background"}],
        "int_events": [{"label": "Door", "source_file": "Door/door.wav", "source_time": 0, "event_time": 0.2,
                        "event_duration": 0.2, "event_position": [positions()[9].tolist()], "snr": 3.0,
                        "role": "interference"}],
        "room": {"module": "src.modules.spatial_audio_synthesizer.room", "main": "SofaRoom.from_metadata",
                 "args": {"metadata": {"sofa_path": "data/dev_set/room_ir/valid/room_v.sofa", "sr": SR, "nchan": 4,
                                       "nrir": 12, "rir_len": 512, "direct_range_ms": [6, 50]}}},
    }


def test_recipe(**overrides) -> SceneRecipe:
    values = dict(duration=SECONDS, max_event_dur=SECONDS, nevent_range=(0, 3))
    values.update(overrides)
    return SceneRecipe(**values)


test_recipe.__test__ = False  # a helper, not a test


def make_mini_dev_set(root: Path, n_drawn_valid: int = 2) -> Path:
    """The official layout in miniature (see the module docstring); returns ``root``."""
    rng = np.random.default_rng(0)
    for split in ("train", "valid"):
        base = root / "sound_event" / split
        for k, label in enumerate(CLASSES):
            folders = ["p1", "p2", "p3"] if label == "Speech" else [""]
            for folder in folders:
                for i in range(2):
                    name = "s.wav" if (folder == "p2" and i == 0) else ("d.wav" if label == "Dishes" and i == 0
                                                                         else f"{label}_{i}.wav")
                    path = base / label / folder / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    rate = 16000 if (label == "Cough" and i == 1) else SR  # one file to resample
                    sf.write(str(path), _tone(rng, 300 + 250 * k + 40 * i, 0.3 + 0.4 * i, rate), rate)
        door = root / "interference" / split / "Door" / "door.wav"
        door.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(door), _tone(rng, 2500, 0.2), SR)
        (root / "noise" / split).mkdir(parents=True, exist_ok=True)
        sf.write(str(root / "noise" / split / "hall.wav"), 0.05 * rng.standard_normal((int(1.3 * SR), 4)), SR)
        write_room(root / "room_ir" / split / f"room_{split[0]}.sofa", seed=len(split))
    sources = SceneSources(split_folders(root, "valid"), CLASSES)
    drawer = SceneDrawer(sources, test_recipe(shuffle_label=False))
    scenes = [official_metadata()] + [drawer.draw(np.random.default_rng((7, i))) for i in range(n_drawn_valid)]
    write_metadata_list(root / "metadata", scenes, "valid")
    return root


@pytest.fixture(scope="module")
def dev_set(tmp_path_factory) -> Path:
    return make_mini_dev_set(tmp_path_factory.mktemp("official") / "dev_set")


def _angle(a, b) -> float:
    a, b = np.asarray(a[0]), np.asarray(b[0])
    return math.degrees(math.acos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)))


def test_split_layout_is_required_and_errors_name_what_is_missing(tmp_path, dev_set):
    with pytest.raises(DevSetError, match="lacks sound_event/train and room_ir/train"):
        split_folders(tmp_path, "train")
    folders = split_folders(dev_set, "train")
    assert folders.foreground == dev_set / "sound_event" / "train" and folders.noise == dev_set / "noise" / "train"
    with pytest.raises(DevSetError, match="not classes of the label set: Speech"):
        SceneSources(folders, ("Cough", "Dishes"))
    assert resolve("data/dev_set/room_ir/valid/x.sofa", dev_set) == dev_set / "room_ir" / "valid" / "x.sofa"


def test_drawn_mixtures_follow_the_official_recipe(dev_set):
    sources = SceneSources(split_folders(dev_set, "train"), CLASSES)
    recipe = test_recipe(nevent_range=(2, 3), dupse_rate=1.0)
    drawer = SceneDrawer(sources, recipe)
    fg_dir = dev_set / "sound_event" / "train"
    n_dup = 0
    for i in range(40):
        meta = drawer.draw(np.random.default_rng((3, i)))
        json.dumps(meta)  # JSON-ready, as SpAudSyn writes it
        events = meta["fg_events"]
        assert 2 <= len(events) <= 3 and len(meta["int_events"]) <= 2
        assert [e["event_time"] for e in events] == sorted(e["event_time"] for e in events)
        assert meta["config"]["foreground_dir"] == "data/dev_set/sound_event/train"
        assert all(5 <= e["snr"] <= 20 for e in events) and all(0 <= e["snr"] <= 15 for e in meta["int_events"])
        assert all(0 <= e["event_time"] <= SECONDS - e["event_duration"] for e in events)
        labels = [e["label"] for e in events]
        n_dup += len(labels) != len(set(labels))
        assert len({e["source_file"] for e in events}) == len(events)  # no file twice
        for a in range(len(events)):
            for b in range(a):
                if labels[a] == labels[b]:  # same class: > 60° apart, other speaker folder (depth 1)
                    assert _angle(events[a]["event_position"], events[b]["event_position"]) > 60.0
                    if labels[a] == "Speech":
                        assert Path(events[a]["source_file"]).parts[1] != Path(events[b]["source_file"]).parts[1]
        assert meta["bg_events"][0]["source_time"] in (0, None) or meta["bg_events"][0]["source_time"] >= 0
        assert (fg_dir / events[0]["source_file"]).is_file()
    assert n_dup == 40  # dupse_rate 1 and at least two targets: every mixture repeats a class
    # the exclusion depth: 0 forbids only the used file, 1 the used file's speaker folder
    speech = sources.targets["Speech"]
    used = [fg_dir / "Speech" / "p1" / "Speech_0.wav"]
    assert len(allowed_files(speech, fg_dir / "Speech", used, 0)) == len(speech) - 1
    assert all("p1" not in f.parts for f in allowed_files(speech, fg_dir / "Speech", used, 1))


def test_zero_target_mixtures_for_the_tagger_none_for_the_separator(dev_set):
    sources = SceneSources(split_folders(dev_set, "train"), CLASSES)
    counts = [len(SceneDrawer(sources, test_recipe(nevent_range=rng_range)).draw(
        np.random.default_rng((5, i)))["fg_events"]) for rng_range in ((0, 3), (1, 3)) for i in range(30)]
    assert 0 in counts[:30] and min(counts[30:]) >= 1 and max(counts) <= 3


def test_rendering_sets_the_official_levels(dev_set):
    meta = official_metadata()
    only_noise = {**meta, "fg_events": [], "int_events": []}
    scene = render_scene(only_noise, dev_set)
    assert scene.mixture.shape == (4, int(SECONDS * SR)) and scene.dry.shape == (0, int(SECONDS * SR))
    assert 10 * np.log10(np.mean(scene.mixture.astype(np.float64) ** 2)) == pytest.approx(-55.0, abs=1e-3)
    one = {**meta, "bg_events": [], "int_events": [], "fg_events": [dict(meta["fg_events"][0], event_time=0.0)]}
    scene = render_scene(one, dev_set)
    # the whole wet event (0.3 s + 512 response samples) lies inside the mixture: its level is ref_db + snr
    wet_len = int(0.3 * SR) + 512 - 1
    level = np.sum(scene.mixture.astype(np.float64) ** 2) / (4 * wet_len)
    assert 10 * np.log10(level) == pytest.approx(-55.0 + 12.0, abs=1e-3)
    # the dry target: the direct path of channel 0 only (a 1.0 impulse at sample 40 plus the early tail)
    assert scene.labels == ["Speech"] and np.any(scene.dry[0]) and np.all(scene.dry[0, wet_len:] == 0)
    full = render_scene(meta, dev_set)
    assert full.labels == ["Speech", "Dishes"] and np.all(np.isfinite(full.mixture))


def test_valid_json_is_read_as_the_official_code_reads_it(dev_set):
    listing = json.loads((dev_set / "metadata" / "valid.json").read_text())
    assert listing[0] == {"metadata_path": "valid/soundscape_0000.json"} and len(listing) == 3
    files = read_metadata_list(dev_set / "metadata" / "valid.json")
    assert read_metadata(files[0]) == official_metadata()
    bad = dev_set.parent / "bad.json"
    bad.write_text(json.dumps({"metadata_path": "x"}))
    with pytest.raises(DevSetError, match="list of"):
        read_metadata_list(bad)
    bad.write_text(json.dumps([{"metadata_path": "valid/missing.json"}]))
    with pytest.raises(DevSetError, match="missing"):
        read_metadata_list(bad)


def test_distributed_layout_feeds_s5eval_synth_source_dir(tmp_path):
    """``s5eval synth --source-dir`` reads sound_event/train/<Class>/ (the distributed layout) too."""
    from s5eval.labels import DCASE_CLASSES
    from s5eval.synth.api import SynthConfig, make_example

    rng = np.random.default_rng(1)
    root = tmp_path / "dev_set"
    for split in ("train", "valid"):
        for k, label in enumerate(DCASE_CLASSES):
            path = root / "sound_event" / split / label / "x" / "a.wav"
            path.parent.mkdir(parents=True)
            sf.write(str(path), _tone(rng, 200 + 50 * k, 0.3, 16000), 16000)
        write_room(root / "room_ir" / split / "r.sofa")
    ex = make_example(3, SynthConfig(seconds=0.5, source_dir=str(root), dup_rate=0.0, zero_target_rate=0.0))
    assert ex.mixture.shape == (4, 16000) and ex.targets
    assert all(t["source_id"].startswith("dev_set/sound_event/train/") for t in ex.metadata["targets"])
