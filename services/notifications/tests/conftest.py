"""Fixtures of the notifications tests: the service running in-process, fed over real JetStream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.notifications.app import definition
from services.notifications.subscribers import SUBSCRIBERS
from shared.events.contracts.intake import ParticipantErased, ParticipantRegistered, Situation
from shared.events.envelope import Envelope, EventData
from shared.tooling.runtime.mail_sink import MailSink
from tests.support.platform import Platform, RunningService, run_service
from tests.support.ports import free_port
from tests.support.waiting import eventually

CONSUMERS = [s.spec for s in SUBSCRIBERS]


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
            for consumer in CONSUMERS:
                info = await self.platform.js.consumer_info(consumer.stream, consumer.durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await eventually(drained)

    async def enrol(
        self,
        account: str,
        role: str,
        party: str | uuid.UUID | None = None,
        *,
        language: str | None = None,
        active: bool = True,
    ) -> None:
        """Put an account in this service's copy of the accounts registry, as the registry's subscriber would."""
        conn = await asyncpg.connect(self.platform.admin_dsn)
        try:
            await conn.execute(
                "INSERT INTO notifications.accounts (id, role, party, region, active, language)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET role = $2, party = $3,"
                " active = $5, language = $6",
                account,
                role,
                str(party or account),
                self.platform.region,
                active,
                language,
            )
        finally:
            await conn.close()

    async def known(self, account: str, role: str) -> None:
        """Make sure the account exists in every service's registry (as itself, if it did not yet)."""
        conn = await asyncpg.connect(self.platform.admin_dsn)
        try:
            exists = await conn.fetchval("SELECT 1 FROM notifications.accounts WHERE id = $1", account)
        finally:
            await conn.close()
        if not exists:
            await self.platform.enrol(role, account)

    async def of(self, account: str, role: str = "coach", **params: Any) -> list[dict[str, Any]]:
        """The feed ``GET /notifications`` answers an account in a role (a coach unless said); enrols it if unknown."""
        await self.known(account, role)
        answer = await self.service.client.get(
            "/notifications", params=params, headers=self.platform.auth(role, account)
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()
        return items

    async def rows_mentioning(self, text: str, table: str = "notifications") -> int:
        """How many rows of a table of the service mention ``text`` anywhere (read as the administrator)."""
        conn = await asyncpg.connect(self.platform.admin_dsn)
        try:
            n: int = await conn.fetchval(
                f"SELECT count(*) FROM notifications.{table} t WHERE strpos(t::text, $1) > 0", text
            )
            return n
        finally:
            await conn.close()

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Rows of the service's schema, read as the administrator."""
        conn = await asyncpg.connect(self.platform.admin_dsn)
        try:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows
        finally:
            await conn.close()


@pytest.fixture
async def feeds(platform: Platform) -> AsyncIterator[Feeds]:
    """The notifications service, running with its consumer against this test's servers."""
    async with run_service(platform, definition) as service:
        yield Feeds(platform=platform, service=service)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    """A local SMTP server keeping every message it is sent in a folder."""
    server = MailSink(tmp_path / "mail", free_port())
    server.start()
    yield server
    server.stop()
