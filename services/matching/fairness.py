"""The fairness report: outcomes per target group and per intersection of two, against everyone else.

Pure: it reads one record per candidate in the eligible pool and counts. Target groups are read
here and nowhere in the score (``domain``); this is what they are for. A figure resting on fewer
than ``MIN_CELL`` people is not shown (None), and neither is a ratio to a rest that small. A ratio
below ``FLAG_BELOW`` (the four-fifths rule) is flagged.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_CELL = 10
FLAG_BELOW = 0.8
METRICS = ("top10_share", "proposals_per_100", "acceptance", "placements_per_100")


@dataclass(frozen=True, slots=True)
class Person:
    """One candidate's outcomes; ``groups`` are the target groups they declared (with consent)."""

    groups: frozenset[str]
    in_top10: bool  # among the ten best candidates of at least one open opportunity
    proposals: int
    answered: int  # proposals the employer answered (interested or declined)
    accepted: int  # proposals the employer was interested in
    placed: bool
    days_to_placement: float | None


@dataclass(frozen=True, slots=True)
class Row:
    group: str  # one target group, or two joined by "+"
    people: int | None
    figures: dict[str, float | None]
    median_days_to_placement: float | None
    ratios: dict[str, float | None]  # the group's figure over the rest's
    flagged: tuple[str, ...]  # metrics whose ratio is below FLAG_BELOW


def _figure(people: Sequence[Person], metric: str) -> float | None:
    """One metric over ``people``, or None when fewer than MIN_CELL people stand behind it."""
    if len(people) < MIN_CELL:
        return None
    if metric == "top10_share":
        return sum(p.in_top10 for p in people) / len(people)
    if metric == "proposals_per_100":
        return 100 * sum(p.proposals for p in people) / len(people)
    if metric == "placements_per_100":
        return 100 * sum(p.placed for p in people) / len(people)
    answered = [p for p in people if p.answered]
    if len(answered) < MIN_CELL:
        return None
    return sum(p.accepted for p in answered) / sum(p.answered for p in answered)


def _median_days(people: Sequence[Person]) -> float | None:
    days = [p.days_to_placement for p in people if p.days_to_placement is not None]
    return statistics.median(days) if len(days) >= MIN_CELL else None


def _row(name: str, wanted: frozenset[str], pool: Sequence[Person]) -> Row:
    inside = [p for p in pool if wanted <= p.groups]
    rest = [p for p in pool if not wanted <= p.groups]
    if len(inside) < MIN_CELL:
        empty: dict[str, float | None] = dict.fromkeys(METRICS)
        return Row(name, None, empty, None, dict(empty), ())
    figures = {m: _figure(inside, m) for m in METRICS}
    ratios: dict[str, float | None] = {}
    for m in METRICS:
        mine, theirs = figures[m], _figure(rest, m)
        ratios[m] = None if mine is None or not theirs else round(mine / theirs, 3)
    flagged = tuple(m for m in METRICS if (r := ratios[m]) is not None and r < FLAG_BELOW)
    rounded = {m: None if v is None else round(v, 3) for m, v in figures.items()}
    return Row(name, len(inside), rounded, _median_days(inside), ratios, flagged)


def report(pool: Sequence[Person]) -> list[Row]:
    """A row per target group and per pair of target groups that occur, in name order."""
    groups = sorted({g for p in pool for g in p.groups})
    rows = [_row(g, frozenset({g}), pool) for g in groups]
    rows += [_row(f"{a}+{b}", frozenset({a, b}), pool) for a, b in itertools.combinations(groups, 2)]
    return rows
