"""Fixtures of the vouchers tests: the service running in-process, a read model, programmes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from services.vouchers import subscribers
from services.vouchers.app import definition
from shared import accounts
from shared.auth import Role
from shared.db.uow import UnitOfWorkFactory
from shared.events.contracts.intake import (
    CoursePublished,
    EmployerRegistered,
    ParticipantEmployerChanged,
    ParticipantRegistered,
    ProviderRegistered,
    Situation,
    SizeClass,
    TargetGroup,
)
from shared.events.envelope import Envelope, EventData
from shared.service import Runtime
from tests.support.platform import Platform, RunningService, run_service
from tests.support.seeded import VOUCHER_CENTS, programme_body

NOW = datetime.now(UTC).replace(microsecond=0)
VOUCHER = VOUCHER_CENTS  # €1,000 per voucher, what programme_body gives each category


async def feed(uows: UnitOfWorkFactory, *events: EventData) -> None:
    """Hand intake events to the read model's handlers, as the consumer would."""
    handlers = {
        "participant.registered": subscribers.on_participant_profile,
        "employer.registered": subscribers.on_employer,
        "provider.registered": subscribers.on_provider_registered,
        "course.published": subscribers.on_course_published,
        "participant.employer_changed": accounts.on_employer_changed,
        "participant.consent_given": accounts.on_consent,
    }
    async with uows() as uow:
        for data in events:
            envelope = Envelope.wrap(data, region="gld", subject="test")
            await handlers[data.spec.name](uow, envelope)
        await uow.commit()


@dataclass
class World:
    """A running vouchers service with participants, providers, courses and employers it knows."""

    platform: Platform
    service: RunningService
    provider: uuid.UUID = field(default_factory=uuid.uuid4)
    other_provider: uuid.UUID = field(default_factory=uuid.uuid4)
    course: uuid.UUID = field(default_factory=uuid.uuid4)
    cheap_course: uuid.UUID = field(default_factory=uuid.uuid4)
    other_course: uuid.UUID = field(default_factory=uuid.uuid4)
    mkb: uuid.UUID = field(default_factory=uuid.uuid4)
    large: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.service.app.state.runtime
        return runtime

    @property
    def client(self) -> Any:
        return self.service.client

    def officer(self) -> dict[str, str]:
        return self.platform.auth("programme_officer", "officer-1")

    def as_participant(self, participant: uuid.UUID) -> dict[str, str]:
        return self.platform.auth("participant", str(participant))

    def as_provider(self, provider: uuid.UUID | None = None) -> dict[str, str]:
        return self.platform.auth("provider", str(provider or self.provider))

    async def participants(
        self,
        count: int,
        situation: Situation = Situation.WORKING_IN_TECH,
        *,
        coach: str | None = "coach-1",
        target_groups: Sequence[TargetGroup] = (),
    ) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in range(count)]
        await feed(
            self.runtime.uow,
            *(
                ParticipantRegistered(
                    participant_id=i, coach_id=coach, situation=situation, target_groups=list(target_groups)
                )
                for i in ids
            ),
        )
        await self.platform.enrol_all([(Role.PARTICIPANT, str(i), str(i)) for i in ids])
        return ids

    async def employ(self, participant: uuid.UUID, employer: uuid.UUID) -> None:
        """Intake recorded that the participant works for the employer."""
        await feed(self.runtime.uow, ParticipantEmployerChanged(participant_id=participant, employer_id=employer))

    async def create_programme(self, **overrides: Any) -> dict[str, Any]:
        body = programme_body(NOW)
        body.update(overrides)
        response = await self.client.post("/programmes", json=body, headers=self.officer())
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def apply(
        self,
        programme: dict[str, Any],
        participant: uuid.UUID,
        *,
        category: str = "werk_in_techniek",
        course: uuid.UUID | None = None,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> Any:
        payload: dict[str, Any] = {"category": category, "course_id": str(course or self.course), **body}
        sent = dict(headers if headers is not None else self.as_participant(participant))
        if key is not None:
            sent["Idempotency-Key"] = key
        if "participant_id" not in payload and headers is not None:
            payload["participant_id"] = str(participant)
        return await self.client.post(f"/programmes/{programme['id']}/applications", json=payload, headers=sent)


@pytest.fixture
async def world(platform: Platform) -> AsyncIterator[World]:
    """The vouchers service, with two providers, three courses and two employers in its read model."""
    async with run_service(platform, definition) as service:
        w = World(platform=platform, service=service)
        await feed(
            w.runtime.uow,
            ProviderRegistered(
                provider_id=w.provider, kvk_number="12345678", name="Techniek Opleidingen", accredited=True
            ),
            ProviderRegistered(
                provider_id=w.other_provider, kvk_number="87654321", name="Andere Opleider", accredited=True
            ),
            CoursePublished(
                course_id=w.course,
                provider_id=w.provider,
                title="PLC programmeren",
                price_cents=150_000,
                duration_hours=40,
            ),
            CoursePublished(
                course_id=w.cheap_course, provider_id=w.provider, title="VCA", price_cents=40_000, duration_hours=8
            ),
            CoursePublished(
                course_id=w.other_course,
                provider_id=w.other_provider,
                title="Lassen",
                price_cents=120_000,
                duration_hours=60,
            ),
            EmployerRegistered(
                employer_id=w.mkb,
                kvk_number="11112222",
                name="Smit Installatie",
                sector="installatie",
                size_class=SizeClass.MKB,
                accredited_learning_company=True,
            ),
            EmployerRegistered(
                employer_id=w.large,
                kvk_number="33334444",
                name="Groot Metaal",
                sector="metaal",
                size_class=SizeClass.LARGE,
                accredited_learning_company=True,
            ),
        )
        await platform.enrol_all(
            [
                (Role.PROGRAMME_OFFICER, "officer-1", "officer-1"),
                (Role.COACH, "coach-1", "coach-1"),
                (Role.COACH, "coach-2", "coach-2"),
                *((Role.PROVIDER, str(p), str(p)) for p in (w.provider, w.other_provider)),
                *((Role.EMPLOYER, str(e), str(e)) for e in (w.mkb, w.large)),
            ]
        )
        yield w
