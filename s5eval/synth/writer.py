"""Write a synthesized reference set in the DCASE layout.

```
OUT/soundscape/<mix>.wav                 4-channel FOA mixture, PCM16, 32 kHz
OUT/oracle_target/<mix>_<i>_<Label>.wav  mono dry targets, PCM16
OUT/metadata/<mix>.json                  labels, directions, SNRs, source ids, room, seed
OUT/subsets.csv                          soundscape,subset: dupset / nodupset (the paper's split)
OUT/synth.json                           the config, base seed and tool version
```

Mixture ``k`` is made from the seed ``[seed, k]``, so the output is the same
byte for byte whatever the number of workers.
"""
from __future__ import annotations

import csv
import json
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..atomic import write_atomic, write_json_atomic
from ..io.audio import write_audio
from .api import SynthConfig, make_example

SOUNDSCAPE_DIR = "soundscape"
TARGET_DIR = "oracle_target"
METADATA_DIR = "metadata"
OUTPUT_DIRS = (SOUNDSCAPE_DIR, TARGET_DIR, METADATA_DIR)


@dataclass(frozen=True)
class WrittenMixture:
    """What the writer made of one mixture (for ``subsets.csv`` and the summary)."""

    name: str
    labels: tuple[str, ...]
    kind: str


def mixture_name(index: int, n_total: int) -> str:
    """``soundscape_0007``: zero-padded to at least 4 digits."""
    return f"soundscape_{index:0{max(4, len(str(max(n_total - 1, 0))))}d}"


def subset_of(kind: str) -> str | None:
    """The paper's split: ``dupset`` (a repeated class), ``nodupset`` (≥1 target, all distinct), else none."""
    return {"dup": "dupset", "nodup": "nodupset"}.get(kind)


def _write_one(args: tuple[str, int, int, int, SynthConfig]) -> WrittenMixture:
    out, index, n_total, seed, config = args
    root = Path(out)
    name = mixture_name(index, n_total)
    example = make_example([seed, index], config)
    sr = config.samplerate
    for k, (label, target) in enumerate(example.targets):
        write_audio(root / TARGET_DIR / f"{name}_{k}_{label}.wav", target, sr)
    meta = dict(example.metadata, soundscape=name)
    (root / METADATA_DIR / f"{name}.json").write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n",
                                                     encoding="utf-8")
    write_audio(root / SOUNDSCAPE_DIR / f"{name}.wav", example.mixture.T, sr)  # last: a mixture file means done
    return WrittenMixture(name, tuple(example.labels), example.metadata["kind"])


def prepare_output(out: str | Path, overwrite: bool) -> None:
    """Create OUT; refuse to mix with an earlier set unless ``overwrite`` (which removes the old files)."""
    root = Path(out)
    existing = [d for d in OUTPUT_DIRS if (root / d).exists() and any((root / d).iterdir())]
    if existing and not overwrite:
        raise FileExistsError(f"{root} already holds a reference set ({', '.join(existing)}/); "
                              "choose another folder or pass --overwrite")
    for d in OUTPUT_DIRS:
        if (root / d).exists():
            shutil.rmtree(root / d)
        (root / d).mkdir(parents=True)
    (root / "subsets.csv").unlink(missing_ok=True)


def write_reference_set(out: str | Path, n: int, config: SynthConfig, seed: int = 0, workers: int = 1,
                        overwrite: bool = False,
                        progress: Callable[[int, int], None] | None = None) -> list[WrittenMixture]:
    """Synthesize ``n`` mixtures into ``out``; returns what was written, in mixture order."""
    prepare_output(out, overwrite)
    jobs = [(str(out), k, n, seed, config) for k in range(n)]
    written: list[WrittenMixture] = []
    if workers <= 1 or n <= 1:
        for job in jobs:
            written.append(_write_one(job))
            if progress:
                progress(len(written), n)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for item in pool.map(_write_one, jobs, chunksize=max(1, n // (workers * 8))):
                written.append(item)
                if progress:
                    progress(len(written), n)
    _write_subsets(Path(out) / "subsets.csv", written)
    write_json_atomic(Path(out) / "synth.json", _provenance(n, seed, config, written))
    return written


def _write_subsets(path: Path, written: list[WrittenMixture]) -> None:
    def writer(handle) -> None:
        table = csv.writer(handle, lineterminator="\n")
        table.writerow(["soundscape", "subset"])
        for item in written:
            subset = subset_of(item.kind)
            if subset:
                table.writerow([item.name, subset])

    write_atomic(path, writer)


def _provenance(n: int, seed: int, config: SynthConfig, written: list[WrittenMixture]) -> dict:
    from .. import __version__
    from .pool_choice import pool_for

    kinds = [w.kind for w in written]
    return {
        "tool": f"s5eval {__version__}",
        "n_mixtures": n,
        "seed": seed,
        "config": config.as_dict(),
        "rooms": pool_for(config).room_model,
        "counts": {"zero_target": kinds.count("zero"), "dupset": kinds.count("dup"),
                   "nodupset": kinds.count("nodup"),
                   "targets": int(sum(len(w.labels) for w in written))},
    }
