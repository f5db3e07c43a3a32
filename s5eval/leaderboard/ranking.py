"""System and team ranking.

Higher is better for every ranked figure (dB and %). Ranks follow standard
competition ranking ("1224", :func:`scipy.stats.rankdata` with
``method="min"``): systems with equal figures (equal after rounding to
``decimals``) share a rank, the next rank skips. Systems without a figure
(failed, or every mixture excluded) come last and share the last rank.

Team ranking: a team's figure is its best system's; teams are ranked like
systems, teams without a scored system last.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.stats import rankdata

TIE_DECIMALS = 6


def competition_ranks(values: Sequence[float | None], decimals: int = TIE_DECIMALS) -> list[int]:
    """Rank of each value (1 = highest); ties share the best rank; None ranks last (all together)."""
    scored = [i for i, v in enumerate(values) if v is not None]
    last = len(scored) + 1
    ranks = [last] * len(values)
    if scored:
        rounded = np.round(np.array([float(v) for v in values if v is not None], dtype=np.float64), decimals)
        for i, rank in zip(scored, rankdata(-rounded, method="min")):
            ranks[i] = int(rank)
    return ranks


def ranking_order(labels: Sequence[str], values: Sequence[float | None], decimals: int = TIE_DECIMALS) -> list[int]:
    """Indices sorted by rank, then label (so equal ranks list in a stable order)."""
    ranks = competition_ranks(values, decimals)
    return sorted(range(len(labels)), key=lambda i: (ranks[i], labels[i]))


@dataclass(frozen=True)
class TeamEntry:
    team: str
    best_label: str | None       # the team's best system (None: no scored system)
    value: float | None
    rank: int
    systems: tuple[str, ...]


def team_ranking(labels: Sequence[str], teams: Sequence[str], values: Sequence[float | None],
                 decimals: int = TIE_DECIMALS) -> list[TeamEntry]:
    """One entry per team with its best system, in rank order."""
    members: dict[str, list[int]] = {}
    for i, team in enumerate(teams):
        members.setdefault(team, []).append(i)
    best: dict[str, int | None] = {}
    for team, idx in members.items():
        scored = [(i, v) for i in idx if (v := values[i]) is not None]
        best[team] = min(scored, key=lambda iv: (-iv[1], labels[iv[0]]))[0] if scored else None
    names = sorted(members)
    team_values = [None if (b := best[t]) is None else values[b] for t in names]
    ranks = competition_ranks(team_values, decimals)
    entries = [TeamEntry(t, None if (b := best[t]) is None else labels[b], v, r,
                         tuple(sorted(labels[i] for i in members[t])))
               for t, v, r in zip(names, team_values, ranks)]
    return sorted(entries, key=lambda e: (e.rank, e.team))
