"""The engine's view of the database: rows as ``domain`` objects, and an in-process copy of every
candidate and open opportunity as arrays (``batch``), kept current by the tables' generations.

Ranking one candidate against 50,000 opportunities takes milliseconds once they are arrays;
reading and converting them all takes seconds. So each process keeps the arrays and checks on
every request, with one indexed read, whether a table changed since (its generation, bumped in
every writer's transaction: ``migrations/001_matching.sql``). If it did, it reads only the rows
written since, in one snapshot together with the generation, and patches its copy (a changed
row replaces its old self, or leaves the copy when it no longer qualifies, and a deleted row
(an erasure), found among the recent removals, leaves it too). Only a copy older than the
removals housekeeping still keeps is read whole. The copy is never behind what was committed before the
request started: a withdrawn consent or an erasure shows in the next suggestion at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from services.matching import geo
from services.matching.batch import Candidates, Opportunities, patched
from services.matching.db import candidates as candidate_store
from services.matching.db import opportunities as opportunity_store
from services.matching.db.generations import changed_since, generation, removed_since
from services.matching.domain import Candidate, Kind, LanguageLevel, Opportunity
from services.matching.vocabulary import Vocabulary, load
from shared.db import Connection

A = TypeVar("A", Candidates, Opportunities)


def level(value: str | None) -> LanguageLevel | None:
    """A CEFR level from its name."""
    return LanguageLevel[value] if value else None


def in_pool(row: Any) -> bool:
    """A candidate the engine may suggest: matching consent, and a trajectory that is not over."""
    return bool(row["matching_consent"]) and row["trajectory_status"] in ("intake", "active")


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
        matching_consent=in_pool(row),
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
class Copy(Generic[A]):
    generation: int
    key: Any
    value: A


class Cached(Generic[A]):
    """One table's arrays, patched when its generation moved, read whole when the removals it would need
    are forgotten or when ``key`` (such as today's date, which some filters depend on) changed."""

    def __init__(
        self,
        what: str,
        read_all: Callable[[Connection], Awaitable[Sequence[Any]]],
        qualifies: Callable[[Any], bool],
    ) -> None:
        self._what = what
        self._read_all = read_all
        self._qualifies = qualifies
        self._copy: Copy[A] | None = None
        self._lock = asyncio.Lock()

    def _current(self, key: Any, at: int) -> A | None:
        copy = self._copy
        if copy is not None and copy.key == key and copy.generation == at:
            return copy.value
        return None

    async def get(self, pool: asyncpg.Pool, key: Any, build: Callable[[Sequence[Any]], A]) -> A:
        async with pool.acquire() as conn:
            value = self._current(key, (await generation(conn, self._what))[0])
            if value is not None:
                return value
            async with self._lock:
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    at, forgotten = await generation(conn, self._what)
                    value = self._current(key, at)
                    if value is not None:
                        return value
                    copy = self._copy
                    deleted: list[str] = []
                    if copy is None or copy.key != key or copy.generation < forgotten:
                        copy = None
                        rows = await self._read_all(conn)
                    else:
                        rows = await changed_since(conn, self._what, copy.generation)
                        deleted = await removed_since(conn, self._what, copy.generation)
                if copy is None:
                    value = await asyncio.to_thread(build, rows)
                    # A whole copy is hundreds of thousands of objects that live until the next whole
                    # read. Left to the cyclic garbage collector, every full collection walks them all
                    # (some 250 ms here at 10,000 candidates), and pages that make many short-lived
                    # objects set one off every other request. Frozen, collections skip them; they are
                    # still freed by reference counting when a later copy replaces them.
                    gc.freeze()
                else:
                    fresh = [r for r in rows if self._qualifies(r)]
                    gone = {self._id(r) for r in rows if not self._qualifies(r)} | set(deleted)
                    changed = await asyncio.to_thread(build, fresh)
                    value = patched(copy.value, changed, gone)
                self._copy = Copy(at, key, value)
                return value

    def _id(self, row: Any) -> str:
        return str(row["participant_id"] if self._what == "candidates" else row["id"])


class Engine:
    """The in-process copies one service process keeps (``runtime.extensions["engine"]``)."""

    def __init__(self) -> None:
        self.vocab = load()
        self._candidates: Cached[Candidates] = Cached("candidates", candidate_store.pool, in_pool)
        self._opportunities: Cached[Opportunities] = Cached(
            "opportunities", opportunity_store.open_for_engine, lambda row: row["closed_at"] is None
        )

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
