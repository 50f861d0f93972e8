"""The region plan: capacities hold, never worse than greedy, optimal on cases small enough to try every plan."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching import geo
from services.matching.batch import Candidates, Opportunities
from services.matching.domain import Candidate, Opportunity, evaluate
from services.matching.explain import explain
from services.matching.plan import (
    UNASSIGNED,
    Quota,
    Reservation,
    plan_evaluations,
    plan_region,
    score_units,
    solve,
    solve_with_quotas,
)
from services.matching.tests.factories import TODAY, VOCAB, candidate, candidates, opportunities, opportunity

Edge = tuple[int, int, int]


@st.composite
def problems(draw: st.DrawFn, max_candidates: int = 6, max_places: int = 4) -> tuple[int, list[int], list[Edge]]:
    n = draw(st.integers(1, max_candidates))
    capacities = draw(st.lists(st.integers(0, 3), min_size=1, max_size=max_places))
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, len(capacities) - 1))))
    edges = [(c, p, draw(st.integers(-5_000, 100_000))) for c, p in sorted(pairs)]
    return n, capacities, edges


def run(n: int, capacities: list[int], edges: list[Edge]) -> np.ndarray:
    arr = np.array(edges, dtype=np.int64).reshape(-1, 3)
    return solve(n, np.array(capacities, dtype=np.int64), arr[:, 0], arr[:, 1], arr[:, 2])


def total(chosen: np.ndarray | tuple[int, ...], edges: list[Edge]) -> int:
    worth = {(c, p): u for c, p, u in edges}
    return sum(worth[(c, int(p))] for c, p in enumerate(chosen) if p != UNASSIGNED)


def greedy(n: int, capacities: list[int], edges: list[Edge]) -> tuple[int, ...]:
    left = list(capacities)
    chosen = [UNASSIGNED] * n
    for c, p, u in sorted(edges, key=lambda e: -e[2]):
        if u > 0 and chosen[c] == UNASSIGNED and left[p] > 0:
            chosen[c], left[p] = p, left[p] - 1
    return tuple(chosen)


def brute_force(n: int, capacities: list[int], edges: list[Edge]) -> int:
    options = [[UNASSIGNED] + [p for c2, p, _ in edges if c2 == c] for c in range(n)]
    best = 0
    for chosen in itertools.product(*options):
        used = [sum(1 for p in chosen if p == place) for place in range(len(capacities))]
        if all(u <= cap for u, cap in zip(used, capacities, strict=True)):
            best = max(best, total(chosen, edges))
    return best


@settings(max_examples=300)
@given(problems())
def test_capacities_hold_each_candidate_once_and_only_on_its_own_edges(
    problem: tuple[int, list[int], list[Edge]],
) -> None:
    n, capacities, edges = problem
    chosen = run(n, capacities, edges)
    assert len(chosen) == n
    for place, cap in enumerate(capacities):
        assert int((chosen == place).sum()) <= cap
    allowed = {(c, p) for c, p, _ in edges}
    assert all((c, int(p)) in allowed for c, p in enumerate(chosen) if p != UNASSIGNED)


@settings(max_examples=300)
@given(problems())
def test_the_plan_is_never_below_greedy_and_equals_the_brute_force_optimum(
    problem: tuple[int, list[int], list[Edge]],
) -> None:
    n, capacities, edges = problem
    planned = total(run(n, capacities, edges), edges)
    assert planned >= total(greedy(n, capacities, edges), edges)
    assert planned == brute_force(n, capacities, edges)


def test_greedy_is_beaten_where_it_takes_the_one_place_two_people_want() -> None:
    # Ann fits both places, Bob only the first; greedy gives Ann the first and leaves Bob out.
    edges = [(0, 0, 90_000), (0, 1, 80_000), (1, 0, 85_000)]
    assert total(greedy(2, [1, 1], edges), edges) == 90_000
    assert list(run(2, [1, 1], edges)) == [1, 0]


def test_nobody_is_placed_where_it_adds_nothing_and_an_empty_problem_is_feasible() -> None:
    assert list(run(2, [3], [(0, 0, 0), (1, 0, -10)])) == [UNASSIGNED, UNASSIGNED]
    assert list(solve(3, np.array([], dtype=np.int64), *(np.array([], dtype=np.int64),) * 3)) == [UNASSIGNED] * 3


@settings(max_examples=60)
@given(st.lists(candidates(), min_size=1, max_size=6), st.lists(opportunities(), min_size=1, max_size=4))
def test_the_region_plan_keeps_capacity_and_explains_each_assignment(
    drawn_candidates: list[Candidate], drawn_opportunities: list[Opportunity]
) -> None:
    cands = [dataclasses.replace(c, id=f"c{i}") for i, c in enumerate(drawn_candidates)]
    opps = [dataclasses.replace(o, id=f"o{i}") for i, o in enumerate(drawn_opportunities)]
    evaluations = [evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY) for c in cands for o in opps]
    plan = plan_evaluations([c.id for c in cands], {o.id: o.places_left for o in opps}, evaluations)
    assert len(plan.assigned) + len(plan.unassigned) == len(cands)
    for o in opps:
        assert sum(1 for e in plan.assigned if e.opportunity == o.id) <= max(0, o.places_left)
    assert all(e.eligible for e in plan.assigned)
    assert all(explain(e, VOCAB, "en") for e in plan.assigned)
    eligible = [(int(e.candidate[1:]), int(e.opportunity[1:]), score_units(e.score)) for e in evaluations if e.eligible]
    capacities = [max(0, o.places_left) for o in opps]
    assert plan.total_units == brute_force(len(cands), capacities, eligible)


def test_one_place_two_candidates_the_better_one_gets_it() -> None:
    good, weak = candidate(id="good"), candidate(id="weak", skills=frozenset())
    o = opportunity(places_total=1)
    evaluations = [evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY) for c in (good, weak)]
    plan = plan_evaluations(["good", "weak"], {o.id: o.places_left}, evaluations)
    assert [e.candidate for e in plan.assigned] == ["good"]
    assert plan.unassigned == ("weak",)


def test_a_reserved_place_goes_to_a_member_of_its_group_and_the_plan_says_so() -> None:
    best = candidate(id="c-best", skills=frozenset(VOCAB.occupations["welder"].essential))
    member = candidate(id="c-member")
    place = opportunity(id="o-1", places_total=1)
    cs, os = Candidates.build([best, member], VOCAB), Opportunities.build([place], VOCAB, TODAY)
    open_plan = plan_region(cs, os, VOCAB)
    assert [e.candidate for e in open_plan.assigned] == ["c-best"]
    assert open_plan.reserved == ()
    groups = {"c-member": frozenset({"woman"})}
    reserved = plan_region(cs, os, VOCAB, [Reservation("o-1", "woman", 1)], groups)
    assert [e.candidate for e in reserved.assigned] == ["c-member"]
    assert reserved.reserved == (("c-member", "woman"),)
    assert (
        reserved.assigned[0].score == evaluate(member, place, VOCAB, geo.distance(member.area, place.area), TODAY).score
    )  # the same score: a reservation is policy, not a weight
    nobody = plan_region(cs, os, VOCAB, [Reservation("o-1", "refugee_with_permit", 1)], groups)
    assert nobody.assigned == ()
    assert set(nobody.unassigned) == {"c-best", "c-member"}


Quotas = tuple[list[frozenset[int]], list[int]]


@st.composite
def quota_problems(draw: st.DrawFn) -> tuple[int, list[int], list[Edge], Quotas]:
    n, capacities, edges = draw(problems(max_candidates=5, max_places=3))
    member_of = draw(st.lists(st.frozensets(st.integers(0, 1)), min_size=n, max_size=n))
    return n, capacities, edges, (member_of, draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)))


def met(chosen: Sequence[int], quotas: Quotas) -> int:
    """How much of two quotas a plan can meet, each assigned member counting for one group at most."""
    member_of, (q0, q1) = quotas
    assigned = [member_of[c] for c, p in enumerate(chosen) if p != UNASSIGNED]
    only0 = sum(1 for g in assigned if g == {0})
    only1 = sum(1 for g in assigned if g == {1})
    both = sum(1 for g in assigned if g == {0, 1})
    to0 = min(both, max(0, q0 - only0))
    return min(q0, only0 + to0) + min(q1, only1 + both - to0)


def greedy_with_quotas(n: int, capacities: list[int], edges: list[Edge], quotas: Quotas) -> list[int]:
    """Each quota filled first with its members' best edges, then everyone greedily."""
    member_of, wanted = quotas
    left, chosen = list(capacities), [UNASSIGNED] * n
    ordered = sorted(edges, key=lambda e: -e[2])
    for group, q in enumerate(wanted):
        taken = 0
        for c, p, u in ordered:
            if taken < q and u > 0 and group in member_of[c] and chosen[c] == UNASSIGNED and left[p] > 0:
                chosen[c], left[p], taken = p, left[p] - 1, taken + 1
    for c, p, u in ordered:
        if u > 0 and chosen[c] == UNASSIGNED and left[p] > 0:
            chosen[c], left[p] = p, left[p] - 1
    return chosen


def best_by_brute_force(n: int, capacities: list[int], edges: list[Edge], quotas: Quotas) -> tuple[int, int]:
    """The most of the quotas any plan meets, and the best score among the plans that meet that much."""
    options = [[UNASSIGNED] + [p for c2, p, u in edges if c2 == c and u > 0] for c in range(n)]
    best = (0, 0)
    for chosen in itertools.product(*options):
        if all(chosen.count(place) <= cap for place, cap in enumerate(capacities)):
            best = max(best, (met(chosen, quotas), total(chosen, edges)))
    return best


@settings(max_examples=200)
@given(quota_problems())
def test_quotas_are_met_when_they_can_be_capacities_hold_and_the_plan_beats_greedy_under_the_same_quotas(
    problem: tuple[int, list[int], list[Edge], Quotas],
) -> None:
    n, capacities, edges, quotas = problem
    member_of, wanted = quotas
    arr = np.array(edges, dtype=np.int64).reshape(-1, 3)
    layer = [(np.array([c for c in range(n) if g in member_of[c]], dtype=np.int64), q) for g, q in enumerate(wanted)]
    chosen, counted = solve_with_quotas(n, np.array(capacities, dtype=np.int64), arr[:, 0], arr[:, 1], arr[:, 2], layer)
    for place, cap in enumerate(capacities):
        assert int((chosen == place).sum()) <= cap
    allowed = {(c, p) for c, p, _ in edges}
    assert all((c, int(p)) in allowed for c, p in enumerate(chosen) if p != UNASSIGNED)
    for c, group in enumerate(counted.tolist()):
        if group != UNASSIGNED:
            assert chosen[c] != UNASSIGNED
            assert group in member_of[c]
    assert all(int((counted == g).sum()) <= q for g, q in enumerate(wanted))
    plan = (met(chosen.tolist(), quotas), total(chosen, edges))
    assert plan[0] == int((counted != UNASSIGNED).sum())  # the plan says which assignments meet the quotas
    assert plan == best_by_brute_force(n, capacities, edges, quotas)
    greedy_plan = greedy_with_quotas(n, capacities, edges, quotas)
    assert plan >= (met(greedy_plan, quotas), total(tuple(greedy_plan), edges))


def test_a_region_wide_quota_moves_places_to_the_group_only_as_far_as_its_members_fit() -> None:
    strong = [candidate(id=f"c-strong-{i}", skills=frozenset(VOCAB.occupations["welder"].essential)) for i in range(3)]
    members = [candidate(id=f"c-member-{i}") for i in range(2)]
    places = [opportunity(id="o-1", places_total=2), opportunity(id="o-2", places_total=1)]
    cs, os = Candidates.build([*strong, *members], VOCAB), Opportunities.build(places, VOCAB, TODAY)
    groups = {m.id: frozenset({"age_45_plus"}) for m in members}
    free = plan_region(cs, os, VOCAB, groups=groups)
    assert {e.candidate for e in free.assigned} == {c.id for c in strong}
    one = plan_region(cs, os, VOCAB, groups=groups, quotas=[Quota("age_45_plus", 1)])
    assert len(one.assigned) == 3
    assert one.met("age_45_plus") == 1
    assert sum(1 for e in one.assigned if e.candidate in groups) == 1
    assert one.total_units < free.total_units  # the policy has a visible price, paid in the fewest points
    more = plan_region(cs, os, VOCAB, groups=groups, quotas=[Quota("age_45_plus", 5)])
    assert more.met("age_45_plus") == 2  # only two members: the rest of the places stay open to all
    assert len(more.assigned) == 3
