"""Estimate and target filenames.

Two forms exist:

* 2026: ``<mix>_<i>_<Label>.wav`` (``i`` a non-negative integer, the output slot)
* 2025: ``<mix>_<Label>.wav``

``<mix>`` must be a soundscape of the reference set, matched exactly and never
by prefix: ``mix_1_0_Speech.wav`` belongs to ``mix_1`` even when ``mix_10``
exists.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Collection, Iterable

_INDEX = re.compile(r"^(?P<mix>.+)_(?P<index>\d+)$")


@dataclass(frozen=True, slots=True)
class SourceName:
    """A parsed estimate/target filename."""

    filename: str
    soundscape: str
    label: str
    index: int | None  # None for the 2025 form

    @property
    def form(self) -> str:
        return "2025" if self.index is None else "2026"


class FilenameError(ValueError):
    """A filename that does not follow either grammar; ``code`` says which rule failed."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def _split_label(stem: str, labels: Iterable[str]) -> tuple[str, str] | None:
    """Split ``<prefix>_<Label>`` using the longest known label that ends the stem (non-empty prefix).

    The label comes back as one shared (interned) string: a run parses thousands of names of a few classes.
    """
    known = labels if isinstance(labels, (set, frozenset)) else frozenset(labels)
    position = stem.find("_", 1)
    while position != -1:  # the leftmost underscore that starts a known label gives the longest one
        if stem[position + 1:] in known:
            return stem[:position], sys.intern(stem[position + 1:])
        position = stem.find("_", position + 1)
    return None


def parse_source_filename(
    filename: str,
    soundscapes: Collection[str],
    labels: Collection[str],
) -> SourceName:
    """Parse ``filename`` against the known soundscapes and labels.

    Raises :class:`FilenameError` with code ``E_UNKNOWN_LABEL``,
    ``E_UNKNOWN_SOUNDSCAPE``, ``E_AMBIGUOUS_NAME`` or ``E_BAD_NAME``.
    """
    if not filename.lower().endswith(".wav"):
        raise FilenameError("E_BAD_NAME", f"'{filename}' is not a .wav file")
    stem = filename[:-4]
    split = _split_label(stem, labels)
    if split is None:
        token = stem.rsplit("_", 1)[-1] if "_" in stem else stem
        raise FilenameError(
            "E_UNKNOWN_LABEL",
            f"'{filename}' ends in label '{token}', which is not a class of the label set "
            "(names are case-sensitive; expected <mix>_<i>_<Label>.wav)",
        )
    prefix, label = split
    candidates: list[SourceName] = []
    if prefix in soundscapes:
        candidates.append(SourceName(filename, sys.intern(prefix), label, None))
    match = _INDEX.match(prefix)
    if match and match.group("mix") in soundscapes:  # the soundscape's name shared with the reference set's
        candidates.append(SourceName(filename, sys.intern(match.group("mix")), label, int(match.group("index"))))
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        raise FilenameError(
            "E_AMBIGUOUS_NAME",
            f"'{filename}' could belong to soundscape '{candidates[0].soundscape}' (2025 form) "
            f"or '{candidates[1].soundscape}' (2026 form); rename it so only one reading is possible",
        )
    guess = match.group("mix") if match else prefix
    raise FilenameError(
        "E_UNKNOWN_SOUNDSCAPE",
        f"'{filename}' names soundscape '{guess}', which is not in the reference set "
        "(soundscape names are matched exactly)",
    )


def parse_source_filename_free(filename: str, labels: Collection[str]) -> SourceName:
    """Parse a filename without a reference set.

    Without the soundscape list a trailing ``_<digits>`` is read as the 2026
    output index when it has at most 2 digits (DCASE soundscape ids are longer),
    else as part of the soundscape name.
    """
    if not filename.lower().endswith(".wav"):
        raise FilenameError("E_BAD_NAME", f"'{filename}' is not a .wav file")
    stem = filename[:-4]
    split = _split_label(stem, labels)
    if split is None:
        token = stem.rsplit("_", 1)[-1] if "_" in stem else stem
        raise FilenameError(
            "E_UNKNOWN_LABEL",
            f"'{filename}' ends in label '{token}', which is not a class of the label set",
        )
    prefix, label = split
    match = _INDEX.match(prefix)
    if match and len(match.group("index")) <= 2:
        return SourceName(filename, match.group("mix"), label, int(match.group("index")))
    if not prefix:
        raise FilenameError("E_BAD_NAME", f"'{filename}' has no soundscape name")
    return SourceName(filename, prefix, label, None)
