"""Loads a :class:`DemoRegion` into running services through their public HTTP APIs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.tooling.demo.dataset import CATEGORY_OF_SITUATION, DemoRegion

TokenFor = Callable[[str, str], str]  # (role, sub) -> signed token
Advance = Callable[[str, int], None]  # (step description, requests done) -> None
CONCURRENCY = 8
# Vouchers learns of new participants and courses from intake's events, a moment later.
READ_MODEL_WAIT_SECONDS = 30.0


class DemoError(RuntimeError):
    """The demo cannot be loaded; the message says why and what to do."""


@dataclass
class DemoSummary:
    """What was created."""

    counts: dict[str, int] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, identifier: str) -> None:
        """Count one created thing."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.ids.setdefault(kind, []).append(identifier)


def applicants_of(demo: DemoRegion) -> list[int]:
    """Indexes of the participants who apply for a voucher: the first eligible ones."""
    eligible = [i for i, (_, body) in enumerate(demo.participants) if body["situation"] in CATEGORY_OF_SITUATION]
    return eligible[: demo.applicants]


def request_count(demo: DemoRegion) -> int:
    """How many requests loading ``demo`` makes (for a progress bar)."""
    courses = sum(len(c) for _, c in demo.providers)
    organisations = len(demo.coaches) + len(demo.employers) + len(demo.providers) + courses
    return organisations + len(demo.participants) + 1 + len(applicants_of(demo))


class DemoLoader:
    """Sends the demo region to the services, a step at a time."""

    def __init__(self, clients: Mapping[str, httpx.AsyncClient], token_for: TokenFor, advance: Advance) -> None:
        self._clients = clients
        self._token_for = token_for
        self._advance = advance
        self.summary = DemoSummary()

    def _auth(self, role: str, sub: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token_for(role, sub)}"}

    async def _post(self, service: str, path: str, body: dict[str, Any], role: str, sub: str) -> dict[str, Any]:
        response = await self._clients[service].post(path, json=body, headers=self._auth(role, sub))
        waited = 0.0
        while response.status_code == 422 and "not known" in response.text and waited < READ_MODEL_WAIT_SECONDS:
            await asyncio.sleep(0.5)
            waited += 0.5
            response = await self._clients[service].post(path, json=body, headers=self._auth(role, sub))
        if response.status_code >= 300:
            detail = response.json().get("detail", response.text) if response.content else response.reason_phrase
            raise DemoError(f"{service} refused POST {path} ({response.status_code}): {detail}")
        result: dict[str, Any] = response.json()
        return result

    async def _each(self, step: str, items: list[Any], send: Callable[[Any], Awaitable[None]]) -> None:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(item: Any) -> None:
            async with gate:
                await send(item)
                self._advance(step, 1)

        await asyncio.gather(*(one(i) for i in items))

    async def load(self, demo: DemoRegion) -> DemoSummary:
        """Load everything; refuses when the demo region is already there."""
        admin = ("admin", "demo-admin")
        first_coach = demo.coaches[0]["id"]
        existing = await self._clients["intake"].get(f"/coaches/{first_coach}", headers=self._auth(*admin))
        if existing.status_code == 200:
            raise DemoError(
                f"the demo region {demo.region!r} is already loaded (coach {first_coach} exists); "
                "start from an empty folder (regionet down, then remove .regionet/) to load it again"
            )

        async def coach(body: dict[str, Any]) -> None:
            created = await self._post("intake", "/coaches", body, *admin)
            self.summary.add("coaches", created["id"])

        async def employer(body: dict[str, Any]) -> None:
            created = await self._post("intake", "/employers", body, *admin)
            self.summary.add("employers", created["id"])

        async def provider(entry: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
            body, courses = entry
            created = await self._post("intake", "/providers", body, *admin)
            self.summary.add("providers", created["id"])
            self._advance("providers and courses", 1)
            for course in courses:
                published = await self._post("intake", f"/providers/{created['id']}/courses", course, *admin)
                self.summary.add("courses", published["id"])
                self._advance("providers and courses", 1)

        participant_ids: dict[int, str] = {}  # by position in demo.participants (they are sent concurrently)

        async def participant(index: int) -> None:
            coach_id, body = demo.participants[index]
            created = await self._post("intake", "/participants", body, "coach", coach_id)
            self.summary.add("participants", created["id"])
            participant_ids[index] = created["id"]

        await self._each("coaches", demo.coaches, coach)
        await self._each("employers", demo.employers, employer)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def provider_gated(entry: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
            async with gate:
                await provider(entry)

        await asyncio.gather(*(provider_gated(p) for p in demo.providers))
        await self._each("participants", list(range(len(demo.participants))), participant)
        programme = await self._post("vouchers", "/programmes", demo.programme, "programme_officer", "demo-officer")
        self.summary.add("programmes", programme["id"])
        self._advance("voucher programme", 1)
        courses = self.summary.ids.get("courses", [])

        async def application(index: int) -> None:
            situation = demo.participants[index][1]["situation"]
            person = participant_ids[index]
            body = {"category": CATEGORY_OF_SITUATION[situation], "course_id": courses[index % len(courses)]}
            created = await self._post(
                "vouchers", f"/programmes/{programme['id']}/applications", body, "participant", person
            )
            self.summary.add("applications", created["id"])

        await self._each("voucher applications", applicants_of(demo), application)
        return self.summary
