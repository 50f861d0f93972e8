"""Fixtures of the matching service tests: the service running in-process, fed with intake's events."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.matching import subscribers
from services.matching.app import definition
from shared.auth import Role
from shared.events.contracts.intake import (
    AgeGroup,
    ConsentPurpose,
    EmployerRegistered,
    ParticipantConsentGiven,
    ParticipantConsentWithdrawn,
    ParticipantErased,
    ParticipantRegistered,
    Situation,
    SizeClass,
    TargetGroup,
)
from shared.events.envelope import Envelope, EventData
from shared.service import Runtime
from tests.support.platform import Platform, RunningService, run_service
from tests.support.waiting import eventually

COACH = "coach-1"
TODAY = dt.datetime.now(dt.UTC).date()
WELDER_SKILLS = ["tig-welding", "mag-welding", "read-technical-drawings"]


def opportunity_body(employer: uuid.UUID, **changes: Any) -> dict[str, Any]:
    """A BBL place for a welder in Nijmegen (about 16 km from Arnhem), at a recognised learning company."""
    body: dict[str, Any] = {
        "employer_id": str(employer),
        "kind": "bbl",
        "title": "BBL lasser",
        "occupation": "welder",
        "hours": 32,
        "start_date": (TODAY + dt.timedelta(days=30)).isoformat(),
        "postcode": "6511 AB",
        "open_until": (TODAY + dt.timedelta(days=60)).isoformat(),
        "places_total": 2,
        "crebo": "25244",
        "recognised": True,
        "recognition_checked_on": TODAY.isoformat(),
        "language_required": "B1",
    }
    body.update(changes)
    return body


@dataclass
class World:
    """A running matching service that knows one employer."""

    platform: Platform
    service: RunningService
    employer: uuid.UUID = field(default_factory=uuid.uuid4)
    other_employer: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.service.app.state.runtime
        return runtime

    @property
    def client(self) -> Any:
        return self.service.client

    def coach(self, sub: str = COACH) -> dict[str, str]:
        return self.platform.auth("coach", sub)

    def admin(self) -> dict[str, str]:
        return self.platform.auth("admin", "admin-1")

    def officer(self) -> dict[str, str]:
        return self.platform.auth("programme_officer", "officer-1")

    def employer_user(self, sub: str = "employer-1") -> dict[str, str]:
        """A user of the employer (``employer-1``) or of another one (``employer-2``)."""
        return self.platform.auth("employer", sub)

    async def feed(self, *events: EventData) -> None:
        """Hand intake events to matching's handlers in one transaction, as the consumers would."""
        async with self.runtime.uow() as uow:
            for data in events:
                envelope = Envelope.wrap(data, region="gld", subject="test")
                for subscriber in subscribers.SUBSCRIBERS:  # matching's own, and the accounts registry's copy
                    handler = subscriber.handlers.get(envelope.key)
                    if handler is not None:
                        assert callable(handler)  # no batch handlers here
                        await handler(uow, envelope)
            await uow.commit()

    async def candidate(
        self,
        *,
        coach: str | None = COACH,
        postcode_area: str = "6811",
        skills: Sequence[str] = WELDER_SKILLS,
        desired: Sequence[str] = ("welder",),
        consent: bool = True,
        target_groups: Sequence[TargetGroup] = (),
        age_group: AgeGroup = AgeGroup.FROM_27_TO_44,
    ) -> uuid.UUID:
        participant = uuid.uuid4()
        events: list[EventData] = [
            ParticipantRegistered(
                participant_id=participant,
                coach_id=coach,
                situation=Situation.LOOKING_FOR_WORK,
                age_group=age_group,
                postcode_area=postcode_area,
                skills=list(skills),
                desired_occupations=list(desired),
                target_groups=list(target_groups),
            )
        ]
        if consent:
            events.append(
                ParticipantConsentGiven(participant_id=participant, purpose=ConsentPurpose.MATCHING, source="coach")
            )
        await self.feed(*events)
        return participant

    async def withdraw_consent(self, participant: uuid.UUID) -> None:
        await self.feed(
            ParticipantConsentWithdrawn(participant_id=participant, purpose=ConsentPurpose.MATCHING, source="coach")
        )

    async def erase(self, participant: uuid.UUID) -> None:
        await self.feed(ParticipantErased(participant_id=participant))

    async def opportunity(self, **changes: Any) -> dict[str, Any]:
        answer = await self.client.post(
            "/opportunities", json=opportunity_body(self.employer, **changes), headers=self.coach()
        )
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    async def propose(self, participant: uuid.UUID, opportunity: dict[str, Any], coach: str = COACH) -> Any:
        return await self.client.post(
            "/proposals",
            json={"participant_id": str(participant), "opportunity_id": opportunity["id"]},
            headers=self.coach(coach),
        )

    async def get_opportunity(self, opportunity: dict[str, Any]) -> dict[str, Any]:
        answer = await self.client.get(f"/opportunities/{opportunity['id']}", headers=self.coach())
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def events(self, count: int) -> list[Envelope]:
        """The envelopes on the MATCHING stream, once there are at least ``count``."""

        async def found() -> list[Envelope]:
            bodies = await self.platform.stream_messages("MATCHING")
            envelopes = [Envelope.model_validate_json(b) for b in bodies]
            return envelopes if len(envelopes) >= count else []

        return await eventually(found)


@contextlib.asynccontextmanager
async def open_world(platform: Platform, **overrides: Any) -> AsyncIterator[World]:
    """The matching service (with setting ``overrides``) and one employer, a recognised learning company."""
    async with run_service(platform, definition, **overrides) as service:
        w = World(platform=platform, service=service)
        await w.feed(
            EmployerRegistered(
                employer_id=w.employer,
                kvk_number="11112222",
                name="Smit Metaal",
                sector="metaal",
                size_class=SizeClass.MKB,
                postcode_area="6511",
                accredited_learning_company=True,
            ),
            EmployerRegistered(
                employer_id=w.other_employer,
                kvk_number="33334444",
                name="Groot Installatie",
                sector="installatie",
                size_class=SizeClass.LARGE,
                postcode_area="6811",
                accredited_learning_company=False,
            ),
        )
        await platform.enrol_all(
            [
                (Role.COACH, COACH, COACH),
                (Role.COACH, "coach-2", "coach-2"),
                (Role.ADMIN, "admin-1", "admin-1"),
                (Role.PROGRAMME_OFFICER, "officer-1", "officer-1"),
                (Role.EMPLOYER, "employer-1", str(w.employer)),
                (Role.EMPLOYER, "employer-2", str(w.other_employer)),
            ]
        )
        yield w


@pytest.fixture
async def world(platform: Platform) -> AsyncIterator[World]:
    """The matching service with one employer (a recognised learning company) in its read model."""
    async with open_world(platform) as w:
        yield w
