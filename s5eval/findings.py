"""Findings: what s5eval reports about bad input, and the exception that carries them.

Every problem with a submission or a reference set becomes a :class:`Finding`
with a stable code (``E…`` errors, ``W…`` warnings), the file concerned and a
sentence a participant understands. Commands print findings and exit with a
non-zero code; no traceback reaches a user for bad input.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

ERROR = "error"
WARNING = "warning"

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_REFERENCE = 3


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in the input.

    ``code`` is stable across versions (documented in docs/findings.md),
    ``file`` is the path concerned (may be empty for whole-package problems).
    """

    code: str
    severity: str
    file: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def one_line(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{self.code} {self.severity}: {where}{self.message}"


def shown_path(path: Path, base: Path, shown_root: str) -> str:
    """``path`` as findings show it: below ``shown_root``, the name the user gave for ``base`` (a zip, a folder)."""
    text, base_text = str(path), str(base)
    if text == base_text:
        return shown_root
    prefix = base_text if base_text.endswith(os.sep) else base_text + os.sep
    if text.startswith(prefix):  # the common case, without pathlib's parsing (called once per file)
        rel = text[len(prefix):]
        return f"{shown_root}/{rel if os.sep == '/' else rel.replace(os.sep, '/')}"
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return text
    return shown_root if rel == "." else f"{shown_root}/{rel}"


def error(code: str, file: str, message: str) -> Finding:
    return Finding(code, ERROR, str(file), message)


def warning(code: str, file: str, message: str) -> Finding:
    return Finding(code, WARNING, str(file), message)


class S5InputError(Exception):
    """Bad input that stops a command: carries the findings and the exit code."""

    def __init__(self, findings: Iterable[Finding], exit_code: int = EXIT_INVALID):
        self.findings = list(findings)
        self.exit_code = exit_code
        super().__init__("; ".join(f.one_line() for f in self.findings))


class ReferenceSetError(S5InputError):
    """A problem with the reference set (exit code 3)."""

    def __init__(self, findings: Iterable[Finding]):
        super().__init__(findings, EXIT_REFERENCE)


_REFERENCE_PREFIXES = ("E_REF_", "E_SUBSETS_")


def is_reference_problem(finding: Finding) -> bool:
    """True for a finding about the reference set (exit code 3), not about the submission."""
    return finding.code.startswith(_REFERENCE_PREFIXES)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)
