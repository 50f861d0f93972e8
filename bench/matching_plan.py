"""The matching engine in-process: the region plan against scipy's linear_sum_assignment, and ranking.

Problems are made up but shaped like a region's: candidates and opportunities at real postcode
areas from the shipped data, occupations and skills from the shipped vocabulary, travel radii of
10–40 km, hours, start dates and language levels drawn with a fixed seed. The plan's figures:

- OR-Tools: the eligible pairs scored with numpy (``batch.eligible_pairs``), the min-cost flow
  (``plan.solve``), and the evaluation of every assignment for its explanation; in total that is
  ``plan.plan_region``.
- with a binding region-wide quota (``plan.solve_with_quotas``): 40% of the assignments for a
  random 30% of the candidates, how much of it the flow met and what it cost in score;
- baseline: scipy's ``linear_sum_assignment`` on the same problem as a dense candidates × slots
  matrix (a place of capacity k is k slots; a pair that is not eligible costs 0, the same as
  staying unassigned). Its total must equal the flow's: the run checks that too.

Ranking: ``batch.rank_opportunities`` (one candidate against all opportunities) and
``batch.rank_candidates`` (one opportunity against all candidates), each beside the same
ranking one ``domain.evaluate`` at a time (``domain.for_candidate`` / ``for_opportunity``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from bench.common import Report, Row, fmt_ms, percentile
from services.matching import geo
from services.matching.batch import Candidates, Opportunities, eligible_pairs, rank_candidates, rank_opportunities
from services.matching.domain import (
    Candidate,
    Kind,
    LanguageLevel,
    Opportunity,
    Ranking,
    evaluate,
    for_candidate,
    for_opportunity,
)
from services.matching.plan import UNASSIGNED, solve, solve_with_quotas
from services.matching.vocabulary import Vocabulary, load
from tests.support.servers import Servers

NAME = "matching"
TODAY = dt.date(2026, 12, 1)
T = TypeVar("T")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("matching")
    group.add_argument(
        "--plan-sizes",
        default="10000x2000,50000x5000",
        help="region plans to solve, candidates x places (each place 1-3 slots, 2 on average)",
    )
    group.add_argument(
        "--lsa-max-cells",
        type=float,
        default=1e9,
        help="largest candidates x slots matrix given to linear_sum_assignment (8 bytes a cell)",
    )
    group.add_argument(
        "--rank-opportunities", type=int, default=50_000, help="opportunities one candidate is ranked against"
    )
    group.add_argument(
        "--rank-candidates", type=int, default=100_000, help="candidates one opportunity is ranked against"
    )
    group.add_argument("--rank-repeats", type=int, default=20, help="rankings timed for the percentiles")


def _areas(prefixes: tuple[str, ...]) -> list[str]:
    return sorted(k for k in geo.points() if k.startswith(prefixes))


def make_candidates(n: int, areas: list[str], vocab: Vocabulary, rng: random.Random) -> list[Candidate]:
    skills, occupations = sorted(vocab.skills), sorted(vocab.occupations)
    out = []
    for i in range(n):
        wish = vocab.occupations[rng.choice(occupations)]
        known = rng.sample(wish.essential + wish.optional, rng.randint(0, len(wish.essential) + len(wish.optional)))
        hours_min = rng.choice([16, 24, 32])
        out.append(
            Candidate(
                id=f"cand-{i}",
                area=rng.choice(areas),
                skills=frozenset(known + rng.sample(skills, 3)),
                desired_occupations=(wish.id, *rng.sample(occupations, rng.randint(0, 1))),
                hours_min=hours_min,
                hours_max=rng.randint(hours_min, 40),
                available_from=TODAY + dt.timedelta(days=rng.randint(0, 60)),
                travel_radius_km=rng.uniform(10, 40),
                language_level=rng.choice([None, *LanguageLevel]),
                matching_consent=rng.random() < 0.95,
            )
        )
    return out


def make_opportunities(n: int, areas: list[str], vocab: Vocabulary, rng: random.Random) -> list[Opportunity]:
    occupations = sorted(vocab.occupations)
    totals = [rng.randint(1, 3) for _ in range(n)]
    while sum(totals) != 2 * n:  # exactly two slots a place on average, as the sizes say
        i = rng.randrange(n)
        totals[i] = min(3, totals[i] + 1) if sum(totals) < 2 * n else max(1, totals[i] - 1)
    out = []
    for i in range(n):
        occ = vocab.occupations[rng.choice(occupations)]
        kind = rng.choice(list(Kind))
        learning = kind in (Kind.BBL, Kind.INTERNSHIP)
        out.append(
            Opportunity(
                id=f"opp-{i}",
                kind=kind,
                occupation=occ.id,
                essential_skills=occ.essential,
                optional_skills=occ.optional,
                hours=rng.choice([16, 24, 32, 36, 38, 40]),
                start_date=TODAY + dt.timedelta(days=rng.randint(0, 90)),
                area=rng.choice(areas),
                open_until=TODAY + dt.timedelta(days=rng.randint(0, 90)),
                closed=False,
                places_total=totals[i],
                places_held=0,
                places_filled=0,
                crebo="90001" if learning else None,  # a made-up qualification code
                recognised_crebos=frozenset({"90001"}) if learning else frozenset(),
                language_required=rng.choice([None, LanguageLevel.A2, LanguageLevel.B1, LanguageLevel.B2]),
            )
        )
    return out


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def _plan(report: Report, n_cand: int, n_places: int, lsa_max_cells: float, vocab: Vocabulary) -> None:
    rng = random.Random(n_cand * 7 + n_places)
    # The 10,000 case is one province (Gelderland and around: PC4 6xxx-7xxx); larger ones all of the Netherlands.
    areas = _areas(("NL-6", "NL-7")) if n_cand <= 10_000 else _areas(("NL-",))
    cands = make_candidates(n_cand, areas, vocab, rng)
    opps = make_opportunities(n_places, areas, vocab, rng)
    (cs, os), t_build = timed(lambda: (Candidates.build(cands, vocab), Opportunities.build(opps, vocab, TODAY)))
    parts, t_pairs = timed(lambda: list(eligible_pairs(cs, os)))
    cand = np.concatenate([p[0] for p in parts])
    place = np.concatenate([p[1] for p in parts])
    units = np.round(np.concatenate([p[2] for p in parts]) * 1000).astype(np.int64)
    capacities = np.array([o.places_left for o in opps], dtype=np.int64)
    slots = int(capacities.sum())
    chosen, t_solve = timed(lambda: solve(n_cand, capacities, cand, place, units))
    worth = dict(zip(zip(cand.tolist(), place.tolist(), strict=True), units.tolist(), strict=True))
    flow_total = sum(worth[(i, p)] for i, p in enumerate(chosen.tolist()) if p != UNASSIGNED)
    assigned = int((chosen != UNASSIGNED).sum())
    pairs_chosen = [(cands[i], opps[p]) for i, p in enumerate(chosen.tolist()) if p != UNASSIGNED]
    _, t_explain = timed(lambda: [evaluate(c, o, vocab, geo.distance(c.area, o.area), TODAY) for c, o in pairs_chosen])
    label = f"plan {n_cand:,} × {n_places:,} ({slots:,} slots, {len(units):,} eligible pairs)"
    end_to_end = t_pairs + t_solve + t_explain
    report.rows.append(Row(f"{label}: OR-Tools min-cost flow", fmt_ms(t_solve), "", ""))
    report.rows.append(
        Row(
            f"{label}: scoring the pairs + flow + evaluating the {assigned:,} assignments",
            fmt_ms(end_to_end),
            f"target < {2 if n_cand <= 10_000 else 10} s",
            "PASS" if end_to_end < (2 if n_cand <= 10_000 else 10) else "FAIL",
        )
    )
    # A binding region-wide quota: 40% of the assignments for a group of 30% of the candidates.
    members = np.array(sorted(rng.sample(range(n_cand), n_cand * 3 // 10)), dtype=np.int64)
    wanted = assigned * 4 // 10
    (with_quota, counted), t_quota = timed(
        lambda: solve_with_quotas(n_cand, capacities, cand, place, units, [(members, wanted)])
    )
    quota_total = sum(worth[(i, p)] for i, p in enumerate(with_quota.tolist()) if p != UNASSIGNED)
    met = int((counted != UNASSIGNED).sum())
    free_met = int(np.isin(np.flatnonzero(chosen != UNASSIGNED), members).sum())
    with_quota_end = t_pairs + t_quota + t_explain
    report.rows.append(
        Row(
            f"{label}: the same with a quota of {wanted:,} places for a 30% group (free plan gives it {free_met:,})",
            f"{fmt_ms(t_quota)} flow, {fmt_ms(with_quota_end)} whole plan",
            f"met {met:,} of {wanted:,}; score {100 * quota_total / max(1, flow_total):.1f}% of the free plan's",
            "PASS" if with_quota_end < (2 if n_cand <= 10_000 else 10) else "FAIL",
        )
    )
    report.rows.append(Row(f"{label}: building the arrays (once per region)", fmt_ms(t_build)))
    data = {
        "candidates": n_cand,
        "places": n_places,
        "slots": slots,
        "pairs": len(units),
        "assigned": assigned,
        "build_s": t_build,
        "pairs_s": t_pairs,
        "solve_s": t_solve,
        "explain_s": t_explain,
        "total_milli_points": flow_total,
        "quota_wanted": wanted,
        "quota_met": met,
        "quota_solve_s": t_quota,
        "quota_total_milli_points": quota_total,
    }
    cells = n_cand * slots
    if cells > lsa_max_cells:
        report.notes.append(
            f"{label}: linear_sum_assignment not run: {cells:,} cells ({cells * 8 / 2**30:.1f} GiB as float64) "
            f"is over --lsa-max-cells {lsa_max_cells:,.0f}"
        )
    else:
        slot_place = np.repeat(np.arange(n_places), capacities)
        first_slot = np.concatenate([[0], np.cumsum(capacities)[:-1]])

        def lsa() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            cost = np.zeros((n_cand, slots))
            for k in range(int(capacities.max())):
                has = capacities[place] > k
                cost[cand[has], first_slot[place[has]] + k] = -units[has]
            rows, cols = linear_sum_assignment(cost)
            return cost, rows, cols

        (cost, rows, cols), t_lsa = timed(lsa)
        lsa_total = int(-cost[rows, cols].sum())
        per_place = np.bincount(slot_place[cols[cost[rows, cols] < 0]], minlength=n_places)
        assert (per_place <= capacities).all()
        same = "same total" if lsa_total == flow_total else f"TOTALS DIFFER: {lsa_total} vs {flow_total}"
        report.rows.append(
            Row(
                f"{label}: scipy linear_sum_assignment (dense)", fmt_ms(t_lsa), f"{t_lsa / t_solve:.1f}× the flow", same
            )
        )
        data["lsa_s"] = t_lsa
        data["lsa_total_milli_points"] = lsa_total
        del cost
    report.data.setdefault("plans", []).append(data)


def _rank_side(
    report: Report,
    what: str,
    subjects: Sequence[T],
    fast: Callable[[T], Ranking],
    slow: Callable[[T], Ranking],
    repeats: int,
    rng: random.Random,
) -> None:
    times = []
    for subject in rng.sample(list(subjects), repeats):
        started = time.perf_counter()
        fast(subject)
        times.append(time.perf_counter() - started)
    subject = rng.choice(subjects)
    slow_result, t_slow = timed(lambda: slow(subject))
    assert fast(subject) == slow_result, "the array engine must rank as domain does"
    p50, p95 = percentile(times, 50), percentile(times, 95)
    report.rows.append(
        Row(
            f"rank {what}: numpy, p50 / p95",
            f"{fmt_ms(p50)} / {fmt_ms(p95)}",
            f"{t_slow / p50:.0f}× faster than the baseline",
            "PASS" if p95 < 0.1 else "FAIL",
        )
    )
    report.rows.append(Row(f"rank {what}: one evaluate at a time (baseline)", fmt_ms(t_slow)))
    report.data.setdefault("rankings", []).append({"what": what, "p50_s": p50, "p95_s": p95, "baseline_s": t_slow})


def _ranking(report: Report, args: argparse.Namespace, vocab: Vocabulary) -> None:
    rng = random.Random(3)
    areas = _areas(("NL-",))
    opps = make_opportunities(args.rank_opportunities, areas, vocab, rng)
    cands = make_candidates(args.rank_candidates, areas, vocab, rng)
    os, t_os = timed(lambda: Opportunities.build(opps, vocab, TODAY))
    cs, t_cs = timed(lambda: Candidates.build(cands, vocab))
    _rank_side(
        report,
        f"1 candidate vs {len(opps):,} opportunities",
        cands,
        lambda c: rank_opportunities(c, os, vocab),
        lambda c: for_candidate(c, opps, vocab, geo.distance, TODAY),
        args.rank_repeats,
        rng,
    )
    _rank_side(
        report,
        f"1 opportunity vs {len(cands):,} candidates",
        opps,
        lambda o: rank_candidates(o, cs, vocab, TODAY),
        lambda o: for_opportunity(o, cands, vocab, geo.distance, TODAY),
        args.rank_repeats,
        rng,
    )
    report.notes.append(
        f"ranking arrays built once and kept: {len(opps):,} opportunities in {fmt_ms(t_os)}, "
        f"{len(cands):,} candidates in {fmt_ms(t_cs)}; the p95 target (100 ms) is for the HTTP answer to come"
    )


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """Plans and rankings; needs no server (the HTTP part comes with the API)."""
    del servers
    vocab = load()
    report = Report(NAME, "Matching engine in-process: region plan and rankings")
    for size in args.plan_sizes.split(","):
        n_cand, n_places = (int(x) for x in size.lower().split("x"))
        _plan(report, n_cand, n_places, args.lsa_max_cells, vocab)
    _ranking(report, args, vocab)
    return report
