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

The names ``all`` and those of the automatic subsets are reserved: a subsets
file cannot define them (``E_SUBSETS_RESERVED``), so it can never change the
headline. Every malformed row is a finding naming its line.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from ..findings import EXIT_USAGE, ReferenceSetError, S5InputError, error

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
    ranking: set[str] = set()
    analysis: set[str] = set()
    for mix in soundscapes:
        match = _EVAL_ID.search(mix)
        (ranking if match and int(match.group(1)) < n_ranked else analysis).add(mix)
    return {"ranking": ranking, "analysis": analysis}


_RESERVED_PATTERN = re.compile(r"^n_ref\s*=", re.IGNORECASE)
_FOLDED_AUTOMATIC = {name.casefold() for name in AUTOMATIC_ORDER}
_MAX_ROW_FINDINGS = 10
_BAD_CHARACTERS = re.compile(r'[\x00-\x1f\x7f"]')


def is_reserved(name: str) -> bool:
    """True for ``all`` and the automatic subset names (``n_ref=K`` too), in any letter case.

    A subsets file may not define them: ``all`` is the headline and the others
    are computed from the reference labels.
    """
    return name.strip().casefold() in _FOLDED_AUTOMATIC or _RESERVED_PATTERN.match(name.strip()) is not None


def check_subsets_spec(spec: str) -> None:
    """``--subsets`` must be a preset or an existing regular file: a usage error (exit 2) otherwise."""
    if spec in PRESETS:
        return
    path = Path(spec)
    if not path.exists():
        why = "is neither a file nor a preset"
    elif not path.is_file():
        why = "is not a regular file"
    else:
        return
    raise S5InputError([error("E_USAGE", spec, f"--subsets {why}; give a soundscape,subset CSV file or a preset "
                                               f"({', '.join(PRESETS)})")], exit_code=EXIT_USAGE)


def _listing(items: list[str], n: int = 5) -> str:
    return ", ".join(items[:n]) + (" …" if len(items) > n else "")


def _short(name: str, limit: int = 40) -> str:
    """A name from the file, cut for a message."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def read_subsets_csv(path: str | Path, soundscapes: Iterable[str]) -> dict[str, set[str]]:
    """Read ``soundscape,subset`` rows (UTF-8, optional BOM).

    Every problem is a reference-set error naming its line: a bad header,
    unbalanced quotes, a row without its soundscape or subset cell or with more
    cells than the header, an empty or malformed name, a repeated row, a
    reserved subset name (:func:`is_reserved`), an unknown soundscape.
    """
    path = Path(path)
    where = str(path)
    known = set(soundscapes)
    out: dict[str, set[str]] = {}
    rows: list[str] = []  # E_SUBSETS_ROW messages
    reserved: dict[str, int] = {}  # name -> first line
    unknown: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    line = 1
    if not path.is_file():  # a FIFO would block, a folder cannot be read
        raise ReferenceSetError([error("E_SUBSETS_UNREADABLE", where, "the subsets file is not a regular file")])
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = [name.strip() for name in next(reader, [])]
            if header.count("soundscape") != 1 or header.count("subset") != 1:
                raise ReferenceSetError([error("E_SUBSETS_HEADER", where,
                                               "subsets file must have the columns 'soundscape' and 'subset' "
                                               "(once each)")])
            i_mix, i_subset = header.index("soundscape"), header.index("subset")
            while True:
                line = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    rows.append(f"line {line}: {exc} (an unbalanced quote?); the rest of the file was not read")
                    break
                if not any(cell.strip() for cell in row):
                    continue  # a blank line
                if len(row) > len(header):
                    rows.append(f"line {line}: {len(row)} cells but the header has {len(header)} "
                                f"(an unquoted comma?)")
                    continue
                if len(row) <= max(i_mix, i_subset):
                    rows.append(f"line {line}: no {'soundscape' if len(row) <= i_mix else 'subset'} cell")
                    continue
                mix, subset = row[i_mix].strip(), row[i_subset].strip()
                if not mix or not subset:
                    rows.append(f"line {line}: empty {'soundscape' if not mix else 'subset'} name")
                elif _BAD_CHARACTERS.search(subset) or _BAD_CHARACTERS.search(mix):
                    rows.append(f"line {line}: a name holds a quote or a control character")
                elif is_reserved(subset):
                    reserved.setdefault(subset, line)
                elif (mix, subset) in seen:
                    rows.append(f"line {line}: repeats line {seen[mix, subset]} ({_short(mix)},{_short(subset)})")
                elif mix not in known:
                    seen[mix, subset] = line
                    unknown.append(_short(mix))
                else:
                    seen[mix, subset] = line
                    out.setdefault(subset, set()).add(mix)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceSetError([error("E_SUBSETS_UNREADABLE", where,
                                       f"cannot read the subsets file (line {line}): {exc}")]) from None
    findings = [error("E_SUBSETS_ROW", where, message) for message in rows[:_MAX_ROW_FINDINGS]]
    if len(rows) > _MAX_ROW_FINDINGS:
        findings.append(error("E_SUBSETS_ROW", where, f"{len(rows) - _MAX_ROW_FINDINGS} more rows with problems"))
    if reserved:
        shown = _listing([f"'{_short(name)}' (line {at})" for name, at in reserved.items()])
        findings.append(error("E_SUBSETS_RESERVED", where,
                              f"subset names reserved for the automatic subsets: {shown}; 'all' is the headline "
                              f"and {', '.join(AUTOMATIC_ORDER[1:])}, n_ref=K come from the reference labels"))
    if unknown:
        findings.append(error("E_SUBSETS_UNKNOWN_SOUNDSCAPE", where,
                              f"{len(unknown)} rows name soundscapes not in the reference set: {_listing(unknown)}"))
    if findings:
        raise ReferenceSetError(findings)
    return out


def load_extra_subsets(spec: str | None, ref_csv: Path | None, soundscapes: Sequence[str]) -> dict[str, set[str]]:
    """Subsets from the reference set's own subsets.csv, then from ``--subsets`` (preset name or file).

    ``--subsets`` may add subsets or repeat one of the reference set's with the
    same members; a different definition under the same name is refused
    (``E_SUBSETS_CONFLICT``). A ``--subsets`` that is neither a preset nor a
    file is a usage error (exit 2).
    """
    extra: dict[str, set[str]] = {}
    if ref_csv is not None:
        extra.update(read_subsets_csv(ref_csv, soundscapes))
    if spec:
        check_subsets_spec(spec)
        more = preset_subsets(spec, soundscapes) if spec in PRESETS else read_subsets_csv(spec, soundscapes)
        clashes = sorted(name for name in more if name in extra and extra[name] != more[name])
        if clashes:
            names = _listing([repr(_short(c)) for c in clashes])
            raise ReferenceSetError([error("E_SUBSETS_CONFLICT", str(ref_csv),
                                           f"--subsets {spec} defines {names} with other soundscapes than the "
                                           f"reference set's subsets.csv")])
        extra.update(more)
    return extra


def memberships(ref_labels_by_mix: dict[str, Sequence[str]], extra: dict[str, set[str]]) -> dict[str, list[str]]:
    """Subset name -> mixtures, automatic subsets first, in a stable order."""
    members: dict[str, list[str]] = {}
    for mix, labels in ref_labels_by_mix.items():
        for name in automatic_subsets(labels):
            members.setdefault(name, []).append(mix)
    reserved = sorted(name for name in extra if is_reserved(name))
    if reserved:  # never let extra subsets replace the headline or an automatic subset
        names = _listing([_short(n) for n in reserved])
        raise ReferenceSetError([error("E_SUBSETS_RESERVED", "", f"subset names reserved for the automatic "
                                                                 f"subsets: {names}")])
    for name, mixes in extra.items():
        members[name] = [m for m in ref_labels_by_mix if m in mixes]

    def order(name: str) -> tuple[int, str]:
        if name in AUTOMATIC_ORDER:
            return (0, f"{AUTOMATIC_ORDER.index(name):02d}")
        if name.startswith("n_ref="):
            return (1, name.zfill(12))
        return (2, name)

    return {name: members[name] for name in sorted(members, key=order)}
