"""Fixtures of the notifications tests: the service running in-process, fed over real JetStream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from services.notifications.app import definition
from services.notifications.subscribers import SUBSCRIBERS
from shared.events.contracts.intake import ParticipantErased, ParticipantRegistered, Situation
from shared.events.envelope import Envelope, EventData
from tests.support.platform import Platform, RunningService, run_service
from tests.support.waiting import eventually

CONSUMER = next(s.spec for s in SUBSCRIBERS if s.spec.durable == "notifications-intake")


@dataclass
class Feeds:
    """The running notifications service, the events it is sent and the feeds it answers."""

    platform: Platform
    service: RunningService

    async def send(self, data: EventData, *, msg_id: str | None = None) -> Envelope:
        """Publish an intake event as intake's relay would (message id = event id, unless given)."""
        envelope = Envelope.wrap(data, region=self.platform.region, subject=str(uuid.uuid4()))
        await self.resend(envelope, msg_id=msg_id)
        return envelope

    async def resend(self, envelope: Envelope, *, msg_id: str | None = None) -> None:
        """Publish an event again, as a relay that crashed before deleting it from its outbox would."""
        headers = {"Nats-Msg-Id": msg_id or str(envelope.id)}
        await self.platform.js.publish(envelope.nats_subject, envelope.to_bytes(), headers=headers)

    async def registered(self, coach_id: str | None, participant_id: uuid.UUID | None = None) -> uuid.UUID:
        """Send a participant.registered for a participant in ``coach_id``'s caseload; their id."""
        participant_id = participant_id or uuid.uuid4()
        await self.send(
            ParticipantRegistered(participant_id=participant_id, coach_id=coach_id, situation=Situation.STUDENT)
        )
        return participant_id

    async def erased(self, participant_id: uuid.UUID) -> None:
        """Send a participant.erased."""
        await self.send(ParticipantErased(participant_id=participant_id))

    async def handled(self) -> None:
        """Wait until the service's consumer has handled and acknowledged every event sent."""

        async def drained() -> bool:
            info = await self.platform.js.consumer_info(CONSUMER.stream, CONSUMER.durable)
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)

        await eventually(drained)

    async def of(self, account: str, **params: Any) -> list[dict[str, Any]]:
        """The feed ``GET /notifications`` answers an account with the coach role."""
        answer = await self.service.client.get(
            "/notifications", params=params, headers=await self.platform.login("coach", account)
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()
        return items

    async def rows_mentioning(self, text: str) -> int:
        """How many rows of the notifications table mention ``text`` anywhere (read as the administrator)."""
        conn = await asyncpg.connect(self.platform.admin_dsn)
        try:
            n: int = await conn.fetchval(
                "SELECT count(*) FROM notifications.notifications t WHERE strpos(t::text, $1) > 0", text
            )
            return n
        finally:
            await conn.close()


@pytest.fixture
async def feeds(platform: Platform) -> AsyncIterator[Feeds]:
    """The notifications service, running with its consumer against this test's servers."""
    async with run_service(platform, definition) as service:
        yield Feeds(platform=platform, service=service)
