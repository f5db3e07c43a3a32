"""Hostile and unlucky inputs against the command line: every one must end in a finding, never a traceback or a hang.

    python benchmarks/hostile_inputs.py [--out hostile_report.json] [--only SUBSTRING] [--timeout 60]

Each case builds its input in a fresh folder (from the conformance set in
``tests/data/conformance``), runs ``s5eval ...`` in a subprocess and checks:
the exit code is one of the expected ones, no Python traceback was printed,
the command ended within the timeout, and, where the case says so, a property
of the outputs (e.g. a stale cache entry was not served). A case *holds* when
all checks pass. The script prints one line per case, the counts tried / held /
failed per class, and exits 1 when any case failed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT / "tests" / "data" / "conformance"
OFFICIAL_ZIP = ROOT / "tests" / "data" / "official_examples" / "Nguyen_NTT_task4_1.zip"
VALID_PACKAGE = ROOT / "sample_submissions" / "valid" / "Smith_ACME_task4_1"
SAMPLE_REF = ROOT / "sample_submissions" / "ref"
QUICK = ["--workers", "1", "--bootstrap", "0", "--quiet"]


@dataclass
class Run:
    argv: list[str]
    code: int | None  # None: timed out
    output: str
    seconds: float


@dataclass
class Case:
    name: str
    family: str
    build: Callable[[Path], list[list[str]]]  # returns the command lines (only the last one is judged)
    expect: set[int]
    check: Callable[[Path, list[Run]], str | None] | None = None  # a reason when the outputs are wrong
    env: dict[str, str] = field(default_factory=dict)


# --- building blocks -------------------------------------------------------------------------------------


def ref_copy(tmp: Path) -> Path:
    ref = tmp / "ref"
    shutil.copytree(CONFORMANCE / "ref", ref)
    return ref


def sub_copy(tmp: Path) -> Path:
    sub = tmp / "sub"
    shutil.copytree(CONFORMANCE / "sub" / "eval_out", sub)
    return sub


def package_copy(tmp: Path) -> Path:
    return Path(shutil.copytree(VALID_PACKAGE, tmp / VALID_PACKAGE.name))


def first_estimate(sub: Path) -> Path:
    return sorted(sub.glob("*.wav"))[0]


def score(sub, ref, *extra) -> list[str]:
    return ["score", str(sub), "--ref", str(ref), *QUICK, *map(str, extra)]


def validate(sub, *extra) -> list[str]:
    return ["validate", str(sub), "--quiet", *map(str, extra)]


def both(case_name: str, family: str, make: Callable[[Path], tuple[Path, Path]], expect: set[int],
         validate_expect: set[int] | None = None) -> list[Case]:
    """The same hostile submission through ``validate --ref`` and ``score``."""
    return [
        Case(f"{case_name} [validate]", family, lambda t: [validate(*_swap(make(t)))], validate_expect or expect),
        Case(f"{case_name} [score]", family, lambda t: [score(*make(t))], expect),
    ]


def _swap(pair: tuple[Path, Path]) -> tuple[str, str, str]:
    sub, ref = pair
    return str(sub), "--ref", str(ref)


def wav_bytes(fmt_tag: int, channels: int, rate: int, bits: int, data: bytes, extensible_guid: bytes | None = None) -> bytes:
    block = channels * bits // 8
    if extensible_guid is None:
        fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    else:
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 4) + extensible_guid
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


PCM_GUID = bytes.fromhex("0100000000001000800000aa00389b71")
FLOAT_GUID = bytes.fromhex("0300000000001000800000aa00389b71")


# --- the cases -------------------------------------------------------------------------------------------


def cases() -> list[Case]:
    out: list[Case] = []

    # links (folders must refuse what zips refuse)
    def links_to_targets(t):
        ref = ref_copy(t)
        sub = t / "sub"
        sub.mkdir()
        for target in (ref / "oracle_target").glob("*.wav"):
            (sub / target.name).symlink_to(target)
        return sub, ref
    out += both("estimates are symlinks to the reference targets", "links", links_to_targets, {1})

    def eval_out_link(t):
        ref = ref_copy(t)
        real = sub_copy(t)
        pkg = t / "Smith_ACME_task4_1"
        pkg.mkdir()
        (pkg / "eval_out").symlink_to(real, target_is_directory=True)
        return pkg, ref
    out += both("eval_out/ is a symlink leaving the package", "links", eval_out_link, {1})

    def link_loop(t):
        ref, sub = ref_copy(t), sub_copy(t)
        (sub / "loop_0_Speech.wav").symlink_to(sub / "loop_0_Speech.wav")
        return sub, ref
    out += both("a symlink loop named like an estimate", "links", link_loop, {1})

    # non-regular files
    def fifo_estimate(t):
        ref, sub = ref_copy(t), sub_copy(t)
        os.mkfifo(sub / "soundscape_0000_2_Speech.wav")
        return sub, ref
    out += both("a FIFO named like an estimate", "special files", fifo_estimate, {1})

    def fifo_reference(t):
        ref, sub = ref_copy(t), sub_copy(t)
        os.mkfifo(ref / "oracle_target" / "soundscape_0001_1_Speech.wav")
        return sub, ref
    out += both("a FIFO named like a reference target", "special files", fifo_reference, {3})

    def folder_as_wav(t):
        ref, sub = ref_copy(t), sub_copy(t)
        (sub / "soundscape_0000_2_Speech.wav").mkdir()
        return sub, ref
    out += both("a folder named like an estimate", "special files", folder_as_wav, {1})

    # broken estimate audio
    def corrupt(transform: Callable[[Path], None]):
        def make(t):
            ref, sub = ref_copy(t), sub_copy(t)
            transform(first_estimate(sub))
            return sub, ref
        return make

    for name, transform in [
        ("truncated estimate", lambda p: p.write_bytes(p.read_bytes()[:-100])),
        ("estimate of random bytes", lambda p: p.write_bytes(np.random.default_rng(0).bytes(5000))),
        ("empty estimate file", lambda p: p.write_bytes(b"")),
        ("estimate header only", lambda p: p.write_bytes(p.read_bytes()[:44])),
        ("stereo estimate", lambda p: sf.write(p, np.zeros((6400, 2), np.float32), 32000)),
        ("estimate at 16 kHz", lambda p: sf.write(p, np.zeros(3200, np.float32), 16000)),
        ("estimate with NaN", lambda p: sf.write(p, np.full(6400, np.nan, np.float32), 32000, subtype="FLOAT")),
        ("estimate with Inf", lambda p: sf.write(p, np.full(6400, np.inf, np.float32), 32000, subtype="FLOAT")),
        ("estimate one sample short", lambda p: sf.write(p, np.zeros(6399, np.float32), 32000)),
        ("estimate of 1e18 float samples", lambda p: sf.write(p, np.full(6400, 1e18, np.float32), 32000,
                                                              subtype="FLOAT")),
        ("GSM 6.10 estimate", lambda p: sf.write(p, 0.1 * np.ones(6400, np.float32), 32000, format="WAV",
                                                 subtype="GSM610")),
        ("EXTENSIBLE 16-bit with a float SubFormat",
         lambda p: p.write_bytes(wav_bytes(0xFFFE, 1, 32000, 16, b"\x00\x01" * 6400, FLOAT_GUID))),
        ("EXTENSIBLE 16-bit PCM (legal)",
         lambda p: p.write_bytes(wav_bytes(0xFFFE, 1, 32000, 16, b"\x00\x01" * 6400, PCM_GUID))),
        ("A-law estimate", lambda p: sf.write(p, np.zeros(6400, np.float32), 32000, subtype="ALAW")),
    ]:
        legal = name in ("EXTENSIBLE 16-bit PCM (legal)", "A-law estimate", "GSM 6.10 estimate")
        validate_ok = {0} if legal else {1}
        score_ok = {0} if legal else {1}
        if name == "estimate of 1e18 float samples":  # scored as the official code does, or refused: never a crash
            validate_ok, score_ok = {0, 1}, {0, 1}
        out += both(name, "estimate audio", corrupt(transform), score_ok, validate_ok)

    # names
    def renamed(new_name: str):
        def make(t):
            ref, sub = ref_copy(t), sub_copy(t)
            first_estimate(sub).rename(sub / new_name)
            return sub, ref
        return make

    for name, new in [("unknown label", "soundscape_0000_0_Guitar.wav"),
                      ("lower-case label", "soundscape_0000_0_speech.wav"),
                      ("unknown soundscape", "soundscape_9999_0_Speech.wav"),
                      ("prefix of another soundscape", "soundscape_000_0_Speech.wav"),
                      ("non-ASCII name", "soundscape_0000_0_Spéech.wav"),
                      ("250-character name", "soundscape_0000_0_" + "x" * 230 + ".wav")]:
        out += both(name, "names", renamed(new), {1})

    def long_folder(t):
        ref = ref_copy(t)
        deep = t / ("d" * 250)
        shutil.copytree(CONFORMANCE / "sub" / "eval_out", deep)
        return deep, ref
    out += both("250-byte folder name", "names", long_folder, {0})

    # reference faults are the reference's
    def ref_fault(transform: Callable[[Path], None], folder: str):
        def make(t):
            ref, sub = ref_copy(t), sub_copy(t)
            transform(sorted((ref / folder).glob("*.wav"))[0])
            return sub, ref
        return make

    for name, transform, folder in [
        ("reference mixture holding NaN", lambda p: sf.write(p, np.full((6400, 4), np.nan, np.float32), 32000,
                                                             subtype="FLOAT"), "soundscape"),
        ("truncated reference mixture", lambda p: p.write_bytes(p.read_bytes()[:-1000]), "soundscape"),
        ("reference target holding NaN", lambda p: sf.write(p, np.full(6400, np.nan, np.float32), 32000,
                                                            subtype="FLOAT"), "oracle_target"),
        ("truncated reference target", lambda p: p.write_bytes(p.read_bytes()[:-1000]), "oracle_target"),
        ("reference target of random bytes", lambda p: p.write_bytes(b"RIFF0000WAVEjunk"), "oracle_target"),
    ]:  # validate reads the mixtures only (a set may have no targets); score must blame the reference
        out += both(name, "reference faults", ref_fault(transform, folder), {3},
                    {3} if folder == "soundscape" else {0, 3})

    # subsets.csv
    def subsets_file(text: str, in_ref: bool = True):
        def make(t):
            ref, sub = ref_copy(t), sub_copy(t)
            (ref / "subsets.csv").write_text(text, encoding="utf-8")
            return sub, ref
        return make

    for name, text, expect in [
        ("subsets.csv row naming subset 'all'", "soundscape,subset\nsoundscape_0000,all\n", {3}),
        ("subsets.csv row naming subset 'duplicate'", "soundscape,subset\nsoundscape_0000,duplicate\n", {3}),
        ("subsets.csv with a UTF-8 BOM", "\ufeffsoundscape,subset\nsoundscape_0000,ranking\n", {0}),
        ("subsets.csv with an unbalanced quote", 'soundscape,subset\n"soundscape_0000,ranking\n', {3}),
        ("subsets.csv with a missing cell", "soundscape,subset\nsoundscape_0000\n", {3}),
        ("subsets.csv with an empty subset name", "soundscape,subset\nsoundscape_0000,\n", {3}),
        ("subsets.csv naming an unknown soundscape", "soundscape,subset\nnope,ranking\n", {3}),
    ]:
        out.append(Case(name, "subsets", lambda t, m=subsets_file(text): [score(*m(t))], expect))
    out.append(Case("--subsets naming a missing file", "subsets",
                    lambda t: [score(sub_copy(t), ref_copy(t), "--subsets", t / "missing.csv")], {2}))

    # package side files
    def side_file(name: str, content: str | bytes):
        def make(t):
            pkg = package_copy(t)
            path = pkg / name
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
            return pkg
        return make

    alias_bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    meta = "Smith_ACME_task4_1.meta.yaml"
    for name, filename, content, expect in [
        ("eval_results.json with NaN", "eval_results.json", '{"nparams": NaN, "probabilities": []}', {1}),
        ("eval_results.json nested 100k deep", "eval_results.json", "[" * 100_000 + "]" * 100_000, {1}),
        ("eval_results.json with nparams 1e400", "eval_results.json", '{"nparams": 1e400, "probabilities": []}', {1}),
        ("eval_results.json with duplicate keys", "eval_results.json", '{"nparams": 1, "nparams": 2}', {1}),
        ("eval_results.json in UTF-16", "eval_results.json", '{"nparams": 1}'.encode("utf-16"), {1}),
        ("meta YAML alias bomb under the alias limit", meta, alias_bomb, {1}),
        ("meta YAML nested 10k deep", meta, "a: " + "[" * 10_000 + "]" * 10_000, {1}),
        ("meta YAML with duplicate keys", meta, "submission:\n  label: a\n  label: b\n", {1}),
        ("meta YAML with a python tag", meta, "!!python/object/apply:os.system ['echo hi']\n", {1}),
        ("dev_set_test_results.json in the eval_results layout", "dev_set_test_results.json",
         '{"nparams": 1, "probabilities": []}', {1}),
    ]:
        out.append(Case(name, "side files", lambda t, m=side_file(filename, content): [validate(m(t))], expect))

    def score_all_side(filename: str, content: str):
        def make(t):
            subs = t / "subs"
            subs.mkdir()
            pkg = Path(shutil.copytree(VALID_PACKAGE, subs / VALID_PACKAGE.name))
            (pkg / filename).write_text(content)
            return [["score-all", str(subs), "--ref", str(SAMPLE_REF), "--out", str(t / "scores"), *QUICK]]
        return make

    def scored_ok(t: Path, runs: list[Run]) -> str | None:
        return None if (t / "scores" / VALID_PACKAGE.name / "complete.json").is_file() else "the submission failed"

    for name, filename, content in [
        ("score-all: eval_results.json nested deep", "eval_results.json", "[" * 100_000 + "]" * 100_000),
        ("score-all: nparams 1e400", "eval_results.json", '{"nparams": 1e400, "probabilities": []}'),
        ("score-all: dev results nested deep", "dev_set_test_results.json", "{\"a\":" * 50_000 + "1" + "}" * 50_000),
        ("score-all: meta YAML alias bomb", meta, alias_bomb),
    ]:
        out.append(Case(name, "side files", score_all_side(filename, content), {0}, scored_ok))

    # output folders
    def out_inside_subs(t):
        subs = t / "subs"
        subs.mkdir()
        shutil.copytree(VALID_PACKAGE, subs / VALID_PACKAGE.name)
        return [["score-all", str(subs), "--ref", str(SAMPLE_REF), "--out", str(subs), *QUICK]]
    out.append(Case("score-all --out equal to the submissions folder", "output folders", out_inside_subs, {2}))

    def out_inside_package(t):
        subs = t / "subs"
        subs.mkdir()
        pkg = Path(shutil.copytree(VALID_PACKAGE, subs / VALID_PACKAGE.name))
        return [["score-all", str(subs), "--ref", str(SAMPLE_REF), "--out", str(pkg / "results"), *QUICK]]
    out.append(Case("score-all --out inside a package", "output folders", out_inside_package, {2}))

    def score_out_inside_ref(t):
        ref, sub = ref_copy(t), sub_copy(t)
        return [score(sub, ref, "--out", ref / "results")]
    out.append(Case("score --out inside the reference set", "output folders", score_out_inside_ref, {2}))

    def score_out_inside_sub(t):
        ref, sub = ref_copy(t), sub_copy(t)
        return [score(sub, ref, "--out", sub)]
    out.append(Case("score --out equal to the submission", "output folders", score_out_inside_sub, {2}))

    def out_is_file(command: str):
        def make(t):
            ref, sub = ref_copy(t), sub_copy(t)
            target = t / "taken.txt"
            target.write_text("do not overwrite")
            if command == "score":
                return [score(sub, ref, "--out", target)]
            if command == "score-all":
                subs = t / "subs"
                subs.mkdir()
                shutil.move(str(sub), subs / "sub")
                return [["score-all", str(subs), "--ref", str(ref), "--out", str(target), *QUICK]]
            if command == "leaderboard":
                return [score(sub, ref, "--out", t / "res"), ["leaderboard", str(t / "res"), "--out", str(target)]]
            inp = t / "input"
            (inp / "res").mkdir(parents=True)
            shutil.copytree(ref, inp / "ref")
            shutil.move(str(sub), inp / "res" / "sub")
            return [["codabench", str(inp), str(target)]]
        return make

    def file_untouched(t: Path, runs: list[Run]) -> str | None:
        return None if (t / "taken.txt").read_text() == "do not overwrite" else "the existing file was overwritten"

    for command in ("score", "score-all", "leaderboard", "codabench"):
        out.append(Case(f"{command} --out naming an existing file", "output folders", out_is_file(command), {2},
                        file_untouched))

    def umask_check(t: Path, runs: list[Run]) -> str | None:
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (t / "res").iterdir()}
        bad = {n: oct(m) for n, m in modes.items() if m & 0o044 != 0o044}
        return f"not world-readable under umask 022: {bad}" if bad else None

    out.append(Case("outputs follow the umask", "output folders",
                    lambda t: [score(sub_copy(t), ref_copy(t), "--out", t / "res")], {0}, umask_check))

    # caches
    def cache_damaged(content: str):
        def make(t):
            subs = t / "subs"
            subs.mkdir()
            shutil.copytree(CONFORMANCE / "sub" / "eval_out", subs / "sub")
            ref = ref_copy(t)
            command = ["score-all", str(subs), "--ref", str(ref), "--out", str(t / "scores"), *QUICK]
            subprocess.run(_argv(command), capture_output=True, timeout=300)
            for record in (t / "scores" / ".s5eval-cache").rglob("*.json"):
                if "record" in record.read_text(errors="replace")[:200]:
                    record.write_text(content)
                    break
            return [command]
        return make

    def same_as_clean(t: Path, runs: list[Run]) -> str | None:
        complete = t / "scores" / "sub" / "complete.json"
        return None if complete.is_file() else "the submission did not score after the cache was damaged"

    for name, content in [("a list", "[]"), ("a string", '"x"'), ("null", "null"), ("wrong keys", '{"a": 1}'),
                          ("a record with wrong types", '{"key": 1, "record": {"soundscape": 5}}'),
                          ("not JSON", "{{{")]:
        out.append(Case(f"a cache record replaced by {name}", "cache", cache_damaged(content), {0}, same_as_clean))

    def in_place_rewrite(t):
        subs = t / "subs"
        subs.mkdir()
        sub = Path(shutil.copytree(CONFORMANCE / "sub" / "eval_out", subs / "sub"))
        ref = ref_copy(t)
        command = ["score-all", str(subs), "--ref", str(ref), "--out", str(t / "scores"), *QUICK]
        subprocess.run(_argv(command), capture_output=True, timeout=300)
        target = sub / "soundscape_0000_Percussion.wav"
        before = target.stat()
        data, rate = sf.read(target, dtype="int16")
        sf.write(target, np.zeros_like(data), rate, subtype="PCM_16")
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        (t / "before.json").write_text((t / "scores" / "sub" / "results.json").read_text())
        return [command]

    def result_changed(t: Path, runs: list[Run]) -> str | None:
        old = json.loads((t / "before.json").read_text())["summary"]["capi_sdri"]
        new = json.loads((t / "scores" / "sub" / "results.json").read_text())["summary"]["capi_sdri"]
        return "a stale cached score was served" if old == new else None

    out.append(Case("an estimate rewritten in place with the same size and mtime", "cache", in_place_rewrite, {0},
                    result_changed))

    # zips (these held before; kept so that they keep holding)
    def zip_with(members: dict[str, bytes], name: str = "Smith_ACME_task4_1.zip"):
        def make(t):
            path = t / name
            with zipfile.ZipFile(path, "w") as archive:
                for member, data in members.items():
                    archive.writestr(member, data)
            return path, SAMPLE_REF
        return make

    for name, members in [("zip member with ../", {"../evil.wav": b"x"}),
                          ("zip member with an absolute path", {"/tmp/evil.wav": b"x"}),
                          ("empty zip", {}),
                          ("zip of a text file", {"readme.txt": b"hello"})]:
        out += both(name, "archives", zip_with(members), {1})

    def not_a_zip(t):
        path = t / "Smith_ACME_task4_1.zip"
        path.write_bytes(b"PK\x03\x04 not really")
        return path, SAMPLE_REF
    out += both("a .zip that is not a zip", "archives", not_a_zip, {1})

    def provenance_names_zip(t: Path, runs: list[Run]) -> str | None:
        results = json.loads((t / "res" / "results.json").read_text())
        return None if results["provenance"]["submission"].endswith(".zip") else \
            f"provenance names {results['provenance']['submission']}"

    def zip_scored(t):
        path = t / OFFICIAL_ZIP.name
        shutil.copy(OFFICIAL_ZIP, path)
        return [["score", str(path), "--ref", str(CONFORMANCE / "ref"), "--out", str(t / "res"), *QUICK, "--force"]]
    out.append(Case("provenance of a zip names the zip", "archives", zip_scored, {0, 1}, provenance_names_zip))

    # determinism
    def two_seeds(t):
        ref, sub = ref_copy(t), sub_copy(t)
        return [score(sub, ref, "--out", t / "a", "--metric", "ca-sdri"),
                score(sub, ref, "--out", t / "b", "--metric", "ca-sdri")]

    def identical(t: Path, runs: list[Run]) -> str | None:
        for name in ("per_mixture.csv", "per_source.csv"):
            if (t / "a" / name).read_bytes() != (t / "b" / name).read_bytes():
                return f"{name} differs between PYTHONHASHSEED 1 and 2"
        a = json.loads((t / "a" / "results.json").read_text())
        b = json.loads((t / "b" / "results.json").read_text())
        a["provenance"].pop("reference"), b["provenance"].pop("reference")
        return None if a == b else "results.json differs between PYTHONHASHSEED 1 and 2"

    out.append(Case("outputs do not depend on the hash seed", "determinism", two_seeds, {0}, identical))

    # a real full disk: a small tmpfs (needs root; skipped elsewhere)
    def full_disk_score(t):
        disk = tiny_disk(t, "16k")
        return [score(sub_copy(t), ref_copy(t), "--out", disk / "res")]
    out.append(Case("score --out on a full disk", "full disk", full_disk_score, {2}))

    def full_disk_keeps_result(t):
        disk = tiny_disk(t, "4m")
        subs = t / "subs"
        subs.mkdir()
        sub = Path(shutil.copytree(CONFORMANCE / "sub" / "eval_out", subs / "sub"))
        ref = ref_copy(t)
        command = ["score-all", str(subs), "--ref", str(ref), "--out", str(disk / "scores"), "--cache",
                   str(t / "cache"), *QUICK]
        subprocess.run(_argv(command), capture_output=True, timeout=300)
        (t / "before.json").write_bytes((disk / "scores" / "sub" / "results.json").read_bytes())
        with open(disk / "filler", "wb") as filler:  # fill what is left
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        sf.write(sub / "soundscape_0000_Percussion.wav", np.zeros(6400, np.float32), 32000)
        return [command]

    def earlier_result_kept(t: Path, runs: list[Run]) -> str | None:
        folder = t / "disk" / "scores" / "sub"
        if not (folder / "complete.json").is_file():
            return "the earlier complete result was removed"
        if (folder / "results.json").read_bytes() != (t / "before.json").read_bytes():
            return "results.json changed although the new result could not be written"
        return None

    out.append(Case("score-all on a full disk keeps the earlier complete result", "full disk",
                    full_disk_keeps_result, {2}, earlier_result_kept))
    return out


class Skip(Exception):
    """A case this machine cannot build (e.g. no permission to mount a small file system)."""


MOUNTS: list[Path] = []


def tiny_disk(t: Path, size: str) -> Path:
    """A tmpfs of ``size`` at ``t/disk``, unmounted after the case."""
    disk = t / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True)
    if done.returncode != 0:
        raise Skip("cannot mount a small file system here (needs root)")
    MOUNTS.append(disk)
    return disk


def unmount_all() -> None:
    while MOUNTS:
        subprocess.run(["umount", str(MOUNTS.pop())], capture_output=True)


# --- running -----------------------------------------------------------------------------------------------


def _argv(command: list[str]) -> list[str]:
    return [sys.executable, "-c", "from s5eval.cli import main; main()", *command]


def run_case(case: Case, tmp: Path, timeout: float) -> tuple[bool, str, list[Run]]:
    commands = case.build(tmp)
    runs: list[Run] = []
    for i, command in enumerate(commands):
        env = dict(os.environ, **case.env)
        if case.family == "determinism":
            env["PYTHONHASHSEED"] = str(i + 1)
        started = time.perf_counter()
        old_umask = os.umask(0o022)
        try:
            done = subprocess.run(_argv(command), capture_output=True, text=True, timeout=timeout, env=env,
                                  stdin=subprocess.DEVNULL)
            runs.append(Run(command, done.returncode, done.stdout + done.stderr, time.perf_counter() - started))
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            runs.append(Run(command, None, output, timeout))
        finally:
            os.umask(old_umask)
    last = runs[-1]
    if last.code is None:
        return False, f"hung (killed after {timeout:.0f} s)", runs
    tracebacks = [r for r in runs if "Traceback (most recent call last)" in r.output]
    if tracebacks:
        return False, "traceback: " + tracebacks[0].output.strip().splitlines()[-1][:160], runs
    if last.code not in case.expect:
        first = next((line for line in last.output.splitlines() if line.strip()), "")
        return False, f"exit {last.code}, expected {sorted(case.expect)}: {first[:160]}", runs
    if case.check is not None:
        why = case.check(tmp, runs)
        if why:
            return False, why, runs
    return True, f"exit {last.code}", runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Write every case and its outcome to this JSON file.")
    parser.add_argument("--only", default=None, help="Run only the cases whose name or class contains this.")
    parser.add_argument("--timeout", type=float, default=60.0, help="Seconds before a command counts as hung.")
    args = parser.parse_args()
    selected = [c for c in cases() if not args.only or args.only in c.name or args.only in c.family]
    results = []
    tried, held, skipped = Counter(), Counter(), Counter()
    started = time.perf_counter()
    for case in selected:
        tmp = Path(tempfile.mkdtemp(prefix="s5eval-hostile-"))
        try:
            ok, why, runs = run_case(case, tmp, args.timeout)
        except Skip as exc:
            skipped[case.family] += 1
            print(f"skip   [{case.family}] {case.name}: {exc}", flush=True)
            continue
        except Exception as exc:  # a broken case builder is a failure of this script, shown as such
            ok, why, runs = False, f"case could not be built: {type(exc).__name__}: {exc}", []
        finally:
            unmount_all()
            shutil.rmtree(tmp, ignore_errors=True)
        tried[case.family] += 1
        held[case.family] += ok
        print(f"{'held  ' if ok else 'FAILED'} [{case.family}] {case.name}: {why}", flush=True)
        results.append({"name": case.name, "class": case.family, "held": ok, "why": why,
                        "seconds": round(sum(r.seconds for r in runs), 2)})
    print()
    print(f"{'class':<20} {'tried':>6} {'held':>6} {'failed':>7}")
    for family in tried:
        print(f"{family:<20} {tried[family]:>6} {held[family]:>6} {tried[family] - held[family]:>7}")
    total_tried, total_held = sum(tried.values()), sum(held.values())
    print(f"{'all':<20} {total_tried:>6} {total_held:>6} {total_tried - total_held:>7}   "
          f"({time.perf_counter() - started:.0f} s)" + (f"; {sum(skipped.values())} skipped" if skipped else ""))
    if args.out:
        args.out.write_text(json.dumps({"tried": total_tried, "held": total_held, "cases": results}, indent=2))
    return 0 if total_held == total_tried else 1


if __name__ == "__main__":
    sys.exit(main())
