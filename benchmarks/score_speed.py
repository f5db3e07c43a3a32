"""Speed of `s5eval score` against the official DCASE 2026 scorer and against reading the samples.

Generates N ten-second 4-channel 32 kHz PCM16 mixtures with 1-3 targets and
1-3 estimates each (some same-class duplicates), and a view of them at the
size of the DCASE evaluation set (2,567 mixtures by default: the same files
under new names, hard links, so the page cache holds them all). Then runs, in
interleaved rounds (round r runs every configuration once, in the same order,
both sizes; best and median over the rounds are reported):

* the official scorer, in one of two modes (`--official-mode`):

  - `evaluator`: the official evaluation itself, end to end and unmodified:
    `python -m src.evaluation.evaluate -c CONFIG --cpu --result_dir DIR`, that
    is `Evaluator(CONFIG, result_dir=DIR, batch_size=2, use_cpu=True).evaluate()`
    (the official default batch size, so its torch DataLoader reads with
    `num_workers = 2 x 2` worker processes, librosa loads), run in a temporary
    working copy of the official repository (`git archive` of `--official-repo`)
    with SpAudSyn's `src` placed in `src/modules/spatial_audio_synthesizer` as
    the official README instructs (its dataset module imports it;
    `--spaudsyn-repo`). CONFIG is the official
    `src/evaluation/eval_configs/m2dat_4c_resunetk.yaml` with its dataset
    pointed at the benchmark's data: `soundscape_dir` = REF/soundscape,
    `oracle_target_dir` = REF/oracle_target and `estimate_target_dir` = the
    submission (the generated files already have the official folder layout
    and names `<soundscape>.wav`, `<soundscape>_<n>_<label>.wav`, with labels of
    its label set, so no view of them is needed; the model section is kept and
    not loaded: with `estimate_target_dir` the Evaluator scores the files).
    Its CAPI-SDRi mean is read from the result JSON it writes. One untimed run
    first (byte-compilation and numba caches of a fresh install are not timed);
  - `metric` (the default; the lean reproduction, the pure metric cost): the
    metric class of the official 2026 baseline (`S5ClassAwareMetric` of `src/evaluation/metrics/s5capi_metric.py`, loaded at
    run time from a clone of https://github.com/nttcslab/dcase2026_task4_baseline,
    never copied into this repository) driven as `src/evaluation/evaluate.py`
    drives it: the files listed and matched as `DatasetS3` (waveform mode) does,
    every mixture, target and estimate read as float32 (`librosa.load(sr=None)`
    there, which reads through soundfile; soundfile here), targets and estimates
    padded with "silence" to n_sources = 3, torch CPU tensors, one `update` per
    mixture and the final `compute`. One process (the official `evaluate.py` also
    reads through a DataLoader with 2 x batch-size worker processes; not done
    here).

  Timed end to end in a subprocess (interpreter, imports, listing, reading,
  scoring); its mean must equal `s5eval score`'s CAPI-SDRi within 1e-4 dB, else
  the script fails;
* `s5eval score` end to end (`python -m s5eval.cli score ... --quiet --out DIR`:
  interpreter start, imports, discovery, header checks, scoring, 1000 bootstrap
  resamples, all outputs) with 1 and 2 workers, with a cold reference cache
  (`--cache-dir` an empty folder, deleted before each run) and a warm one (a
  folder filled by an earlier, untimed run: then s5eval reads no mixture file);
* read time: reading the int16 samples of exactly the files a run must read, in
  one process, from the page cache (cold cache: every mixture, target and
  estimate; warm cache: the estimates, and the targets whose class some
  estimate of the same mixture has). Twice: `numpy.fromfile` of the RIFF `data`
  chunk (the bare read) and `soundfile.read(dtype="int16")`.

After the rounds, at the large size, the scoring phase alone (best of 3, each
in a fresh interpreter): `run_score` in process, timed from the start of its
scoring (the pool created, or the first inline job) to the last record, the
header checks included, without start-up, discovery, the results and the
output files; 1 and 2 workers, cold and warm cache. It shows how far the
scoring itself scales with workers. One worker scores in the main process,
which reads its files; pool workers map them (a copy of every byte saved), so
the phase is also timed with one pool worker: the like-for-like ratio.

Peak RSS is GNU time's `%M` (the largest process). Every subprocess gets
`S5EVAL_CACHE_DIR` set to a folder of the benchmark's own, so the user's cache
is never read or written.

`--only-official` times the official scorer alone (the untimed `s5eval score`
runs that fill the warm caches still give the CAPI-SDRi it is checked against).

Needs torch and torchmetrics (benchmark-only dependencies: `pip install torch
torchmetrics`) and a clone of the official repository (a work tree or a bare
mirror: `--official-repo PATH`, default `$S5EVAL_OFFICIAL_REPO`, else
`/work/.mirror/nttcslab+dcase2026_task4_baseline/repo`). `--official-mode
evaluator` also needs what the official evaluation imports, benchmark-only
dependencies never added to pyproject.toml (`pip install librosa tqdm pytz
python-sofa`; pyyaml and scipy are s5eval's own), and a clone of
https://github.com/nttcslab/SpAudSyn (`--spaudsyn-repo PATH`, default
`$S5EVAL_SPAUDSYN_REPO`, else `/work/.mirror/nttcslab+SpAudSyn/repo`); the
script exits with a message naming what is missing.

Usage: python benchmarks/score_speed.py [--n 300] [--eval-size 2567] [--rounds 3] [--official-rounds K]
                                        [--official-mode metric|evaluator] [--only-official]
                                        [--official-repo PATH] [--spaudsyn-repo PATH] [--keep DIR]
Prints a Markdown table and the ratios against each target.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 32000
CLASSES = ["Speech", "Dishes", "Typing", "Doorbell", "Blender", "Cough"]
OFFICIAL_METRIC = "src/evaluation/metrics/s5capi_metric.py"
OFFICIAL_N_SOURCES = 3  # n_sources of the official eval configs (src/evaluation/eval_configs/*.yaml)
DEFAULT_OFFICIAL_REPO = "/work/.mirror/nttcslab+dcase2026_task4_baseline/repo"
DEFAULT_SPAUDSYN_REPO = "/work/.mirror/nttcslab+SpAudSyn/repo"
OFFICIAL_CONFIG = "src/evaluation/eval_configs/m2dat_4c_resunetk.yaml"  # the dev-set config: it has oracle targets
OFFICIAL_SYNTH = "src/modules/spatial_audio_synthesizer"  # where the official README places SpAudSyn's src
# modules the official evaluation imports that s5eval does not need -> their pip names (benchmark-only)
EVALUATOR_MODULES = {"torch": "torch", "torchmetrics": "torchmetrics", "librosa": "librosa", "tqdm": "tqdm",
                     "pytz": "pytz", "sofa": "python-sofa", "yaml": "pyyaml", "scipy": "scipy"}
RSS_FLAT = 1.10  # "flat": peak RSS at the large size at most 10 % above the small size's


# ---------------------------------------------------------------- data (also used by score_all_speed.py)

def generate(root: Path, n: int, seconds: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    length = int(seconds * RATE)
    (root / "ref" / "soundscape").mkdir(parents=True)
    (root / "ref" / "oracle_target").mkdir(parents=True)
    (root / "sub").mkdir()
    for m in range(n):
        mix = f"soundscape_{m:04d}"
        n_ref = int(rng.integers(1, 4))
        labels = list(rng.choice(CLASSES[:3] if m % 3 == 0 else CLASSES, size=n_ref))
        targets = [(0.1 * rng.standard_normal(length)).astype(np.float32) for _ in labels]
        channel0 = np.sum(targets, axis=0) + 0.02 * rng.standard_normal(length)
        foa = np.stack([channel0, 0.7 * channel0, -0.5 * channel0, 0.3 * channel0], axis=1)
        sf.write(root / "ref" / "soundscape" / f"{mix}.wav", np.clip(foa, -1, 1), RATE, subtype="PCM_16")
        for i, (label, target) in enumerate(zip(labels, targets)):
            sf.write(root / "ref" / "oracle_target" / f"{mix}_{i}_{label}.wav", target, RATE, subtype="PCM_16")
        n_est = int(rng.integers(1, 4))
        for i in range(n_est):
            label = labels[i] if i < len(labels) and rng.random() < 0.8 else str(rng.choice(CLASSES))
            base = targets[i] if i < len(targets) else np.zeros(length, np.float32)
            est = base + 0.03 * rng.standard_normal(length)
            sf.write(root / "sub" / f"{mix}_{i}_{label}.wav", np.clip(est, -1, 1), RATE, subtype="PCM_16")


def replicated_view(root: Path, n_total: int) -> Path:
    """``n_total`` mixtures under new names, each file a hard link to a generated mixture's file."""
    view = root / f"replicated_{n_total}"
    if view.exists():
        return view
    sources = sorted(p.stem for p in (root / "ref" / "soundscape").glob("*.wav"))
    files: dict[str, dict[str, list[Path]]] = {m: {"ref/oracle_target": [], "sub": []} for m in sources}
    for folder in ("ref/oracle_target", "sub"):
        for path in sorted((root / folder).glob("*.wav")):
            files[path.stem.rsplit("_", 2)[0]][folder].append(path)
    for folder in ("ref/soundscape", "ref/oracle_target", "sub"):
        (view / folder).mkdir(parents=True)
    for k in range(n_total):
        base = sources[k % len(sources)]
        name = f"soundscape_{k:05d}"
        os.link(root / "ref/soundscape" / f"{base}.wav", view / "ref/soundscape" / f"{name}.wav")
        for folder, paths in files[base].items():
            for path in paths:  # hard links: a symbolic link leaving the submission is refused
                os.link(path, view / folder / (name + path.name[len(base):]))
    return view


def decode_all(root: Path) -> float:
    """Seconds to decode every WAV under ``root/ref`` and ``root/sub`` as float32 (also warms the page cache)."""
    start = time.perf_counter()
    for path in sorted((root / "ref").rglob("*.wav")) + sorted((root / "sub").glob("*.wav")):
        sf.read(path, dtype="float32")
    return time.perf_counter() - start


# ---------------------------------------------------------------- read time

def _data_chunk(path: Path) -> tuple[int, int]:
    """Offset and size in bytes of the ``data`` chunk of a RIFF/WAVE file."""
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path}: not a WAV file")
        offset = 12
        while True:
            f.seek(offset)
            chunk = f.read(8)
            if len(chunk) < 8:
                raise ValueError(f"{path}: no data chunk")
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                return offset + 8, size
            offset += 8 + size + (size & 1)


def files_to_read(root: Path, warm: bool) -> list[Path]:
    """What ``s5eval score`` reads: every file (cold reference cache), or (warm) every estimate and the
    targets whose class some estimate of the same mixture has."""
    estimates = sorted((root / "sub").glob("*.wav"))
    targets = sorted((root / "ref" / "oracle_target").glob("*.wav"))
    if not warm:
        return sorted((root / "ref" / "soundscape").glob("*.wav")) + targets + estimates
    estimated = {(p.stem.rsplit("_", 2)[0], p.stem.rsplit("_", 2)[2]) for p in estimates}
    return [p for p in targets if (p.stem.rsplit("_", 2)[0], p.stem.rsplit("_", 2)[2]) in estimated] + estimates


def read_fromfile(paths: list[Path]) -> float:
    """Seconds to read the int16 samples of ``paths`` with ``numpy.fromfile`` from their ``data`` chunks."""
    start = time.perf_counter()
    for path in paths:
        offset, size = _data_chunk(path)
        np.fromfile(path, dtype="<i2", count=size // 2, offset=offset)
    return time.perf_counter() - start


def read_soundfile(paths: list[Path]) -> float:
    """Seconds to read the int16 samples of ``paths`` with ``soundfile.read``."""
    start = time.perf_counter()
    for path in paths:
        sf.read(path, dtype="int16")
    return time.perf_counter() - start


# ---------------------------------------------------------------- the official scorer

def official_source(repo: Path, into: Path) -> Path:
    """The official metric module written into ``into`` from ``repo`` (a git work tree or bare mirror)."""
    target = into / "s5capi_metric.py"
    proc = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{OFFICIAL_METRIC}"], capture_output=True)
    if proc.returncode == 0 and proc.stdout:
        target.write_bytes(proc.stdout)
    elif (repo / OFFICIAL_METRIC).is_file():  # a checkout without git metadata
        shutil.copyfile(repo / OFFICIAL_METRIC, target)
    else:
        raise SystemExit(f"score_speed.py: cannot read {OFFICIAL_METRIC} from {repo} "
                         "(pass --official-repo PATH: a clone of https://github.com/nttcslab/dcase2026_task4_baseline)")
    return target


def official_worker(root: Path, module_path: Path) -> None:
    """Score ``root/sub`` against ``root/ref`` as the official evaluation does; print the mean and the times."""
    start = time.perf_counter()
    import torch

    spec = importlib.util.spec_from_file_location("s5capi_metric", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    metric = module.S5ClassAwareMetric(metricfunc="sdr")
    metric.reset()
    imported = time.perf_counter()

    # DatasetS3.__init__ and _get_data_waveform (waveform mode)
    soundscape_dir = root / "ref" / "soundscape"
    data = sorted(({"soundscape": f[:-4], "mixture_path": os.path.join(soundscape_dir, f)}
                   for f in os.listdir(soundscape_dir) if f.endswith(".wav")), key=lambda x: x["soundscape"])
    for est_ref, source_dir in (("ref", root / "ref" / "oracle_target"), ("est", root / "sub")):
        all_wav = [f for f in os.listdir(source_dir) if f.endswith(".wav")]
        for d in data:
            d[est_ref + "_label"], d[est_ref + "_source_paths"] = [], []
            for source in sorted(w for w in all_wav if w.startswith(d["soundscape"])):
                match = re.match(rf"^{re.escape(d['soundscape'])}(?:_(\d+))?_(.+)\.wav$", source)
                d[est_ref + "_label"].append(match.group(2))
                d[est_ref + "_source_paths"].append(os.path.join(source_dir, source))

    def sources(info: dict, est_ref: str, wlen: int) -> tuple[list[str], torch.Tensor]:
        labels = list(info[est_ref + "_label"]) + ["silence"] * (OFFICIAL_N_SOURCES - len(info[est_ref + "_label"]))
        waves = [sf.read(path, dtype="float32")[0] for path in info[est_ref + "_source_paths"]]
        waves += [np.zeros(wlen, dtype=np.float32)] * (OFFICIAL_N_SOURCES - len(waves))
        return labels, torch.from_numpy(np.stack(waves))[:, None, :].to(torch.float32)  # [nsources, 1, wlen]

    for info in data:  # DatasetS3._get_item_waveform, then Evaluator.evaluate (one mixture a batch)
        mixture = np.ascontiguousarray(sf.read(info["mixture_path"], dtype="float32", always_2d=True)[0].T)
        mixture = torch.from_numpy(mixture).to(torch.float32)  # [nch, wlen]
        ref_labels, ref_sources = sources(info, "ref", mixture.shape[-1])
        est_labels, est_sources = sources(info, "est", mixture.shape[-1])
        metric.update(batch_est_labels=[est_labels], batch_est_waveforms=est_sources[None][:, :, 0, :],
                      batch_ref_labels=[ref_labels], batch_ref_waveforms=ref_sources[None][:, :, 0, :],
                      batch_mixture=mixture[None][:, 0, :])
    result = metric.compute()
    end = time.perf_counter()
    print(json.dumps({"mean": result["mean"], "mixtures": len(data), "import_s": imported - start,
                      "scoring_s": end - imported}))


# ---------------------------------------------------------------- the official evaluation (--official-mode evaluator)

def _extract_git_tree(repo: Path, treeish: str, into: Path) -> bool:
    """``git archive`` of ``treeish`` of ``repo`` (work tree or bare mirror) unpacked into ``into``; False without git."""
    proc = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", treeish], capture_output=True)
    if proc.returncode != 0 or not proc.stdout:
        return False
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(into, filter="data")
    return True


def official_working_copy(repo: Path, spaudsyn: Path, into: Path) -> Path:
    """A working copy of the official repository in ``into/official``, with SpAudSyn's ``src`` placed in
    ``src/modules/spatial_audio_synthesizer`` as the official README instructs. Nothing of it is changed."""
    copy = into / "official"
    copy.mkdir()
    if not _extract_git_tree(repo, "HEAD", copy):
        if not (repo / "src/evaluation/evaluate.py").is_file():
            raise SystemExit(f"score_speed.py: cannot read the official repository at {repo} (pass --official-repo "
                             "PATH: a clone of https://github.com/nttcslab/dcase2026_task4_baseline)")
        shutil.copytree(repo, copy, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", "data", "checkpoint", "workspace"))
    synth = copy / OFFICIAL_SYNTH
    if not (synth / "spatial_audio_synthesizer.py").is_file():
        shutil.rmtree(synth, ignore_errors=True)
        staging = into / "spaudsyn"
        staging.mkdir()
        if _extract_git_tree(spaudsyn, "HEAD:src", staging):
            staging.rename(synth)
        elif (spaudsyn / "src" / "spatial_audio_synthesizer.py").is_file():
            shutil.copytree(spaudsyn / "src", synth)
        else:
            raise SystemExit(f"score_speed.py: cannot read SpAudSyn's src from {spaudsyn} (the official dataset "
                             "module imports it; pass --spaudsyn-repo PATH: a clone of "
                             "https://github.com/nttcslab/SpAudSyn)")
    return copy


def official_config(copy: Path, data: Path, into: Path) -> Path:
    """The official eval config (``OFFICIAL_CONFIG``, same layout and settings) with its dataset pointed at the
    benchmark's files: ``data/ref/soundscape``, ``data/ref/oracle_target`` and the estimates ``data/sub``."""
    import yaml

    config = yaml.safe_load((copy / OFFICIAL_CONFIG).read_text())
    dataset = config["dataset"]["args"]["config"]
    if dataset.get("mode") != "waveform":
        raise SystemExit(f"score_speed.py: {OFFICIAL_CONFIG}: the dataset is not in waveform mode")
    dataset["soundscape_dir"] = str(data / "ref" / "soundscape")
    dataset["oracle_target_dir"] = str(data / "ref" / "oracle_target")
    dataset["estimate_target_dir"] = str(data / "sub")
    # DatasetS3 gives a soundscape every file whose name starts with its name: no name may start another's
    names = sorted(p.stem for p in (data / "ref" / "soundscape").glob("*.wav"))
    for a, b in zip(names, names[1:]):
        if b.startswith(a):
            raise SystemExit(f"score_speed.py: {b} starts with {a}: the official dataset would mix their files")
    into.mkdir(parents=True, exist_ok=True)
    path = into / f"s5eval_bench_{len(names)}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def official_evaluate(copy: Path, config: Path, n: int, result_dir: Path,
                      env: dict[str, str]) -> tuple[float, float, float]:
    """One run of the official evaluation (``python -m src.evaluation.evaluate -c CONFIG --cpu --result_dir DIR``,
    i.e. ``Evaluator(CONFIG, result_dir=DIR, batch_size=2, use_cpu=True).evaluate()``, in the working copy
    ``copy``): seconds, peak RSS (MiB) and the CAPI-SDRi mean of the result JSON it writes (``n`` mixtures)."""
    shutil.rmtree(result_dir, ignore_errors=True)
    cmd = [sys.executable, "-m", "src.evaluation.evaluate", "-c", str(config), "--cpu", "--result_dir", str(result_dir)]
    elapsed, rss, _ = timed(cmd, env, cwd=copy)
    result = json.loads((result_dir / f"{config.stem}_results.json").read_text())
    if len(result["details"]) != n:
        raise SystemExit(f"score_speed.py: the official evaluation scored {len(result['details'])} of {n} mixtures")
    return elapsed, rss, result["CAPI-SDRi"]["mean"]


def official_import_seconds(copy: Path, env: dict[str, str]) -> float:
    """Best of three: an interpreter that imports the official evaluation's modules (evaluate.py and the dataset)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import src.evaluation.evaluate, src.datamodules.dataset"],
                       check=True, cwd=copy, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


# ---------------------------------------------------------------- timed subprocesses

def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall time (s), peak RSS (MiB, GNU time's %M: the largest process) and stdout of ``cmd``."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M"] + cmd,
                              capture_output=True, text=True, env=env, cwd=cwd)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"score_speed.py: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
        peak_kb = int(Path(rss.name).read_text().strip().splitlines()[-1])
    return elapsed, peak_kb / 1024, proc.stdout


def s5eval_score(root: Path, work: Path, workers: int, cache: Path, env: dict[str, str]) -> tuple[float, float, dict]:
    """One end-to-end `s5eval score` run: seconds, peak RSS (MiB) and the summary of results.json."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "s5eval.cli", "score", str(root / "sub"), "--ref", str(root / "ref"),
           "--out", str(out), "--workers", str(workers), "--cache-dir", str(cache), "--quiet"]
    elapsed, rss, _ = timed(cmd, env)
    return elapsed, rss, json.loads((out / "results.json").read_text())["summary"]


def phase_worker(root: Path, workers: int, cache: Path, pool: bool = False) -> None:
    """Print, as JSON, how long one in-process `run_score` spends from the start of its scoring (the pool created,
    or the first inline job) to its last record, the header checks included, and the whole call. ``pool``: score
    in a pool even with one worker (as with two: in a worker process that maps the files it reads)."""
    from s5eval.scoring.backends import PoolScores, iter_scores
    from s5eval.scoring.config import ScoreConfig
    from s5eval.scoring.run import run_score

    marks: dict[str, float] = {}

    def timed_scorer(jobs, options, n_workers):
        marks["start"] = time.perf_counter()
        return PoolScores(jobs, options, n_workers) if pool else iter_scores(jobs, options, n_workers)

    def progress(done: int, total: int) -> None:
        if done == total:
            marks["end"] = time.perf_counter()

    start = time.perf_counter()
    run_score(root / "sub", root / "ref", ScoreConfig(workers=workers), progress=progress, scorer=timed_scorer,
              reference_cache=cache)
    print(json.dumps({"phase_s": marks["end"] - marks["start"], "run_s": time.perf_counter() - start}))


def scoring_phases(root: Path, work: Path, env: dict[str, str], repeats: int = 3) -> dict[str, float]:
    """Best of ``repeats`` (each in a fresh interpreter) of :func:`phase_worker`'s scoring phase, for cold and warm
    reference caches with 1 and 2 workers; keys as in CONFIGS, and ``cold1pool``/``warm1pool``: one worker process
    that maps its files (one worker otherwise scores in the main process, which reads them)."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        for key in ("cold1", "cold1pool", "cold2", "warm1", "warm1pool", "warm2"):
            cache = work / "phase_cache_cold" if key.startswith("cold") else work / "phase_cache_warm"
            if key.startswith("cold"):
                shutil.rmtree(cache, ignore_errors=True)
            elif not cache.exists():  # filled once, untimed
                subprocess.run([sys.executable, str(Path(__file__).resolve()), "--phase-worker", str(root),
                                "--phase-workers", "2", "--phase-cache", str(cache)], env=env, check=True,
                               capture_output=True)
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--phase-worker", str(root),
                                   "--phase-workers", key[4], "--phase-cache", str(cache)]
                                  + (["--phase-pool"] if key.endswith("pool") else []), env=env, check=True,
                                  capture_output=True, text=True)
            timing = json.loads(done.stdout.strip().splitlines()[-1])
            best[key] = min(best.get(key, timing["phase_s"]), timing["phase_s"])
            best[key + "_run"] = min(best.get(key + "_run", timing["run_s"]), timing["run_s"])
    return best


def startup_seconds() -> tuple[float, float]:
    """Best of three: a bare interpreter, and one that imports what `s5eval score` imports (also those that its
    command imports when it runs)."""
    def best(code: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        return min(times)
    return best("pass"), best("import s5eval.cli, s5eval.commands.score, s5eval.atomic, s5eval.io.archive, "
                              "s5eval.render.terminal, s5eval.results.files, s5eval.scoring.config, "
                              "s5eval.scoring.reference_cache, s5eval.scoring.run, rich.markup")


# ---------------------------------------------------------------- main

OFFICIAL_TITLES = {
    "metric": "official scorer (2026 `S5ClassAwareMetric`, torch CPU, float32 reads, 1 process)",
    "evaluator": "official evaluation (2026 `Evaluator(...).evaluate()`, `--cpu`, batch 2, DataLoader 4 workers)",
}
CONFIGS = [  # (key, row title); run in this order in every round
    ("official", OFFICIAL_TITLES["metric"]),
    ("cold1", "`s5eval score --workers 1`, cold reference cache"),
    ("cold2", "`s5eval score --workers 2`, cold reference cache"),
    ("warm1", "`s5eval score --workers 1`, warm reference cache"),
    ("warm2", "`s5eval score --workers 2`, warm reference cache"),
    ("read_cold", "read int16 samples, files of a cold run (all), `numpy.fromfile`"),
    ("read_warm", "read int16 samples, files of a warm run (estimates + their classes' targets), `numpy.fromfile`"),
    ("sf_cold", "read int16 samples, files of a cold run, `soundfile.read`"),
    ("sf_warm", "read int16 samples, files of a warm run, `soundfile.read`"),
]


def check_official_setup(repo: Path, mode: str, spaudsyn: Path) -> None:
    if mode == "metric":
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("torchmetrics") is None:
            raise SystemExit("score_speed.py: the official scorer needs torch and torchmetrics, benchmark-only "
                             "dependencies: pip install torch torchmetrics")
    else:
        missing = [pip for module, pip in EVALUATOR_MODULES.items() if importlib.util.find_spec(module) is None]
        if missing:
            raise SystemExit("score_speed.py: --official-mode evaluator runs the official evaluation, which needs "
                             f"benchmark-only dependencies that are missing: pip install {' '.join(missing)}")
        if not spaudsyn.exists():
            raise SystemExit(f"score_speed.py: no SpAudSyn repository at {spaudsyn} (the official dataset module "
                             "imports it; pass --spaudsyn-repo PATH: a clone of https://github.com/nttcslab/SpAudSyn)")
    if not repo.exists():
        raise SystemExit(f"score_speed.py: no official repository at {repo} (pass --official-repo PATH: a clone of "
                         "https://github.com/nttcslab/dcase2026_task4_baseline, work tree or bare)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="generated mixtures (the small size)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--eval-size", type=int, default=2567, help="mixtures of the large size (0: skip it)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--official-rounds", type=int, default=None,
                        help="rounds that run the official scorer at the large size (default: all; the first K)")
    parser.add_argument("--official-repo", type=Path,
                        default=Path(os.environ.get("S5EVAL_OFFICIAL_REPO", DEFAULT_OFFICIAL_REPO)),
                        help="clone of nttcslab/dcase2026_task4_baseline (work tree or bare)")
    parser.add_argument("--official-mode", choices=["metric", "evaluator"], default="metric",
                        help="metric: the official metric class driven in one process (the pure metric cost); "
                             "evaluator: the official Evaluator(...).evaluate() end to end, unmodified")
    parser.add_argument("--spaudsyn-repo", type=Path,
                        default=Path(os.environ.get("S5EVAL_SPAUDSYN_REPO", DEFAULT_SPAUDSYN_REPO)),
                        help="clone of nttcslab/SpAudSyn (work tree or bare; --official-mode evaluator)")
    parser.add_argument("--only-official", action="store_true",
                        help="time the official scorer alone (no s5eval or read rows)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    parser.add_argument("--official-worker", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--official-module", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--phase-worker", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--phase-workers", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--phase-cache", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--phase-pool", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.official_worker is not None:
        official_worker(args.official_worker, args.official_module)
        return
    if args.phase_worker is not None:
        phase_worker(args.phase_worker, args.phase_workers, args.phase_cache, args.phase_pool)
        return

    check_official_setup(args.official_repo, args.official_mode, args.spaudsyn_repo)
    evaluator = args.official_mode == "evaluator"
    configs = [(key, OFFICIAL_TITLES[args.official_mode] if key == "official" else title) for key, title in CONFIGS
               if key == "official" or not args.only_official]
    root = args.keep or Path(tempfile.mkdtemp(prefix="s5eval-bench-"))
    work = Path(tempfile.mkdtemp(prefix="s5eval-bench-work-"))
    try:
        env = dict(os.environ, S5EVAL_CACHE_DIR=str(work / "env-cache"))  # never the user's cache
        # bytecode cached, as installed packages have it (the untimed first runs write it), on both sides
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if evaluator:
            copy = official_working_copy(args.official_repo, args.spaudsyn_repo, work)
        else:
            module = official_source(args.official_repo, work)
        if not (root / "ref").exists():
            generate(root, args.n, args.seconds)
        sizes = {args.n: root}
        if args.eval_size:
            sizes[args.eval_size] = replicated_view(root, args.eval_size)
        decode_all(root)  # the page cache holds every file (the large size's files are hard links to them)
        official_rounds = args.rounds if args.official_rounds is None else args.official_rounds
        read_lists = {(n, warm): files_to_read(folder, warm) for n, folder in sizes.items() for warm in (False, True)}
        summaries: dict[int, list[dict]] = {n: [] for n in sizes}
        for n, folder in sizes.items():  # fill the warm caches (untimed); its summary is checked too
            summaries[n].append(s5eval_score(folder, work, 2, work / f"cache_warm_{n}", env)[2])
        if evaluator:
            official_configs = {n: official_config(copy, folder, work / "official_configs") for n, folder in sizes.items()}
            official_evaluate(copy, official_configs[args.n], args.n, work / "official_results", env)  # untimed

        times: dict[tuple[int, str], list[float]] = {}
        rss: dict[tuple[int, str], float] = {}
        official_means: dict[int, float] = {}
        official_parts: dict[int, list[tuple[float, float]]] = {n: [] for n in sizes}
        for r in range(args.rounds):
            for n, folder in sizes.items():
                for key, _ in configs:
                    if key == "official" and evaluator:
                        if n != args.n and r >= official_rounds:
                            continue
                        t, peak, official_means[n] = official_evaluate(copy, official_configs[n], n,
                                                                       work / "official_results", env)
                    elif key == "official":
                        if n != args.n and r >= official_rounds:
                            continue
                        cmd = [sys.executable, str(Path(__file__).resolve()), "--official-worker", str(folder),
                               "--official-module", str(module)]
                        t, peak, stdout = timed(cmd, env)
                        result = json.loads(stdout.strip().splitlines()[-1])
                        official_means[n] = result["mean"]
                        official_parts[n].append((result["import_s"], result["scoring_s"]))
                    elif key.startswith(("cold", "warm")):
                        cache = work / "cache_cold" if key.startswith("cold") else work / f"cache_warm_{n}"
                        if key.startswith("cold"):
                            shutil.rmtree(cache, ignore_errors=True)
                        t, peak, summary = s5eval_score(folder, work, int(key[-1]), cache, env)
                        summaries[n].append(summary)
                    else:
                        paths = read_lists[(n, key.endswith("warm"))]
                        t, peak = (read_fromfile if key.startswith("read") else read_soundfile)(paths), 0.0
                    times.setdefault((n, key), []).append(t)
                    rss[(n, key)] = max(rss.get((n, key), 0.0), peak)
                done = [f"{k} {times[(n, k)][-1]:.2f}s" for k, _ in configs if len(times.get((n, k), [])) > r]
                if done:
                    print(f"round {r + 1}/{args.rounds}, {n} mixtures (load average {os.getloadavg()[0]:.1f}): "
                          + ", ".join(done), file=sys.stderr, flush=True)

        # same numbers: every s5eval run of a size, cold or warm, 1 or 2 workers, and the official mean
        failures = []
        for n in sizes:
            if any(s != summaries[n][0] for s in summaries[n]):
                failures.append(f"{n} mixtures: the s5eval runs disagree")
            capi = summaries[n][0]["capi_sdri"]
            if not abs(official_means[n] - capi) <= 1e-4:
                failures.append(f"{n} mixtures: official mean {official_means[n]:.6f} dB != s5eval CAPI-SDRi {capi:.6f} dB")
        if failures:
            raise SystemExit("score_speed.py: NOT THE SAME NUMBERS\n" + "\n".join(failures))
        bare, imports = startup_seconds()
        phases = {} if args.only_official else scoring_phases(sizes[args.eval_size or args.n], work, env)
        official_imports = official_import_seconds(copy, env) if evaluator else None

        def best(n: int, key: str) -> float:
            return min(times[(n, key)])

        def median(n: int, key: str) -> float:
            return statistics.median(times[(n, key)])

        print(f"| what ({os.cpu_count()} cores, files in the page cache) | mixtures | runs | seconds (best / median) "
              "| mixtures/s (best / median) | peak RSS (MiB) |")
        print("|---|---:|---:|---:|---:|---:|")
        for n in sizes:
            for key, title in configs:
                b, m = best(n, key), median(n, key)
                peak = f"{rss[(n, key)]:.0f}" if rss[(n, key)] else ""
                print(f"| {title} | {n:,} | {len(times[(n, key)])} | {b:.2f} / {m:.2f} | {n / b:.0f} / {n / m:.0f} "
                      f"| {peak} |")
        print()
        for n in sizes:
            parts = official_parts[n]
            if parts:
                print(f"- official scorer, {n} mixtures: interpreter + torch import {min(p[0] for p in parts):.2f} s, "
                      f"listing + reading + scoring {min(p[1] for p in parts):.2f} s (best)")
        if official_imports is not None:
            print(f"- official evaluation: interpreter + imports of `src.evaluation.evaluate` and its dataset module "
                  f"{official_imports:.2f} s (best of 3)")
        if args.only_official:
            for n in sizes:
                print(f"- CAPI-SDRi, {n} mixtures: s5eval {summaries[n][0]['capi_sdri']:.6f} dB, official "
                      f"{official_means[n]:.6f} dB (equal within 1e-4 dB)")
            return
        print(f"- start-up: bare interpreter {bare:.2f} s, interpreter + imports of `s5eval score` {imports:.2f} s")
        for n in sizes:
            print(f"- files read, {n} mixtures: cold {len(read_lists[(n, False)])}, warm {len(read_lists[(n, True)])}")
        print(f"- CAPI-SDRi: s5eval {summaries[args.n][0]['capi_sdri']:.6f} dB, official "
              f"{official_means[args.n]:.6f} dB ({args.n}); every s5eval run of a size gave the same summary")
        print()

        def verdict(ok: bool) -> str:
            return "**met**" if ok else "**not met**"

        big = args.eval_size or args.n
        print(f"Targets, at {big:,} mixtures (best / median):")
        for key in ("cold2", "cold1", "warm2", "warm1"):
            x_b, x_m = best(big, "official") / best(big, key), median(big, "official") / median(big, key)
            print(f"- >= 30x the official scorer, {key}: {x_b:.1f}x / {x_m:.1f}x: {verdict(min(x_b, x_m) >= 30)}")
        for key, read in (("cold2", "read_cold"), ("cold1", "read_cold"), ("warm2", "read_warm"),
                          ("warm1", "read_warm")):
            x_b, x_m = best(big, key) / best(big, read), median(big, key) / median(big, read)
            print(f"- <= 2x the read time ({read}, numpy.fromfile), {key}: {x_b:.2f}x / {x_m:.2f}x: "
                  f"{verdict(max(x_b, x_m) <= 2)}")
        for cache in ("cold", "warm"):
            x_b = best(big, f"{cache}1") / best(big, f"{cache}2")
            x_m = median(big, f"{cache}1") / median(big, f"{cache}2")
            print(f"- 2 workers >= 1.8x one worker, {cache} cache: {x_b:.2f}x / {x_m:.2f}x: {verdict(min(x_b, x_m) >= 1.8)}")
        for cache in ("cold", "warm"):  # what scales: the scoring alone, without start-up, discovery and results
            one, two, pooled = phases[f"{cache}1"], phases[f"{cache}2"], phases[f"{cache}1pool"]
            print(f"  - the scoring phase alone, {cache} cache (in process, from the start of the scoring to the last "
                  f"record, header checks included; best of 3): {one:.2f} s with 1 worker, {two:.2f} s with 2: "
                  f"{one / two:.2f}x; like for like, one worker process mapping its files as the two do: "
                  f"{pooled:.2f} s, {pooled / two:.2f}x; the whole run in process (without interpreter start-up), "
                  f"like for like: {phases[f'{cache}1pool_run']:.2f} s and {phases[f'{cache}2_run']:.2f} s, "
                  f"{phases[f'{cache}1pool_run'] / phases[f'{cache}2_run']:.2f}x")
        if args.eval_size:
            for key in ("cold1", "cold2", "warm1", "warm2"):
                ratio = rss[(big, key)] / rss[(args.n, key)]
                print(f"- peak RSS flat (<= {RSS_FLAT:.2f}x), {key}: {rss[(args.n, key)]:.0f} MiB at {args.n} -> "
                      f"{rss[(big, key)]:.0f} MiB at {big} ({ratio:.2f}x, "
                      f"{(rss[(big, key)] - rss[(args.n, key)]) * 1024 / (big - args.n):.1f} KiB per mixture): "
                      f"{verdict(ratio <= RSS_FLAT)}")
        if args.eval_size:
            print(f"\nAt {args.n} mixtures: official / cold2 {best(args.n, 'official') / best(args.n, 'cold2'):.1f}x, "
                  f"cold2 / read {best(args.n, 'cold2') / best(args.n, 'read_cold'):.2f}x, "
                  f"warm2 / read {best(args.n, 'warm2') / best(args.n, 'read_warm'):.2f}x, "
                  f"1 / 2 workers cold {best(args.n, 'cold1') / best(args.n, 'cold2'):.2f}x (best)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
