"""Estimate filenames: grammar, labels, soundscapes, duplicates, counts per soundscape."""
from __future__ import annotations

from collections import defaultdict

from ..findings import Finding, error, warning
from ..io.filenames import FilenameError, parse_source_filename, parse_source_filename_free
from ..labels import SILENCE
from .context import Context


def parse_names(ctx: Context) -> list[Finding]:
    """Parse every estimate name (exactly against the reference soundscapes when given)."""
    findings: list[Finding] = []
    known = tuple(ctx.labels) + (SILENCE,)
    soundscapes = ctx.reference.mixtures if ctx.reference is not None else None
    for est in ctx.estimates:
        try:
            if soundscapes is not None:
                est.name = parse_source_filename(est.filename, soundscapes, known)
            else:
                est.name = parse_source_filename_free(est.filename, known)
        except FilenameError as exc:
            findings.append(error(exc.code, est.shown, str(exc)))
    return findings


def check_duplicates(ctx: Context) -> list[Finding]:
    """Two files for one output index (a warning), names equal up to case, the two forms mixed."""
    findings: list[Finding] = []
    by_folded: dict[str, str] = {}
    for est in ctx.estimates:
        folded = est.filename.lower()
        if folded in by_folded:
            findings.append(error("E_DUPLICATE_FILE", est.shown,
                                  f"differs from '{by_folded[folded]}' only in letter case; the two collide on "
                                  "Windows and macOS"))
        else:
            by_folded[folded] = est.filename
    slots: dict[tuple[str, int], str] = {}
    forms: dict[str, int] = defaultdict(int)
    for est, name in ctx.estimate_names:
        forms[name.form] += 1
        if name.index is None:
            continue
        key = (name.soundscape, name.index)
        if key in slots:
            findings.append(warning("W_SHARED_OUTPUT_INDEX", est.shown,
                                    f"uses output index {name.index} of soundscape '{name.soundscape}', "
                                    f"as '{slots[key]}' does; both are scored, as the official scorer scores them"))
        else:
            slots[key] = est.filename
    if len(forms) > 1:
        findings.append(warning("W_MIXED_FORMS", ctx.shown(ctx.estimate_dir),
                                f"{forms['2026']} files use the 2026 form <mix>_<i>_<Label>.wav and "
                                f"{forms['2025']} the 2025 form <mix>_<Label>.wav"))
    return findings


def check_counts(ctx: Context) -> list[Finding]:
    """More estimates (``silence`` not counted) for one soundscape than ``options.max_estimates``."""
    limit = ctx.options.max_estimates
    counts: dict[str, list[str]] = defaultdict(list)
    for est, name in ctx.estimate_names:
        if name.label != SILENCE:
            counts[name.soundscape].append(est.filename)
    findings = []
    for soundscape, names in sorted(counts.items()):
        if len(names) > limit:
            findings.append(warning("W_TOO_MANY_ESTIMATES", ctx.shown(ctx.estimate_dir / names[0]),
                                    f"soundscape '{soundscape}' has {len(names)} estimates; the limit is {limit} "
                                    "(each estimate beyond the true sources counts as a false positive)"))
    return findings


def check_names(ctx: Context) -> list[Finding]:
    """Every filename check; fills ``est.name`` for the later checks."""
    return parse_names(ctx) + check_duplicates(ctx) + check_counts(ctx)
