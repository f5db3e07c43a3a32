"""Label sets known to s5eval.

A label set is an ordered tuple of class names. ``silence`` is a padding label
that systems may emit for an empty output slot; it is never a class.
"""
from __future__ import annotations

from pathlib import Path

SILENCE = "silence"

DCASE_CLASSES: tuple[str, ...] = (
    "AlarmClock", "BicycleBell", "Blender", "Buzzer", "Clapping", "Cough",
    "CupboardOpenClose", "Dishes", "Doorbell", "FootSteps", "HairDryer",
    "MechanicalFans", "MusicalKeyboard", "Percussion", "Pour", "Speech",
    "Typing", "VacuumCleaner",
)

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "dcase2026t4": DCASE_CLASSES,
    "dcase2025t4": DCASE_CLASSES,
}

DEFAULT_LABEL_SET = "dcase2026t4"


class UnknownLabelSet(ValueError):
    """Raised when a label-set name is neither built in nor a readable file."""


def resolve_label_set(name_or_path: str | None) -> tuple[str, ...]:
    """Return the classes of a built-in label set, or of a text file with one name a line."""
    if name_or_path is None:
        return LABEL_SETS[DEFAULT_LABEL_SET]
    if name_or_path in LABEL_SETS:
        return LABEL_SETS[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        names = [n for n in names if n and not n.startswith("#")]
        if not names:
            raise UnknownLabelSet(f"label-set file {path} lists no class names")
        if SILENCE in names:
            raise UnknownLabelSet(f"label-set file {path} lists '{SILENCE}', which is a padding label, not a class")
        return tuple(dict.fromkeys(names))
    raise UnknownLabelSet(
        f"unknown label set '{name_or_path}': use one of {', '.join(sorted(LABEL_SETS))} "
        "or a text file with one class name a line"
    )
