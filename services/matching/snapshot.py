"""The engine's view of the database: rows as ``domain`` objects, and an in-process copy of every
candidate and opportunity as arrays (``batch``), kept current by the tables' generations.

Ranking one candidate against 50,000 opportunities takes milliseconds once they are arrays;
reading and converting them takes about a second. So each process keeps the arrays and checks on
every request, with one indexed read, whether a table changed since (its generation, bumped in
every writer's transaction: ``migrations/001_matching.sql``); only then it reads the table again,
in one snapshot together with the generation, so the copy is never behind what was committed
before the request started. A withdrawn consent or an erasure therefore shows in the next
suggestion at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from services.matching import geo
from services.matching.batch import Candidates, Opportunities
from services.matching.db import candidates as candidate_store
from services.matching.db import opportunities as opportunity_store
from services.matching.db.generations import generation
from services.matching.domain import Candidate, Kind, LanguageLevel, Opportunity
from services.matching.vocabulary import Vocabulary, load
from shared.db import Connection

T = TypeVar("T")


def level(value: str | None) -> LanguageLevel | None:
    """A CEFR level from its name."""
    return LanguageLevel[value] if value else None


def candidate_of(row: Any, vocab: Vocabulary) -> Candidate:
    """A candidate as the score may read it: skills and wishes the vocabulary knows, availability, consent.

    Target groups, age group and situation are not passed on: the score never reads them. A coach
    who has not said from when someone is available leaves them available now.
    """
    area = geo.area_key("NL", row["postcode_area"]) if row["postcode_area"] else "NL-unknown"
    return Candidate(
        id=str(row["participant_id"]),
        area=area,
        skills=frozenset(s for s in row["skills"] if s in vocab.skills),
        desired_occupations=tuple(o for o in row["desired_occupations"] if o in vocab.occupations),
        hours_min=row["hours_min"],
        hours_max=row["hours_max"],
        available_from=row["available_from"] or dt.date.min,
        travel_radius_km=float(row["travel_radius_km"]),
        language_level=level(row["language_level"]),
        matching_consent=bool(row["matching_consent"]) and row["trajectory_status"] in ("intake", "active"),
    )


def opportunity_of(row: Any) -> Opportunity:
    """An opportunity as the filters and score read it; a stale or closed one is not open."""
    crebo = row["crebo"]
    return Opportunity(
        id=str(row["id"]),
        kind=Kind(row["kind"]),
        occupation=row["occupation"],
        essential_skills=tuple(row["essential_skills"]),
        optional_skills=tuple(row["optional_skills"]),
        hours=row["hours"],
        start_date=row["start_date"],
        area=geo.area_key(row["country"], row["postcode"]),
        open_until=row["open_until"],
        closed=row["closed_at"] is not None or row["stale_since"] is not None,
        places_total=row["places_total"],
        places_held=row["places_held"],
        places_filled=row["places_filled"],
        crebo=crebo,
        recognised_crebos=frozenset({crebo}) if crebo and row["recognised"] else frozenset(),
        language_required=level(row["language_required"]),
    )


@dataclass(frozen=True)
class Copy(Generic[T]):
    generation: int
    key: Any
    value: T


class Cached(Generic[T]):
    """One table's arrays, rebuilt when its generation (or ``key``, such as today's date) changed."""

    def __init__(self, what: str, read: Callable[[Connection], Awaitable[Sequence[Any]]]) -> None:
        self._what = what
        self._read = read
        self._copy: Copy[T] | None = None
        self._lock = asyncio.Lock()

    async def get(self, pool: asyncpg.Pool, key: Any, build: Callable[[Sequence[Any]], T]) -> T:
        async with pool.acquire() as conn:
            current = await generation(conn, self._what)
            copy = self._copy
            if copy is not None and copy.generation == current and copy.key == key:
                return copy.value
            async with self._lock:
                copy = self._copy
                if copy is not None and copy.generation >= current and copy.key == key:
                    return copy.value
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    seen = await generation(conn, self._what)
                    rows = await self._read(conn)
                value = await asyncio.to_thread(build, rows)
                self._copy = Copy(seen, key, value)
                return value


class Engine:
    """The in-process copies one service process keeps (``runtime.extensions["engine"]``)."""

    def __init__(self) -> None:
        self.vocab = load()
        self._candidates: Cached[Candidates] = Cached("candidates", candidate_store.pool)
        self._opportunities: Cached[Opportunities] = Cached("opportunities", opportunity_store.open_for_engine)

    async def candidates(self, pool: asyncpg.Pool) -> Candidates:
        """Every candidate the engine may suggest, as arrays."""
        return await self._candidates.get(
            pool, None, lambda rows: Candidates.build([candidate_of(r, self.vocab) for r in rows], self.vocab)
        )

    async def opportunities(self, pool: asyncpg.Pool, today: dt.date) -> Opportunities:
        """Every opportunity not closed, as arrays, with the filters that depend on the date as of ``today``."""
        return await self._opportunities.get(
            pool, today, lambda rows: Opportunities.build([opportunity_of(r) for r in rows], self.vocab, today)
        )
