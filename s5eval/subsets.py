"""Subsets of mixtures on which every metric is also reported.

Automatic subsets come from the reference labels of each mixture:

* ``all``; ``zero_target`` (0 targets); ``single`` (1); ``distinct`` (≥2, all
  classes different); ``duplicate`` (≥2 with a repeated class, the paper's
  DupSet); ``nodup`` (single ∪ distinct, the paper's NoDupSet); ``n_ref=K``.

Further subsets come from ``REF/subsets.csv`` or ``--subsets FILE`` (columns
``soundscape,subset``, one row per membership) or a built-in preset:
``dcase2026-eval`` (``ranking`` = eval_0000–eval_1511, ``analysis`` = the rest) and
``dcase2025-eval`` (``ranking`` = the first 1,620 soundscapes, eval_0000–eval_1619).
A preset numbers a soundscape by the digits that end its name.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from .findings import ReferenceSetError, error

RANKED_BY_PRESET = {"dcase2026-eval": 1512, "dcase2025-eval": 1620}  # soundscapes numbered below this are ranked
PRESETS = tuple(RANKED_BY_PRESET)
AUTOMATIC_ORDER = ("all", "zero_target", "single", "distinct", "duplicate", "nodup")
_EVAL_ID = re.compile(r"_(\d+)$")


def automatic_subsets(ref_labels: Sequence[str]) -> list[str]:
    """Names of the automatic subsets a mixture with these reference labels belongs to."""
    n = len(ref_labels)
    names = ["all", f"n_ref={n}"]
    if n == 0:
        names.append("zero_target")
    elif n == 1:
        names += ["single", "nodup"]
    elif max(Counter(ref_labels).values()) > 1:
        names.append("duplicate")
    else:
        names += ["distinct", "nodup"]
    return names


def preset_subsets(name: str, soundscapes: Iterable[str]) -> dict[str, set[str]]:
    """Memberships of a built-in preset."""
    if name not in RANKED_BY_PRESET:
        raise ValueError(f"unknown subset preset {name!r}; known: {', '.join(PRESETS)}")
    n_ranked = RANKED_BY_PRESET[name]
    ranking, analysis = set(), set()
    for mix in soundscapes:
        match = _EVAL_ID.search(mix)
        (ranking if match and int(match.group(1)) < n_ranked else analysis).add(mix)
    return {"ranking": ranking, "analysis": analysis}


def read_subsets_csv(path: str | Path, soundscapes: Iterable[str]) -> dict[str, set[str]]:
    """Read ``soundscape,subset`` rows; unknown soundscapes or a bad header are reference-set errors."""
    path = Path(path)
    known = set(soundscapes)
    out: dict[str, set[str]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"soundscape", "subset"} <= set(reader.fieldnames):
                raise ReferenceSetError([error("E_SUBSETS_HEADER", str(path),
                                               "subsets file must have the columns 'soundscape' and 'subset'")])
            unknown = []
            for row in reader:
                mix, subset = (row.get("soundscape") or "").strip(), (row.get("subset") or "").strip()
                if not mix or not subset:
                    continue
                if mix not in known:
                    unknown.append(mix)
                    continue
                out.setdefault(subset, set()).add(mix)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceSetError([error("E_SUBSETS_UNREADABLE", str(path), f"cannot read the subsets file: {exc}")])
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise ReferenceSetError([error("E_SUBSETS_UNKNOWN_SOUNDSCAPE", str(path),
                                       f"{len(unknown)} rows name soundscapes not in the reference set: {shown}")])
    return out


def load_extra_subsets(spec: str | None, ref_csv: Path | None, soundscapes: Sequence[str]) -> dict[str, set[str]]:
    """Subsets from the reference set's own subsets.csv, then from ``--subsets`` (preset name or file)."""
    extra: dict[str, set[str]] = {}
    if ref_csv is not None:
        extra.update(read_subsets_csv(ref_csv, soundscapes))
    if spec:
        if spec in PRESETS:
            extra.update(preset_subsets(spec, soundscapes))
        else:
            extra.update(read_subsets_csv(spec, soundscapes))
    return extra


def memberships(ref_labels_by_mix: dict[str, Sequence[str]], extra: dict[str, set[str]]) -> dict[str, list[str]]:
    """Subset name -> mixtures, automatic subsets first, in a stable order."""
    members: dict[str, list[str]] = {}
    for mix, labels in ref_labels_by_mix.items():
        for name in automatic_subsets(labels):
            members.setdefault(name, []).append(mix)
    for name, mixes in extra.items():
        members[name] = [m for m in ref_labels_by_mix if m in mixes]

    def order(name: str) -> tuple[int, str]:
        if name in AUTOMATIC_ORDER:
            return (0, f"{AUTOMATIC_ORDER.index(name):02d}")
        if name.startswith("n_ref="):
            return (1, name.zfill(12))
        return (2, name)

    return {name: members[name] for name in sorted(members, key=order)}
