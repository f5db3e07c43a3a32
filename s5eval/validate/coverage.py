"""Coverage of the reference set: a package that leaves most soundscapes without estimates is likely incomplete."""
from __future__ import annotations

from ..findings import Finding, warning
from .context import Context

UNCOVERED_SHARE = 0.5  # share of soundscapes without any estimate above which a warning is raised
_MAX_LISTED = 5


def check_coverage(ctx: Context) -> list[Finding]:
    """Warn when more than half of the reference soundscapes have no estimate file (``silence`` files count)."""
    if ctx.reference is None or not ctx.named_estimates:
        return []
    covered = {e.soundscape for e in ctx.named_estimates}
    missing = [m for m in ctx.reference.mixtures if m not in covered]
    total = len(ctx.reference.mixtures)
    if len(missing) <= UNCOVERED_SHARE * total:
        return []
    shown = ", ".join(missing[:_MAX_LISTED]) + (" …" if len(missing) > _MAX_LISTED else "")
    return [warning("W_UNCOVERED_SOUNDSCAPES", ctx.shown(ctx.estimate_dir),
                    f"{len(missing)} of {total} reference soundscapes have no estimate file: {shown}")]
