"""Candidates and opportunities for the matching tests: one that passes every filter, and hypothesis strategies."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import strategies as st

from services.matching.domain import Candidate, Kind, LanguageLevel, Opportunity
from services.matching.vocabulary import load

TODAY = dt.date(2026, 12, 1)
# Crebo codes in these tests are made up (90xxx); real ones come with the opportunities.
VOCAB = load()
SKILLS = sorted(VOCAB.skills)
OCCUPATIONS = sorted(VOCAB.occupations)
# Real areas in the shipped data, a few km to a few hundred km apart (Arnhem, Nijmegen, Utrecht, Kleve, Berlin).
AREAS = ("NL-6811", "NL-6511", "NL-3511", "DE-47533", "DE-10115")


def candidate(**changes: Any) -> Candidate:
    base = Candidate(
        id="cand-1",
        area="NL-6811",
        skills=frozenset({"tig-welding", "mag-welding", "read-technical-drawings"}),
        desired_occupations=("welder",),
        hours_min=24,
        hours_max=40,
        available_from=TODAY,
        travel_radius_km=40.0,
        language_level=LanguageLevel.B1,
        matching_consent=True,
    )
    return dataclasses.replace(base, **changes)


def opportunity(**changes: Any) -> Opportunity:
    occupation = VOCAB.occupations["welder"]
    base = Opportunity(
        id="opp-1",
        kind=Kind.BBL,
        occupation="welder",
        essential_skills=occupation.essential,
        optional_skills=occupation.optional,
        hours=32,
        start_date=TODAY + dt.timedelta(days=30),
        area="NL-6511",
        open_until=TODAY + dt.timedelta(days=60),
        closed=False,
        places_total=2,
        places_held=0,
        places_filled=0,
        crebo="90001",
        recognised_crebos=frozenset({"90001"}),
        language_required=LanguageLevel.B1,
    )
    return dataclasses.replace(base, **changes)


levels = st.none() | st.sampled_from(list(LanguageLevel))


@st.composite
def candidates(draw: st.DrawFn, ident: str = "c") -> Candidate:
    hours_min = draw(st.integers(8, 40))
    return Candidate(
        id=ident,
        area=draw(st.sampled_from(AREAS)),
        skills=frozenset(draw(st.lists(st.sampled_from(SKILLS), max_size=12))),
        desired_occupations=tuple(draw(st.lists(st.sampled_from(OCCUPATIONS), min_size=1, max_size=3))),
        hours_min=hours_min,
        hours_max=draw(st.integers(hours_min, 40)),
        available_from=TODAY + dt.timedelta(days=draw(st.integers(0, 120))),
        travel_radius_km=draw(st.floats(5, 150)),
        language_level=draw(levels),
        matching_consent=draw(st.booleans()),
    )


@st.composite
def opportunities(draw: st.DrawFn, ident: str = "o") -> Opportunity:
    occupation = VOCAB.occupations[draw(st.sampled_from(OCCUPATIONS))]
    kind = draw(st.sampled_from(list(Kind)))
    crebo = draw(st.sampled_from(["90001", "90002", "90003"])) if kind in (Kind.BBL, Kind.INTERNSHIP) else None
    total = draw(st.integers(1, 4))
    return Opportunity(
        id=ident,
        kind=kind,
        occupation=occupation.id,
        essential_skills=occupation.essential,
        optional_skills=occupation.optional,
        hours=draw(st.integers(8, 40)),
        start_date=TODAY + dt.timedelta(days=draw(st.integers(0, 90))),
        area=draw(st.sampled_from(AREAS)),
        open_until=TODAY + dt.timedelta(days=draw(st.integers(-10, 90))),
        closed=draw(st.booleans()),
        places_total=total,
        places_held=draw(st.integers(0, total)),
        places_filled=0,
        crebo=crebo,
        recognised_crebos=frozenset(draw(st.lists(st.sampled_from(["90001", "90002", "90003"]), max_size=2))),
        language_required=draw(levels),
    )
