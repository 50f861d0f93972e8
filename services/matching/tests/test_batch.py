"""The array engine gives the same filters, scores and rankings as ``domain`` one pair at a time."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching import geo
from services.matching.batch import (
    Candidates,
    Opportunities,
    eligible_pairs,
    rank_candidates,
    rank_opportunities,
    score,
)
from services.matching.domain import Candidate, Opportunity, evaluate, for_candidate, for_opportunity
from services.matching.plan import plan_evaluations, plan_region
from services.matching.tests.factories import TODAY, VOCAB, candidates, opportunities

many_candidates = st.lists(candidates(), min_size=1, max_size=8).map(
    lambda cs: [dataclasses.replace(c, id=f"c{i}") for i, c in enumerate(cs)]
)
many_opportunities = st.lists(opportunities(), min_size=1, max_size=15).map(
    lambda os: [dataclasses.replace(o, id=f"o{i}") for i, o in enumerate(os)]
)


@settings(max_examples=120)
@given(many_candidates, many_opportunities)
def test_every_pair_scores_and_fails_as_domain_says(cands: list[Candidate], opps: list[Opportunity]) -> None:
    cs, os = Candidates.build(cands, VOCAB), Opportunities.build(opps, VOCAB, TODAY)
    ci = np.repeat(np.arange(len(cands)), len(opps))
    oi = np.tile(np.arange(len(opps)), len(cands))
    scores, failed = score(cs, ci, os, oi)
    for k, (i, j) in enumerate(zip(ci, oi, strict=True)):
        e = evaluate(cands[i], opps[j], VOCAB, geo.distance(cands[i].area, opps[j].area), TODAY)
        assert scores[k] == e.score
        assert failed[k] == len(e.failed)
    eligible = {
        (cands[i].id, opps[j].id) for part in eligible_pairs(cs, os, rows=3) for i, j in zip(*part[:2], strict=True)
    }
    expected = {
        (c.id, o.id) for c in cands for o in opps if evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY).eligible
    }
    assert eligible == expected


@settings(max_examples=120)
@given(many_candidates, many_opportunities)
def test_rankings_are_the_same_as_one_at_a_time(cands: list[Candidate], opps: list[Opportunity]) -> None:
    cs, os = Candidates.build(cands, VOCAB), Opportunities.build(opps, VOCAB, TODAY)
    for c in cands:
        assert rank_opportunities(c, os, VOCAB, limit=3, misses=2) == for_candidate(
            c, opps, VOCAB, geo.distance, TODAY, limit=3, misses=2
        )
    for o in opps:
        assert rank_candidates(o, cs, VOCAB, TODAY, limit=3, misses=2) == for_opportunity(
            o, cands, VOCAB, geo.distance, TODAY, limit=3, misses=2
        )


@settings(max_examples=80)
@given(many_candidates, many_opportunities)
def test_the_region_plan_from_arrays_is_as_good_as_from_evaluations(
    cands: list[Candidate], opps: list[Opportunity]
) -> None:
    fast = plan_region(Candidates.build(cands, VOCAB), Opportunities.build(opps, VOCAB, TODAY), VOCAB)
    evaluations = [evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY) for c in cands for o in opps]
    slow = plan_evaluations([c.id for c in cands], {o.id: o.places_left for o in opps}, evaluations)
    assert fast.total_units == slow.total_units
    assert len(fast.assigned) + len(fast.unassigned) == len(cands)
