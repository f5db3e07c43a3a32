"""``--source-dir`` with measured rooms: the dev set's ``room_ir/*.sofa`` replace the simulated rooms."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from s5eval.cli import cli
from s5eval.labels import DCASE_CLASSES
from s5eval.synth import rooms
from s5eval.synth.api import SynthConfig, make_example
from s5eval.synth.devset import DevSetError
from s5eval.synth.sofa_rooms import load_room

sofar = pytest.importorskip("sofar")

SR = 32000
# 8 directions on the horizon every 45°, 4 at 40° elevation between them
DIRECTIONS = [(float(a), 0.0) for a in range(-180, 180, 45)] + [(float(a), 40.0) for a in (-135, -45, 45, 135)]


def _foa_ir(directions, distances, n, sr, receivers=4, seed=0) -> np.ndarray:
    """Ideal FOA responses (W, Y, Z, X): a direct-path impulse plus a small decaying diffuse tail."""
    rng = np.random.default_rng(seed)
    ir = np.zeros((len(directions), receivers, n))
    t = np.arange(n) / sr
    for m, ((az, el), dist) in enumerate(zip(directions, distances)):
        gains = np.array([1.0, *rooms.direction_vector(az, el)[[1, 2, 0]]])[:receivers]
        delay = int(round(dist / 343.0 * sr)) + 8
        ir[m, :, delay] = gains / dist
        tail = 0.004 * rng.standard_normal((receivers, n)) * np.exp(-t / 0.05)
        tail[:, : delay + int(0.01 * sr)] = 0.0
        ir[m] += tail
    return ir


def write_sofa(path, directions=DIRECTIONS, receivers=4, n=2048, sr=SR, convention="SingleRoomSRIR",
               cartesian=False, listener=(0.0, 0.0, 0.0)):
    m = len(directions)
    distances = [1.0 + 0.25 * (k % 3) for k in range(m)]
    sofa = sofar.Sofa(convention)
    sofa.Data_IR = _foa_ir(directions, distances, n, sr, receivers)
    sofa.Data_SamplingRate = sr
    if cartesian:
        xyz = np.stack([rooms.direction_vector(az, el) * d for (az, el), d in zip(directions, distances)])
        sofa.SourcePosition = xyz + np.asarray(listener)
        sofa.SourcePosition_Type, sofa.SourcePosition_Units = "cartesian", "metre"
    else:
        sofa.SourcePosition = np.array([[az, el, d] for (az, el), d in zip(directions, distances)])
        sofa.SourcePosition_Type, sofa.SourcePosition_Units = "spherical", "degree, degree, metre"
    if convention == "SingleRoomSRIR":
        sofa.ListenerPosition = np.tile(np.asarray(listener, dtype=float), (m, 1))
        sofa.delete("ReceiverDescriptions")
        sofa.delete("EmitterDescriptions")
        sofa.ReceiverPosition = np.zeros((receivers, 3, 1))
        sofa.ReceiverView = np.tile([[1.0], [0.0], [0.0]], (receivers, 1, 1))
        sofa.ReceiverUp = np.tile([[0.0], [0.0], [1.0]], (receivers, 1, 1))
        sofa.MeasurementDate = np.zeros(m)
    else:
        sofa.ListenerPosition = np.asarray([listener], dtype=float)
        sofa.ReceiverPosition = np.zeros((receivers, 3))
    sofa.Data_Delay = np.zeros((1, receivers))
    sofar.write_sofa(str(path), sofa)
    return distances


def make_dev_set(root, sofa=True):
    rng = np.random.default_rng(0)
    for label in DCASE_CLASSES:
        (root / "sound_event" / label).mkdir(parents=True)
        sf.write(str(root / "sound_event" / label / f"{label}_a.wav"), 0.1 * rng.standard_normal(8000), 16000)
    (root / "interference" / "Door").mkdir(parents=True)
    sf.write(str(root / "interference" / "Door" / "door.wav"), 0.1 * rng.standard_normal(8000), 16000)
    (root / "noise").mkdir()
    sf.write(str(root / "noise" / "hall.wav"), 0.01 * rng.standard_normal((40000, 4)), SR)
    if sofa:
        (root / "room_ir").mkdir()
        write_sofa(root / "room_ir" / "room.sofa")
    return root


@pytest.fixture(scope="module")
def dev_set(tmp_path_factory):
    return make_dev_set(tmp_path_factory.mktemp("dev") / "dev_set")


@pytest.fixture(scope="module")
def examples(dev_set):
    config = SynthConfig(seconds=1.0, source_dir=str(dev_set), dup_rate=0.6, zero_target_rate=0.0)
    return [make_example(seed, config) for seed in range(12)]


def _measured():
    return {(az, el) for az, el in DIRECTIONS}


def test_rooms_come_from_the_sofa_file_at_measured_positions(examples):
    distances = dict(zip(DIRECTIONS, [1.0 + 0.25 * (k % 3) for k in range(len(DIRECTIONS))]))
    n_sources = 0
    for ex in examples:
        meta = ex.metadata
        assert meta["rooms"] == "sofa"
        assert meta["room"]["model"] == "sofa" and meta["room"]["file"] == "room_ir/room.sofa"
        assert meta["room"]["n_positions"] == len(DIRECTIONS)
        for source in meta["targets"] + meta["interferers"]:
            direction = (source["azimuth_deg"], source["elevation_deg"])
            assert direction in _measured(), direction
            assert source["distance_m"] == pytest.approx(distances[direction])
            assert source["room_file"] == "room_ir/room.sofa"
            assert DIRECTIONS[source["measurement"]] == direction
            n_sources += 1
    assert n_sources > 12


def test_spatialisation_follows_the_measured_direction(examples):
    """The wet target's channel ratios at the direct path are the ideal FOA gains of the measured direction."""
    for ex in examples:
        parts = dict(ex.parts)
        for meta in ex.metadata["targets"]:
            wet = parts[f"target:{meta['index']}:{meta['label']}"].astype(np.float64)
            ratios = [float(wet[ch] @ wet[0] / (wet[0] @ wet[0])) for ch in (1, 2, 3)]
            az, el = np.deg2rad(meta["azimuth_deg"]), np.deg2rad(meta["elevation_deg"])
            expected = [np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)]
            np.testing.assert_allclose(ratios, expected, atol=0.1)


def test_same_class_targets_are_60_degrees_apart_as_measured(examples):
    dups = 0
    for ex in examples:
        targets = ex.metadata["targets"]
        for i, a in enumerate(targets):
            for b in targets[:i]:
                if a["label"] == b["label"]:
                    dups += 1
                    sep = rooms.angular_distance_deg((a["azimuth_deg"], a["elevation_deg"]),
                                                     (b["azimuth_deg"], b["elevation_deg"]))
                    assert sep >= 60.0 - 1e-6
    assert dups > 0


def test_mixture_is_the_sum_of_parts_and_dry_target_is_the_direct_path(examples):
    for ex in examples:
        rebuilt = np.sum([part.astype(np.float64) for _, part in ex.parts], axis=0)
        np.testing.assert_allclose(rebuilt, ex.mixture, atol=1e-6)
        parts = dict(ex.parts)
        for k, (label, dry) in enumerate(ex.targets):
            wet0 = parts[f"target:{k}:{label}"][0].astype(np.float64)
            residual = np.sum((wet0 - dry) ** 2) / np.sum(wet0**2)
            assert 1e-6 < residual < 0.5


def test_a_room_grid_that_cannot_separate_same_class_targets_is_an_error(tmp_path):
    dev = make_dev_set(tmp_path / "dev", sofa=False)
    (dev / "room_ir").mkdir()
    write_sofa(dev / "room_ir" / "narrow.sofa", directions=[(0.0, 0.0), (20.0, 0.0), (40.0, 10.0)])
    config = SynthConfig(seconds=0.5, source_dir=str(dev), dup_rate=1.0, zero_target_rate=0.0)
    with pytest.raises(DevSetError, match="narrow.sofa.*60° apart"):
        make_example(0, config)


@pytest.mark.parametrize("convention", ["SingleRoomSRIR", "GeneralFIR"])
def test_cartesian_positions_relative_to_the_listener_and_resampling(tmp_path, convention):
    path = tmp_path / "r.sofa"
    distances = write_sofa(path, convention=convention, cartesian=True, listener=(2.0, 1.5, 1.2), sr=16000, n=1024)
    room = load_room(path, 0, "room_ir/r.sofa")
    assert room.samplerate == 16000 and room.ir.shape == (len(DIRECTIONS), 4, 1024)
    for (az, el), d, pos in zip(DIRECTIONS, distances, room.positions):
        assert rooms.angular_distance_deg((az, el), (pos[0], pos[1])) < 1e-4
        assert pos[2] == pytest.approx(d)
    assert room.response(3, 32000).shape == (4, 2048)


def test_synth_command_with_sofa_rooms_is_worker_independent(dev_set, tmp_path):
    runner = CliRunner()
    args = ["--n", "4", "--seconds", "1", "--seed", "3", "--quiet", "--source-dir", str(dev_set)]
    one = runner.invoke(cli, ["synth", str(tmp_path / "a"), *args, "--workers", "1"])
    two = runner.invoke(cli, ["synth", str(tmp_path / "b"), *args, "--workers", "2"])
    assert one.exit_code == 0, one.output
    assert two.exit_code == 0, two.output
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for rel in files:
        if rel.name != "synth.json":
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert json.loads((tmp_path / "a" / "synth.json").read_text())["rooms"] == "sofa"
    meta = json.loads((tmp_path / "a" / "metadata" / "soundscape_0000.json").read_text())
    assert meta["rooms"] == "sofa" and meta["room"]["file"] == "room_ir/room.sofa"


def test_without_room_ir_the_rooms_are_simulated_and_say_so(tmp_path):
    dev = make_dev_set(tmp_path / "dev", sofa=False)
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "o"), "--n", "1", "--seconds", "0.5", "--quiet",
                                      "--workers", "1", "--source-dir", str(dev)])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "o" / "synth.json").read_text())["rooms"] == "simulated"
    meta = json.loads((tmp_path / "o" / "metadata" / "soundscape_0000.json").read_text())
    assert meta["rooms"] == "simulated" and meta["room"]["model"] == "pyroomacoustics-ism-foa"


def _bad_two_receivers(path):
    write_sofa(path, receivers=2)


def _bad_corrupt(path):
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00garbage" * 64)


def _bad_not_sofa(path):
    path.with_suffix(".txt").write_text("no SOFA here")


@pytest.mark.parametrize("damage,expected", [(_bad_two_receivers, "2 receivers"),
                                             (_bad_corrupt, "not a readable SOFA file"),
                                             (_bad_not_sofa, "holds no .sofa files")])
def test_unusable_sofa_files_are_one_line_findings(tmp_path, damage, expected):
    dev = make_dev_set(tmp_path / "dev", sofa=False)
    (dev / "room_ir").mkdir()
    damage(dev / "room_ir" / "bad.sofa")
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "o"), "--n", "1", "--seconds", "0.5",
                                      "--workers", "1", "--source-dir", str(dev)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "E_SYNTH_SOURCE_DIR" in line]
    assert len(lines) == 1 and "room_ir" in lines[0] and expected in lines[0], result.output


def test_missing_sofar_is_a_finding_naming_the_extra(tmp_path, monkeypatch):
    dev = make_dev_set(tmp_path / "dev")
    monkeypatch.setitem(sys.modules, "sofar", None)  # import sofar now raises ImportError
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "o"), "--n", "1", "--seconds", "0.5",
                                      "--workers", "1", "--source-dir", str(dev)])
    assert result.exit_code == 2, result.output
    assert "E_SYNTH_DEPENDENCY" in result.output and 'pip install "s5eval[synth]"' in result.output
