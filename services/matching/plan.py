"""The region plan: an optimal assignment of candidates to places under every place's capacity.

Min-cost flow (OR-Tools): source → each candidate (1) → each eligible place (1, cost −score) →
sink (the place's free capacity); an arc from the source straight to the sink carries the
candidates left unassigned, so the flow is always feasible and a candidate is only assigned where
it adds score. Scores are integers (milli-points) because the solver's costs are; the same
integers are what greedy and brute force compare against in the tests.

A region-wide quota ("at least 40 places for women") is a layer of its own: a node per quota
that sends units, each through one member of the group (a member has a gate of capacity 1, so
they are still assigned at most once) into a place. A max flow over the members' edges first
finds the most the quotas can have together; the quotas' common node then must send exactly
that, so the plan meets every quota as far as members fit, and among such plans it is the best
by score. A member counts towards one quota at most. Target groups decide only who may pass a
quota's node, never a score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import max_flow, min_cost_flow

from services.matching import geo
from services.matching.batch import Candidates, Opportunities, eligible_pairs
from services.matching.domain import Evaluation, evaluate
from services.matching.vocabulary import Vocabulary

UNASSIGNED = -1
IntArray = npt.NDArray[np.int64]


def score_units(score: float) -> int:
    """A score in the solver's integer unit (thousandths of a point)."""
    return round(score * 1000)


def solve(n_candidates: int, capacities: IntArray, cand: IntArray, place: IntArray, units: IntArray) -> IntArray:
    """For each candidate the index of its place, or UNASSIGNED; edges are (cand[i], place[i]) worth units[i]."""
    chosen, _ = solve_with_quotas(n_candidates, capacities, cand, place, units)
    return chosen


def _ints(*parts: npt.ArrayLike) -> IntArray:
    return np.concatenate([np.zeros(0, np.int64), *(np.asarray(p, dtype=np.int64) for p in parts)])


def solve_with_quotas(
    n_candidates: int,
    capacities: IntArray,
    cand: IntArray,
    place: IntArray,
    units: IntArray,
    quotas: Sequence[tuple[IntArray, int]] = (),
) -> tuple[IntArray, IntArray]:
    """``solve``, meeting as much as it can of the quotas (each: the candidates who are members, how many of them
    to assign); and for each candidate the index of the quota it was counted for, or UNASSIGNED."""
    keep = units > 0  # an edge worth nothing never beats staying unassigned
    cand, place, units = cand[keep], place[keep], units[keep]
    n_places, n_quotas = len(capacities), len(quotas)
    members = [np.unique(np.asarray(m, dtype=np.int64)) for m, _ in quotas]
    wanted = [int(min(max(0, q), len(m))) for m, (_, q) in zip(members, quotas, strict=True)]
    gated = np.unique(_ints(*members))  # members of some quota pass a gate of capacity 1
    # nodes: candidates, places, source, sink, the quotas' pool, each quota, each gate
    source, sink, pool = n_candidates + n_places, n_candidates + n_places + 1, n_candidates + n_places + 2
    first_quota = pool + 1
    gate_of = np.full(n_candidates, -1, dtype=np.int64)
    gate_of[gated] = first_quota + n_quotas + np.arange(len(gated), dtype=np.int64)
    entry = np.where(gate_of >= 0, gate_of, np.arange(n_candidates, dtype=np.int64))  # where a unit comes in
    into_gates = _ints(*(gate_of[m] for m in members))
    # arcs, in this order: the bypass of the unassigned, source → each candidate, gate → member, the edges,
    # place → sink, pool → quota, quota → gate
    parts: list[tuple[npt.ArrayLike, ...]] = [
        ([source], [sink], [n_candidates], [0]),
        (np.full(n_candidates, source), entry, np.ones(n_candidates), np.zeros(n_candidates)),
        (gate_of[gated], gated, np.ones(len(gated)), np.zeros(len(gated))),
        (cand, n_candidates + place, np.ones(len(cand)), -units),
        (n_candidates + np.arange(n_places), np.full(n_places, sink), capacities, np.zeros(n_places)),
        (np.full(n_quotas, pool), first_quota + np.arange(n_quotas), wanted, np.zeros(n_quotas)),
        (
            _ints(*(np.full(len(m), first_quota + k) for k, m in enumerate(members))),
            into_gates,
            np.ones(len(into_gates)),
            np.zeros(len(into_gates)),
        ),
    ]
    tails, heads, caps, costs = (_ints(*(p[i] for p in parts)) for i in range(4))
    first_edge = 1 + n_candidates + len(gated)
    first_quota_arc = first_edge + len(cand) + n_places + n_quotas
    # First the most the quotas can have together (a max flow over the members' edges alone), then the best
    # plan that gives them exactly that: feasible, so no penalty needs to outweigh the scores.
    quota_only = np.ones(len(tails), dtype=np.bool_)
    quota_only[: first_edge - len(gated)] = False
    quota_only[first_edge : first_edge + len(cand)] = gate_of[cand] >= 0
    most = 0
    if n_quotas:
        reach = max_flow.SimpleMaxFlow()
        reach.add_arcs_with_capacity(tails[quota_only], heads[quota_only], caps[quota_only])
        if reach.solve(pool, sink) != reach.OPTIMAL:
            raise RuntimeError("max flow over the quotas failed")  # cannot happen: every capacity is finite
        most = int(reach.optimal_flow())
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(source, n_candidates)
    flow.set_node_supply(pool, most)
    flow.set_node_supply(sink, -n_candidates - most)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")  # cannot happen: the bypass keeps it feasible
    used = flow.flows(np.arange(first_edge, first_edge + len(cand), dtype=np.int64)) > 0
    result = np.full(n_candidates, UNASSIGNED, dtype=np.int64)
    result[cand[used]] = place[used]
    counted = np.full(n_candidates, UNASSIGNED, dtype=np.int64)
    arc = first_quota_arc
    for k, m in enumerate(members):
        through = flow.flows(np.arange(arc, arc + len(m), dtype=np.int64)) > 0
        counted[m[through]] = k
        arc += len(m)
    return result, counted


@dataclass(frozen=True, slots=True)
class Plan:
    """Each assigned candidate's evaluation (with its explanation's facts); the rest are unassigned.

    ``reserved`` names the candidates who got a place reserved for their target group, and which;
    ``counted`` the candidates counted towards a region-wide quota, and whose.
    """

    assigned: tuple[Evaluation, ...]
    unassigned: tuple[str, ...]
    reserved: tuple[tuple[str, str], ...] = ()
    counted: tuple[tuple[str, str], ...] = ()

    def met(self, group: str) -> int:
        """How many assignments count towards ``group``'s quota."""
        return sum(1 for _, g in self.counted if g == group)

    @property
    def total_units(self) -> int:
        return sum(score_units(e.score) for e in self.assigned)


def plan_evaluations(
    candidates: Sequence[str], places_left: Mapping[str, int], evaluations: Sequence[Evaluation]
) -> Plan:
    """The optimal plan over evaluations already made (a coach's selection, say); ineligible ones are ignored.
    For a whole region use ``plan_region``, which finds and scores the eligible pairs itself."""
    cand_index = {c: i for i, c in enumerate(candidates)}
    place_ids = list(places_left)
    place_index = {p: i for i, p in enumerate(place_ids)}
    usable = [e for e in evaluations if e.eligible and e.candidate in cand_index and e.opportunity in place_index]
    chosen = solve(
        len(candidates),
        np.array([max(0, places_left[p]) for p in place_ids], dtype=np.int64),
        np.array([cand_index[e.candidate] for e in usable], dtype=np.int64),
        np.array([place_index[e.opportunity] for e in usable], dtype=np.int64),
        np.array([score_units(e.score) for e in usable], dtype=np.int64),
    )
    by_pair = {(cand_index[e.candidate], place_index[e.opportunity]): e for e in usable}
    assigned = tuple(by_pair[(i, int(p))] for i, p in enumerate(chosen) if p != UNASSIGNED)
    unassigned = tuple(c for i, c in enumerate(candidates) if chosen[i] == UNASSIGNED)
    return Plan(assigned, unassigned)


@dataclass(frozen=True, slots=True)
class Reservation:
    """Explicit, visible policy: ``places`` of an opportunity's free places are for members of ``group`` only.

    The rest of its places stay open to everyone (members too). Never a weight: the score is the same.
    """

    opportunity: str
    group: str
    places: int


@dataclass(frozen=True, slots=True)
class Quota:
    """Explicit, visible policy across the whole region: at least ``places`` assignments go to members of
    ``group`` when there are members who fit that many places. Never a weight: the score is the same."""

    group: str
    places: int


def plan_region(
    cs: Candidates,
    os: Opportunities,
    vocab: Vocabulary,
    reservations: Sequence[Reservation] = (),
    groups: Mapping[str, frozenset[str]] | None = None,
    quotas: Sequence[Quota] = (),
) -> Plan:
    """The optimal plan for all of a region's candidates and opportunities, each assignment evaluated to explain it.

    With ``reservations``, each opportunity's free places are split: the reserved ones are nodes
    of their own that only members of the group (``groups``: candidate id → target groups) reach.
    With ``quotas``, the plan meets each as far as the members' eligible places allow (``solve_with_quotas``).
    """
    parts = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)), *eligible_pairs(cs, os)]
    cand = np.concatenate([p[0] for p in parts])
    place = np.concatenate([p[1] for p in parts])
    units = np.round(np.concatenate([p[2] for p in parts]) * 1000).astype(np.int64)
    capacities = np.array([max(0, o.places_left) for o in os.items], dtype=np.int64)
    # Reserved places become extra nodes after the opportunities; node_of maps each back to its opportunity.
    index = {o.id: i for i, o in enumerate(os.items)}
    node_of, group_of = list(range(len(os.items))), [""] * len(os.items)
    extra_cand, extra_node, extra_units = [cand], [place], [units]
    member_of = groups or {}
    for r in reservations:
        i = index.get(r.opportunity)
        if i is None:
            continue
        taken = int(min(max(0, r.places), capacities[i]))
        if taken == 0:
            continue
        capacities[i] -= taken
        capacities = np.append(capacities, taken)
        node = len(node_of)
        node_of.append(i)
        group_of.append(r.group)
        on_it = np.flatnonzero(place == i)
        members = [r.group in member_of.get(cs.items[c].id, frozenset()) for c in cand[on_it].tolist()]
        on_it = on_it[np.array(members, dtype=np.bool_)]
        extra_cand.append(cand[on_it])
        extra_node.append(np.full(len(on_it), node, dtype=np.int64))
        extra_units.append(units[on_it])
    ids = [c.id for c in cs.items]
    layer = [
        (np.array([i for i, c in enumerate(ids) if q.group in member_of.get(c, frozenset())], np.int64), q.places)
        for q in quotas
    ]
    chosen, counted = solve_with_quotas(
        len(cs.items),
        capacities,
        np.concatenate(extra_cand),
        np.concatenate(extra_node),
        np.concatenate(extra_units),
        layer,
    )
    picks = [(i, int(n)) for i, n in enumerate(chosen.tolist()) if n != UNASSIGNED]
    assigned = tuple(
        evaluate(
            cs.items[i],
            os.items[node_of[n]],
            vocab,
            geo.distance(cs.items[i].area, os.items[node_of[n]].area),
            os.today,
        )
        for i, n in picks
    )
    unassigned = tuple(cs.items[i].id for i, n in enumerate(chosen.tolist()) if n == UNASSIGNED)
    reserved = tuple((cs.items[i].id, group_of[n]) for i, n in picks if group_of[n])
    towards = tuple((ids[i], quotas[k].group) for i, k in enumerate(counted.tolist()) if k != UNASSIGNED)
    return Plan(assigned, unassigned, reserved, towards)
