"""The same filters and score as ``domain``, over arrays: one candidate against every opportunity, one
opportunity against every candidate, and every eligible pair of a region for its plan.

Ranking 50,000 opportunities one ``evaluate`` at a time takes seconds; here numpy scores them all,
and only the few that are shown are evaluated again by ``domain.evaluate``, whose facts the
explanation is made from. The test suite checks that both give the same filters and scores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from services.matching import geo
from services.matching.domain import (
    START_SLACK,
    WEIGHTS,
    Candidate,
    Evaluation,
    Kind,
    Opportunity,
    Ranking,
    Weights,
    evaluate,
    rank,
)
from services.matching.geo import EARTH_RADIUS_KM
from services.matching.vocabulary import Fit, Vocabulary

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
Bools = npt.NDArray[np.bool_]


def _masks(vocab: Vocabulary, groups: Sequence[Sequence[str]]) -> U64:
    """Each group of skills as a bit set, in as many 64-bit words as the vocabulary needs."""
    bit = {s: i for i, s in enumerate(sorted(vocab.skills))}
    words = (len(bit) + 63) // 64
    out = np.zeros((len(groups), words), dtype=np.uint64)
    for row, group in enumerate(groups):
        for skill in group:
            i = bit[skill]
            out[row, i // 64] |= np.uint64(1 << (i % 64))
    return out


def _coordinates(areas: Sequence[str]) -> tuple[F64, F64]:
    known = geo.points()
    missing = geo.Point(float("nan"), float("nan"), True)
    pts = [known.get(a, missing) for a in areas]
    return np.radians([p.lat for p in pts]), np.radians([p.lon for p in pts])


@dataclass(frozen=True, slots=True)
class Opportunities:
    """Opportunities as arrays; ``own_failed`` counts the filters that do not depend on the candidate (open,
    capacity, recognised company) that fail as of ``today``."""

    items: tuple[Opportunity, ...]
    today: dt.date
    lat: F64
    lon: F64
    hours: I64
    start: I64
    own_failed: I64
    occupation: I64
    essential: U64
    essential_total: I64
    optional: U64
    optional_total: I64
    language: I64

    @classmethod
    def build(cls, items: Sequence[Opportunity], vocab: Vocabulary, today: dt.date) -> Opportunities:
        occ = {o: i for i, o in enumerate(sorted(vocab.occupations))}
        lat, lon = _coordinates([o.area for o in items])

        def recognised(o: Opportunity) -> bool:
            return o.kind not in (Kind.BBL, Kind.INTERNSHIP) or (o.crebo is not None and o.crebo in o.recognised_crebos)

        return cls(
            items=tuple(items),
            today=today,
            lat=lat,
            lon=lon,
            hours=np.array([o.hours for o in items], dtype=np.int64),
            start=np.array([(o.start_date + START_SLACK).toordinal() for o in items], dtype=np.int64),
            own_failed=np.array(
                [
                    int(o.closed or o.open_until < today) + int(o.places_left <= 0) + int(not recognised(o))
                    for o in items
                ],
                dtype=np.int64,
            ),
            occupation=np.array([occ[o.occupation] for o in items], dtype=np.int64),
            essential=_masks(vocab, [o.essential_skills for o in items]),
            essential_total=np.array([len(o.essential_skills) for o in items], dtype=np.int64),
            optional=_masks(vocab, [o.optional_skills for o in items]),
            optional_total=np.array([len(o.optional_skills) for o in items], dtype=np.int64),
            language=np.array([o.language_required or 0 for o in items], dtype=np.int64),
        )


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidates as arrays; ``fit_points`` holds, per candidate, the occupation-fit points of every occupation."""

    items: tuple[Candidate, ...]
    lat: F64
    lon: F64
    radius: F64
    hours_min: I64
    hours_max: I64
    available: I64
    consent: Bools
    skills: U64
    language: I64
    fit_points: F64

    @classmethod
    def build(cls, items: Sequence[Candidate], vocab: Vocabulary, weights: Weights = WEIGHTS) -> Candidates:
        occupations = sorted(vocab.occupations)
        order = [Fit.EXACT, Fit.BROADER, Fit.RELATED]
        by_wish: dict[tuple[str, ...], list[float]] = {}
        for c in items:
            if c.desired_occupations not in by_wish:
                row = []
                for offered in occupations:
                    fits = [vocab.fit(w, offered) for w in c.desired_occupations]
                    best = min((order.index(f) for f in fits if f in order), default=None)
                    row.append(weights.for_fit(order[best]) if best is not None else 0.0)
                by_wish[c.desired_occupations] = row
        lat, lon = _coordinates([c.area for c in items])
        return cls(
            items=tuple(items),
            lat=lat,
            lon=lon,
            radius=np.array([c.travel_radius_km for c in items], dtype=np.float64),
            hours_min=np.array([c.hours_min for c in items], dtype=np.int64),
            hours_max=np.array([c.hours_max for c in items], dtype=np.int64),
            available=np.array([c.available_from.toordinal() for c in items], dtype=np.int64),
            consent=np.array([c.matching_consent for c in items], dtype=np.bool_),
            skills=_masks(vocab, [tuple(c.skills) for c in items]),
            language=np.array([c.language_level or 0 for c in items], dtype=np.int64),
            fit_points=np.array([by_wish[c.desired_occupations] for c in items], dtype=np.float64).reshape(
                len(items), len(occupations)
            ),
        )


def _covered(have: U64, want: U64) -> I64:
    counted: I64 = np.bitwise_count(have & want).sum(axis=1, dtype=np.int64)
    return counted


def score(cs: Candidates, ci: I64, os: Opportunities, oi: I64, weights: Weights = WEIGHTS) -> tuple[F64, I64]:
    """Score and number of failed filters of each pair (cs.items[ci[k]], os.items[oi[k]]), as ``domain`` has them."""
    c_lat, radius = cs.lat[ci], cs.radius[ci]
    o_lat = os.lat[oi]
    h = np.sin((o_lat - c_lat) / 2) ** 2 + np.cos(c_lat) * np.cos(o_lat) * np.sin((os.lon[oi] - cs.lon[ci]) / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))
    known = ~np.isnan(km)
    hours = os.hours[oi]
    failed = (
        (~cs.consent[ci]).astype(np.int64)
        + os.own_failed[oi]
        + ~(known & (km <= radius))
        + ~((cs.hours_min[ci] <= hours) & (hours <= cs.hours_max[ci]))
        + ~(cs.available[ci] <= os.start[oi])
    )
    skills = cs.skills[ci]
    ess_total, opt_total = os.essential_total[oi], os.optional_total[oi]
    essential = weights.essential * np.where(
        ess_total > 0, _covered(skills, os.essential[oi]) / np.maximum(ess_total, 1), 1.0
    )
    optional = weights.optional * np.where(
        opt_total > 0, _covered(skills, os.optional[oi]) / np.maximum(opt_total, 1), 1.0
    )
    occupation = cs.fit_points[ci, os.occupation[oi]]
    with np.errstate(invalid="ignore"):
        distance = np.where(known & (radius > 0), weights.distance * np.maximum(0.0, 1.0 - km / radius), 0.0)
    required, level = os.language[oi], cs.language[ci]
    language = np.where(
        required == 0,
        weights.language,
        np.where(level == 0, 0.0, weights.language * np.minimum(1.0, level / np.maximum(required, 1))),
    )
    return np.round(essential + optional + occupation + distance + language, 2), failed


def _shortlist(scores: F64, failed: I64, limit: int, misses: int) -> I64:
    """Indices of the pairs that can make the ranking: the best eligible and the best with one failed filter,
    with everything tied (within a rounding step) at the cut, so ``domain.rank`` makes the same choice."""
    picked: list[I64] = []
    for wanted, count in ((0, limit), (1, misses)):
        idx = np.flatnonzero(failed == wanted)
        if len(idx) > count:
            kth = np.partition(scores[idx], len(idx) - count)[len(idx) - count]
            idx = idx[scores[idx] >= kth - 0.01]
        picked.append(idx)
    return np.concatenate(picked)


def rank_opportunities(c: Candidate, os: Opportunities, vocab: Vocabulary, limit: int = 10, misses: int = 3) -> Ranking:
    """``domain.for_candidate`` over all of ``os``, the same answer, scored with numpy."""
    cs = Candidates.build([c], vocab)
    n = len(os.items)
    scores, failed = score(cs, np.zeros(n, dtype=np.int64), os, np.arange(n, dtype=np.int64))
    shortlist = _shortlist(scores, failed, limit, misses)
    return rank((_evaluate(c, os.items[j], vocab, os.today) for j in shortlist), limit, misses)


def rank_candidates(
    o: Opportunity, cs: Candidates, vocab: Vocabulary, today: dt.date, limit: int = 10, misses: int = 3
) -> Ranking:
    """``domain.for_opportunity`` over all of ``cs``, the same answer, scored with numpy."""
    os = Opportunities.build([o], vocab, today)
    n = len(cs.items)
    scores, failed = score(cs, np.arange(n, dtype=np.int64), os, np.zeros(n, dtype=np.int64))
    shortlist = _shortlist(scores, failed, limit, misses)
    return rank((_evaluate(cs.items[i], o, vocab, today) for i in shortlist), limit, misses)


def _evaluate(c: Candidate, o: Opportunity, vocab: Vocabulary, today: dt.date) -> Evaluation:
    return evaluate(c, o, vocab, geo.distance(c.area, o.area), today)


def eligible_pairs(cs: Candidates, os: Opportunities, rows: int = 128) -> Iterator[tuple[I64, I64, F64]]:
    """Every pair that passes all filters, with its score, a block of candidates at a time.

    Candidates go in stripes of 0.1° latitude, west to east within a stripe, so a block of them lies in
    a small box and only meets the opportunities in that box widened by the block's largest radius.
    Within the box the filters are checked on the
    block × band grid by broadcasting, the distance there by the flat-earth approximation with a 1 %
    margin (off by far less at a region's scale); only the pairs that pass are scored, with the exact
    haversine, and kept when ``score`` finds them eligible. That is what makes a whole region affordable."""
    located = np.flatnonzero(~np.isnan(cs.lat))  # a candidate in an unknown area is within no radius
    stripe = np.floor(np.degrees(cs.lat[located]) * 10)
    by_place = located[np.lexsort((cs.lon[located], stripe))]
    o_order = np.argsort(os.lat, kind="stable")  # NaN (unknown areas) sort last and fall outside every band
    o_lat_sorted = os.lat[o_order]
    for first in range(0, len(by_place), rows):
        ci_block = by_place[first : first + rows]
        c_lat, c_lon = cs.lat[ci_block], cs.lon[ci_block]
        margin = cs.radius[ci_block].max() * 1.01 / EARTH_RADIUS_KM
        lo, hi = np.searchsorted(o_lat_sorted, [c_lat.min() - margin, c_lat.max() + margin], side="left")
        band = o_order[lo:hi]
        # a degree of longitude is shortest at the box's edge furthest from the equator
        lon_margin = margin / max(1e-6, np.cos(min(np.pi / 2, np.abs(c_lat).max() + margin)))
        band = band[(os.lon[band] >= c_lon.min() - lon_margin) & (os.lon[band] <= c_lon.max() + lon_margin)]
        if len(band) == 0:
            continue
        o_lat, c_col = os.lat[band][None, :], c_lat[:, None]
        dx = (os.lon[band][None, :] - cs.lon[ci_block][:, None]) * np.cos((o_lat + c_col) / 2)
        dy = o_lat - c_col
        near = dx * dx + dy * dy <= (cs.radius[ci_block][:, None] * 1.01 / EARTH_RADIUS_KM) ** 2
        hours = os.hours[band][None, :]
        ok = (
            near
            & (os.own_failed[band] == 0)[None, :]
            & cs.consent[ci_block][:, None]
            & (cs.hours_min[ci_block][:, None] <= hours)
            & (hours <= cs.hours_max[ci_block][:, None])
            & (cs.available[ci_block][:, None] <= os.start[band][None, :])
        )
        r, k = np.nonzero(ok)
        ci, oi = ci_block[r].astype(np.int64), band[k].astype(np.int64)
        scores, failed = score(cs, ci, os, oi)
        keep = failed == 0  # the grid's margin lets through a few pairs just beyond the radius
        yield ci[keep], oi[keep], scores[keep]


def in_top(cs: Candidates, os: Opportunities, k: int = 10) -> Bools:
    """For each candidate: is it among the ``k`` best eligible candidates of at least one opportunity?"""
    parts = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)), *eligible_pairs(cs, os)]
    ci = np.concatenate([p[0] for p in parts])
    oi = np.concatenate([p[1] for p in parts])
    scores = np.concatenate([p[2] for p in parts])
    order = np.lexsort((ci, -scores, oi))  # by opportunity, best first, ties by candidate
    ci, oi = ci[order], oi[order]
    first = np.flatnonzero(np.r_[True, oi[1:] != oi[:-1]]) if len(oi) else np.zeros(0, np.int64)
    position = np.arange(len(oi)) - np.repeat(first, np.diff(np.r_[first, len(oi)]))
    top = np.zeros(len(cs.items), dtype=np.bool_)
    top[ci[position < k]] = True
    return top


A = TypeVar("A", "Candidates", "Opportunities")


def patched(base: A, changed: A, removed: Collection[str]) -> A:
    """``base`` with the items of ``changed`` put in (each replacing an item with its id) and ``removed`` taken out.

    Items keep no order that matters: rankings break ties by id, the plan by place.
    """
    if not changed.items and not removed:
        return base
    drop = set(removed) | {item.id for item in changed.items}
    keep = np.fromiter((item.id not in drop for item in base.items), dtype=np.bool_, count=len(base.items))
    values: dict[str, Any] = {}
    for f in dataclasses.fields(base):
        old, new = getattr(base, f.name), getattr(changed, f.name)
        if f.name == "items":
            values[f.name] = tuple(item for item, k in zip(old, keep.tolist(), strict=True) if k) + new
        elif isinstance(old, np.ndarray):
            values[f.name] = np.concatenate([old[keep], new])
        else:
            values[f.name] = old  # the date the filters were computed for; ``changed`` has the same
    return type(base)(**values)
