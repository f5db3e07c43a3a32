"""`score`'s reference cache: the figures that depend on the reference set alone, kept between runs.

Same numbers with and without it, no mixture file read on a repeated run, never a stale entry (a changed,
added or removed file is recomputed), a cache that cannot be written or is damaged is harmless.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import s5eval.scoring.mixture as mixture_module
import s5eval.validate.audio as audio_checks
from s5eval.cli import cli
from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.run import run_score
from s5fixtures import make_case, write_wav

MIXTURES = {"mix_00": ["Speech", "Dishes"], "mix_01": ["Speech", "Speech"], "mix_02": [], "mix_03": ["Blender"],
            "mix_04": ["Dishes", "Blender", "Speech"]}
ESTIMATED = {"mix_00": ["Speech"], "mix_03": ["Blender"], "mix_04": ["Dishes", "Blender", "Speech"],
             "mix_01": ["Speech", "Speech"]}
CONFIG = ScoreConfig(workers=1, n_resamples=50)


@pytest.fixture
def case(tmp_path):
    ref, sub = make_case(tmp_path / "case", MIXTURES, seed=3, est_labels=ESTIMATED)
    return ref, sub, tmp_path / "cache"


def _reads(monkeypatch) -> list[str]:
    """Every audio file the run reads (samples or header), recorded (inline scoring: workers=1)."""
    seen: list[str] = []
    real_read, real_problem = mixture_module.read_audio, audio_checks.mixture_problem

    def read_audio(path, *args, **kwargs):
        seen.append(str(path))
        return real_read(path, *args, **kwargs)

    def mixture_problem(path, *args, **kwargs):
        seen.append(str(path))
        return real_problem(path, *args, **kwargs)

    monkeypatch.setattr(mixture_module, "read_audio", read_audio)
    monkeypatch.setattr(audio_checks, "mixture_problem", mixture_problem)
    return seen


def test_same_numbers_and_no_mixture_read_on_a_repeated_run(case, monkeypatch):
    ref, sub, cache = case
    plain = run_score(sub, ref, CONFIG)
    first = run_score(sub, ref, CONFIG, reference_cache=cache)
    assert first.reference_cache["known"] == 0 and first.reference_cache["stored"] == len(MIXTURES)
    seen = _reads(monkeypatch)
    second = run_score(sub, ref, CONFIG, reference_cache=cache)
    assert second.reference_cache["known"] == len(MIXTURES) and second.reference_cache["stored"] == 0
    assert plain.results["subsets"] == first.results["subsets"] == second.results["subsets"]
    assert [r.capi_sdri for r in plain.records] == [r.capi_sdri for r in second.records]
    assert [r.sources for r in plain.records] == [r.sources for r in second.records]
    assert not [p for p in seen if "soundscape" in Path(p).parts], "a mixture file was read"
    read_targets = {Path(p).name for p in seen if "oracle_target" in Path(p).parts}
    # only the targets of classes that an estimate of the same mixture has
    assert read_targets == {"mix_00_0_Speech.wav", "mix_01_0_Speech.wav", "mix_01_1_Speech.wav",
                            "mix_03_0_Blender.wav", "mix_04_0_Dishes.wav", "mix_04_1_Blender.wav",
                            "mix_04_2_Speech.wav"}


def test_a_changed_file_is_never_served_stale(case):
    ref, sub, cache = case
    run_score(sub, ref, CONFIG, reference_cache=cache)
    # rewrite one target with other samples, one mixture with the same bytes: both keys change
    target = ref / "oracle_target" / "mix_04_1_Blender.wav"
    write_wav(target, 0.1 * np.random.default_rng(9).standard_normal(_frames(target)).astype(np.float32))
    mixture = ref / "soundscape" / "mix_00.wav"
    mixture.write_bytes(mixture.read_bytes())
    again = run_score(sub, ref, CONFIG, reference_cache=cache)
    assert again.reference_cache["known"] == len(MIXTURES) - 2 and again.reference_cache["stored"] == 2
    plain = run_score(sub, ref, CONFIG)
    assert again.results["subsets"] == plain.results["subsets"]
    # a target added to a mixture changes its key too
    shutil.copy(ref / "oracle_target" / "mix_03_0_Blender.wav", ref / "oracle_target" / "mix_03_1_Dishes.wav")
    third = run_score(sub, ref, CONFIG, reference_cache=cache)
    assert third.reference_cache["known"] == len(MIXTURES) - 1
    assert third.results["subsets"] == run_score(sub, ref, CONFIG).results["subsets"]


def _frames(path: Path) -> int:
    import soundfile as sf

    return sf.info(str(path)).frames


def test_damaged_or_unwritable_cache_is_harmless(case):
    ref, sub, cache = case
    plain = run_score(sub, ref, CONFIG)
    run_score(sub, ref, CONFIG, reference_cache=cache)
    (store,) = (cache / "references").iterdir()
    data = json.loads(store.read_text())
    name = sorted(data["mixtures"])[1]
    data["mixtures"][name]["target_energies"] = ["x"]  # wrong type: ignored, recomputed
    data["mixtures"][sorted(data["mixtures"])[2]]["frames"] = -5
    with_target = data["mixtures"][sorted(data["mixtures"])[3]]
    with_target["target_energies"] = [10 ** 400] * len(with_target["target_energies"])  # beyond any float
    assert with_target["target_energies"]
    store.write_text(json.dumps(data))
    damaged = run_score(sub, ref, CONFIG, reference_cache=cache)
    assert damaged.reference_cache["known"] == len(MIXTURES) - 3
    assert damaged.results["subsets"] == plain.results["subsets"]
    store.write_text("{not json")
    assert run_score(sub, ref, CONFIG, reference_cache=cache).results["subsets"] == plain.results["subsets"]
    blocked = cache.parent / "a_file"
    blocked.write_text("not a folder")
    assert run_score(sub, ref, CONFIG, reference_cache=blocked).results["subsets"] == plain.results["subsets"]


def test_read_only_reference_set(case):
    ref, sub, cache = case
    for path in sorted(ref.rglob("*"), reverse=True):
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    try:
        run_score(sub, ref, CONFIG, reference_cache=cache)
        assert run_score(sub, ref, CONFIG, reference_cache=cache).reference_cache["known"] == len(MIXTURES)
    finally:
        for path in sorted(ref.rglob("*")):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)


def test_command_line_cache_dir_no_cache_and_environment(case, tmp_path):
    ref, sub, cache = case
    args = ["score", str(sub), "--ref", str(ref), "--workers", "1", "--bootstrap", "20", "--json"]
    runner = CliRunner()
    explicit = runner.invoke(cli, args + ["--cache-dir", str(cache)])
    assert explicit.exit_code == 0, explicit.output
    assert len(list((cache / "references").iterdir())) == 1
    env_cache = Path(os.environ["S5EVAL_CACHE_DIR"])
    assert runner.invoke(cli, args).exit_code == 0
    assert len(list((env_cache / "references").iterdir())) == 1
    elsewhere = tmp_path / "elsewhere"
    result = runner.invoke(cli, args + ["--no-cache", "--cache-dir", str(elsewhere)])
    assert result.exit_code == 0 and not elsewhere.exists()
    assert json.loads(result.output)["summary"] == json.loads(explicit.output)["summary"]


def test_saving_keeps_what_another_run_stored_meanwhile(case):
    """A store lets go of the entries it read once it has served them; saving reads the file again, so the
    figures another run stored in the meantime are kept next to this run's."""
    from s5eval.io.refset import load_reference_set
    from s5eval.labels import resolve_label_set
    from s5eval.results.record import ReferenceFacts
    from s5eval.scoring.reference_cache import ReferenceFactsStore

    ref, _, cache = case
    reference = load_reference_set(ref, resolve_label_set(None))
    first, second = ReferenceFactsStore(cache, reference), ReferenceFactsStore(cache, reference)
    assert first.known(reference.names) == {} == second.known(reference.names)

    def facts(name: str) -> ReferenceFacts:
        n = len(reference.mixtures[name].targets)
        return ReferenceFacts((), 8000, 32000, (1.0,) * n, (2.0,) * n)

    second.put("mix_01", facts("mix_01"))
    second.save()
    first.put("mix_03", facts("mix_03"))
    first.save()
    assert set(ReferenceFactsStore(cache, reference).known(reference.names)) == {"mix_01", "mix_03"}


def test_the_store_file_is_the_json_of_the_whole_store(case):
    """Written entry by entry, the file is byte for byte what one json.dumps of the store would write."""
    ref, sub, cache = case
    run_score(sub, ref, CONFIG, reference_cache=cache)
    (path,) = (cache / "references").iterdir()
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), separators=(",", ":"))
    stored = json.loads(text)
    assert list(stored) == ["format", "reference", "mixtures"] and list(stored["mixtures"]) == sorted(MIXTURES)
    assert all(list(entry) == ["key", "frames", "samplerate", "target_energies", "mixture_error_energies"]
               for entry in stored["mixtures"].values())
