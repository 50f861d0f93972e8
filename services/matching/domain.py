"""Matching rules, pure: the hard filters, the additive score with versioned weights, and explanations.

Target groups are never an input: ``Candidate`` has no field for them (nor for gender, age or
origin), and every function here reads only a ``Candidate`` and an ``Opportunity``.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum, IntEnum

from services.matching.geo import Distance
from services.matching.vocabulary import Fit, Vocabulary

WEIGHTS_VERSION = "2026-12-01.1"


@dataclass(frozen=True, slots=True)
class Weights:
    """Points each part of the score can give at most; the total of a perfect match is their sum (100)."""

    essential: float = 45.0  # × share of the opportunity's essential skills the candidate has
    optional: float = 10.0  # × share of its optional skills
    occupation: tuple[tuple[Fit, float], ...] = ((Fit.EXACT, 25.0), (Fit.BROADER, 15.0), (Fit.RELATED, 8.0))
    distance: float = 15.0  # × (1 − km / the candidate's travel radius)
    language: float = 5.0  # when the candidate's Dutch (or German) is at the level asked, else in proportion

    def for_fit(self, fit: Fit) -> float:
        return dict(self.occupation).get(fit, 0.0)


WEIGHTS = Weights()
START_SLACK = dt.timedelta(days=28)  # a candidate free within four weeks of the start still fits


class Kind(Enum):
    VACANCY = "vacancy"
    BBL = "bbl"
    INTERNSHIP = "internship"
    HYBRID_TEACHER = "hybrid_teacher"


class LanguageLevel(IntEnum):
    """CEFR levels, ordered so that a higher level covers a lower one."""

    A1 = 1
    A2 = 2
    B1 = 3
    B2 = 4
    C1 = 5
    C2 = 6


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the score may read about a person: skills, wishes and availability, nothing about who they are."""

    id: str
    area: str  # postcode area key, see geo.area_key
    skills: frozenset[str]
    desired_occupations: tuple[str, ...]
    hours_min: int
    hours_max: int
    available_from: dt.date
    travel_radius_km: float
    language_level: LanguageLevel | None
    matching_consent: bool


@dataclass(frozen=True, slots=True)
class Opportunity:
    id: str
    kind: Kind
    occupation: str
    essential_skills: tuple[str, ...]
    optional_skills: tuple[str, ...]
    hours: int
    start_date: dt.date
    area: str
    open_until: dt.date
    closed: bool
    places_total: int
    places_held: int
    places_filled: int
    crebo: str | None  # the qualification of a BBL place or internship
    recognised_crebos: frozenset[str]  # qualifications its employer is a recognised learning company for
    language_required: LanguageLevel | None

    @property
    def places_left(self) -> int:
        return self.places_total - self.places_held - self.places_filled


class Filter(Enum):
    CONSENT = "consent"
    OPEN = "open"
    CAPACITY = "capacity"
    RECOGNISED = "recognised"
    RADIUS = "radius"
    HOURS = "hours"
    START = "start"


@dataclass(frozen=True, slots=True)
class Check:
    filter: Filter
    passed: bool


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the score and its explanation are computed from, so one can be checked against the other."""

    essential_total: int
    essential_missing: tuple[str, ...]
    optional_total: int
    optional_covered: int
    fit: Fit
    wanted: str | None  # the desired occupation that gave the fit
    distance: Distance
    radius_km: float
    language_level: LanguageLevel | None
    language_required: LanguageLevel | None


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    points: float


def score_parts(facts: Facts, weights: Weights = WEIGHTS) -> tuple[Part, ...]:
    """The additive score, part by part; its total is the sum of the parts' points."""
    covered = facts.essential_total - len(facts.essential_missing)
    essential = weights.essential * (covered / facts.essential_total if facts.essential_total else 1.0)
    optional = weights.optional * (facts.optional_covered / facts.optional_total if facts.optional_total else 1.0)
    km = facts.distance.km
    distance = (
        weights.distance * max(0.0, 1.0 - km / facts.radius_km) if km is not None and facts.radius_km > 0 else 0.0
    )
    if facts.language_required is None:
        language = weights.language
    elif facts.language_level is None:
        language = 0.0
    else:
        language = weights.language * min(1.0, facts.language_level / facts.language_required)
    return (
        Part("essential", essential),
        Part("optional", optional),
        Part("occupation", weights.for_fit(facts.fit)),
        Part("distance", distance),
        Part("language", language),
    )


@dataclass(frozen=True, slots=True)
class Evaluation:
    candidate: str
    opportunity: str
    occupation: str
    kind: Kind
    crebo: str | None
    checks: tuple[Check, ...]
    facts: Facts
    parts: tuple[Part, ...]
    weights_version: str = WEIGHTS_VERSION

    @property
    def score(self) -> float:
        return round(sum(p.points for p in self.parts), 2)

    @property
    def failed(self) -> tuple[Filter, ...]:
        return tuple(c.filter for c in self.checks if not c.passed)

    @property
    def eligible(self) -> bool:
        return not self.failed


def _best_fit(vocab: Vocabulary, desired: Iterable[str], offered: str) -> tuple[Fit, str | None]:
    order = [Fit.EXACT, Fit.BROADER, Fit.RELATED]
    best: tuple[Fit, str | None] = (Fit.NONE, None)
    for wanted in desired:
        fit = vocab.fit(wanted, offered)
        if fit in order and (best[0] not in order or order.index(fit) < order.index(best[0])):
            best = (fit, wanted)
    return best


def checks(c: Candidate, o: Opportunity, distance: Distance, today: dt.date) -> tuple[Check, ...]:
    """Every hard filter, each recorded by name; an unknown distance cannot be within the radius."""
    needs_recognition = o.kind in (Kind.BBL, Kind.INTERNSHIP)
    return (
        Check(Filter.CONSENT, c.matching_consent),
        Check(Filter.OPEN, not o.closed and o.open_until >= today),
        Check(Filter.CAPACITY, o.places_left > 0),
        Check(Filter.RECOGNISED, not needs_recognition or (o.crebo is not None and o.crebo in o.recognised_crebos)),
        Check(Filter.RADIUS, distance.km is not None and distance.km <= c.travel_radius_km),
        Check(Filter.HOURS, c.hours_min <= o.hours <= c.hours_max),
        Check(Filter.START, c.available_from <= o.start_date + START_SLACK),
    )


def evaluate(
    c: Candidate, o: Opportunity, vocab: Vocabulary, distance: Distance, today: dt.date, weights: Weights = WEIGHTS
) -> Evaluation:
    """Filters and score of one candidate for one opportunity."""
    fit, wanted = _best_fit(vocab, c.desired_occupations, o.occupation)
    facts = Facts(
        essential_total=len(o.essential_skills),
        essential_missing=tuple(s for s in o.essential_skills if s not in c.skills),
        optional_total=len(o.optional_skills),
        optional_covered=sum(1 for s in o.optional_skills if s in c.skills),
        fit=fit,
        wanted=wanted,
        distance=distance,
        radius_km=c.travel_radius_km,
        language_level=c.language_level,
        language_required=o.language_required,
    )
    return Evaluation(
        c.id, o.id, o.occupation, o.kind, o.crebo, checks(c, o, distance, today), facts, score_parts(facts, weights)
    )


@dataclass(frozen=True, slots=True)
class Ranking:
    """The best eligible matches, and the nearest misses: high scorers that failed exactly one filter."""

    suggestions: tuple[Evaluation, ...]
    near_misses: tuple[Evaluation, ...]


def rank(evaluations: Iterable[Evaluation], limit: int = 10, misses: int = 3) -> Ranking:
    """Best first; ties broken by id so that a ranking is the same on every run."""
    eligible: list[Evaluation] = []
    near: list[Evaluation] = []
    for e in evaluations:
        failed = len(e.failed)
        if failed == 0:
            eligible.append(e)
        elif failed == 1:
            near.append(e)

    def key(e: Evaluation) -> tuple[float, str, str]:
        return (-e.score, e.opportunity, e.candidate)

    return Ranking(tuple(heapq.nsmallest(limit, eligible, key=key)), tuple(heapq.nsmallest(misses, near, key=key)))


DistanceOf = Callable[[str, str], Distance]


def for_candidate(
    c: Candidate,
    opportunities: Iterable[Opportunity],
    vocab: Vocabulary,
    distance: DistanceOf,
    today: dt.date,
    limit: int = 10,
    misses: int = 3,
) -> Ranking:
    """The best opportunities for one candidate."""
    return rank((evaluate(c, o, vocab, distance(c.area, o.area), today) for o in opportunities), limit, misses)


def for_opportunity(
    o: Opportunity,
    candidates: Iterable[Candidate],
    vocab: Vocabulary,
    distance: DistanceOf,
    today: dt.date,
    limit: int = 10,
    misses: int = 3,
) -> Ranking:
    """The best candidates for one opportunity."""
    return rank((evaluate(c, o, vocab, distance(c.area, o.area), today) for c in candidates), limit, misses)


# The match flow. A proposal holds a place while it waits for the employer, an interview or a
# start; placed turns the hold into a filled place; retained is checked at 3, 6 and 12 months.
HOLDING = frozenset({"proposed", "interested", "interview"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"interested", "declined", "withdrawn", "expired"}),
    "interested": frozenset({"interview", "placed", "declined", "withdrawn", "expired"}),
    "interview": frozenset({"placed", "declined", "withdrawn", "expired"}),
    "placed": frozenset({"retained", "ended"}),
    "retained": frozenset({"retained", "ended"}),
}
RETENTION_MONTHS = (3, 6, 12)


def may_move(status: str, to: str) -> bool:
    """True when a proposal in ``status`` may take the step to ``to``."""
    return to in TRANSITIONS.get(status, frozenset())


def next_retention(done: int | None) -> int | None:
    """The retention milestone after ``done`` months (None: none yet), or None after the last."""
    if done is None:
        return RETENTION_MONTHS[0]
    later = [m for m in RETENTION_MONTHS if m > done]
    return later[0] if later else None
