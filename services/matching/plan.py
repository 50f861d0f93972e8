"""The region plan: an optimal assignment of candidates to places under every place's capacity.

Min-cost flow (OR-Tools): source → each candidate (1) → each eligible place (1, cost −score) →
sink (the place's free capacity); every candidate also has an arc straight to the sink at cost 0,
the "unassigned" option, so the flow of one unit per candidate is always feasible and a candidate
is only assigned where it adds score. Scores are integers (milli-points) because the solver's
costs are; the same integers are what greedy and brute force compare against in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

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
    keep = units > 0  # an edge worth nothing never beats staying unassigned
    cand, place, units = cand[keep], place[keep], units[keep]
    n_places = len(capacities)
    source, sink = n_candidates + n_places, n_candidates + n_places + 1
    people = np.arange(n_candidates, dtype=np.int64)
    places = np.arange(n_places, dtype=np.int64)
    tails = np.concatenate([np.full(n_candidates, source), cand, n_candidates + places, people])
    heads = np.concatenate([people, n_candidates + place, np.full(n_places, sink), np.full(n_candidates, sink)])
    caps = np.concatenate([np.ones(n_candidates), np.ones(len(cand)), capacities, np.ones(n_candidates)])
    costs = np.concatenate([np.zeros(n_candidates), -units, np.zeros(n_places), np.zeros(n_candidates)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps.astype(np.int64), costs.astype(np.int64))
    flow.set_node_supply(source, n_candidates)
    flow.set_node_supply(sink, -n_candidates)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")  # cannot happen: unassigned keeps it feasible
    start = n_candidates
    used = flow.flows(np.arange(start, start + len(cand), dtype=np.int64)) > 0
    result = np.full(n_candidates, UNASSIGNED, dtype=np.int64)
    result[cand[used]] = place[used]
    return result


@dataclass(frozen=True, slots=True)
class Plan:
    """Each assigned candidate's evaluation (with its explanation's facts); the rest are unassigned.

    ``reserved`` names the candidates who got a place reserved for their target group, and which.
    """

    assigned: tuple[Evaluation, ...]
    unassigned: tuple[str, ...]
    reserved: tuple[tuple[str, str], ...] = ()

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


def plan_region(
    cs: Candidates,
    os: Opportunities,
    vocab: Vocabulary,
    reservations: Sequence[Reservation] = (),
    groups: Mapping[str, frozenset[str]] | None = None,
) -> Plan:
    """The optimal plan for all of a region's candidates and opportunities, each assignment evaluated to explain it.

    With ``reservations``, each opportunity's free places are split: the reserved ones are nodes
    of their own that only members of the group (``groups``: candidate id → target groups) reach.
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
    chosen = solve(
        len(cs.items), capacities, np.concatenate(extra_cand), np.concatenate(extra_node), np.concatenate(extra_units)
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
    return Plan(assigned, unassigned, reserved)
