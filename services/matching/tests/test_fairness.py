"""The fairness report as a pure function, and the top-10 count over arrays against a pair-by-pair count."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching import geo
from services.matching.batch import Candidates, Opportunities, in_top
from services.matching.domain import Candidate, Opportunity, evaluate
from services.matching.fairness import MIN_CELL, Person, report
from services.matching.tests.factories import TODAY, VOCAB, candidates, opportunities

BASE = Person(frozenset(), in_top10=True, proposals=1, answered=1, accepted=1, placed=True, days_to_placement=10.0)


def people(count: int, groups: set[str], **changes: Any) -> list[Person]:
    return [dataclasses.replace(BASE, groups=frozenset(groups), **changes) for _ in range(count)]


def test_a_group_doing_worse_is_flagged_against_the_rest_and_small_cells_are_hidden() -> None:
    pool = [
        *people(20, {"woman"}, in_top10=False, accepted=0),
        *people(20, {"woman"}),
        *people(40, set()),
        *people(MIN_CELL - 1, {"refugee_with_permit"}),
        *people(5, {"woman", "age_45_plus"}),
    ]
    rows = {r.group: r for r in report(pool)}
    woman = rows["woman"]
    assert woman.people == 45
    assert woman.ratios["top10_share"] is not None
    assert woman.ratios["top10_share"] < 0.8
    assert "top10_share" in woman.flagged
    assert "acceptance" in woman.flagged
    assert "placements_per_100" not in woman.flagged
    assert woman.median_days_to_placement == 10.0
    hidden = rows["refugee_with_permit"]
    assert hidden.people is None
    assert set(hidden.figures.values()) == {None}
    assert hidden.flagged == ()
    assert rows["age_45_plus+woman"].people is None  # an intersection of five


def test_nobody_in_a_group_gives_no_row_and_nothing_is_divided_by_zero() -> None:
    assert report([]) == []
    rows = report(people(12, {"woman"}, proposals=0, answered=0, accepted=0, placed=False, days_to_placement=None))
    [row] = rows
    assert row.figures["acceptance"] is None
    assert row.ratios["top10_share"] is None  # the rest is empty


@settings(max_examples=40, deadline=None)
@given(
    st.lists(candidates(), min_size=1, max_size=12).map(
        lambda cs: [dataclasses.replace(c, id=f"c{i:02d}") for i, c in enumerate(cs)]
    ),
    st.lists(opportunities(), min_size=1, max_size=5).map(
        lambda os: [dataclasses.replace(o, id=f"o{i:02d}") for i, o in enumerate(os)]
    ),
    st.integers(1, 4),
)
def test_in_top_counts_the_same_as_ranking_every_opportunity_pair_by_pair(
    cs: list[Candidate], os: list[Opportunity], k: int
) -> None:
    top = in_top(Candidates.build(cs, VOCAB), Opportunities.build(os, VOCAB, TODAY), k)
    expected: set[str] = set()
    for o in os:
        scored = [evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY) for c in cs]
        best = sorted((e for e in scored if e.eligible), key=lambda e: (-e.score, e.candidate))[:k]
        expected |= {e.candidate for e in best}
    assert {c.id for c, t in zip(cs, top.tolist(), strict=True) if t} == expected
