"""The request's unit of work: committed when an endpoint answers, undone when it fails."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import APIRouter

from shared.db.uow import UnitOfWork
from shared.errors import Conflict
from shared.events.contracts.intake import ParticipantErased
from shared.events.envelope import Envelope
from shared.service import ServiceDefinition, UnitOfWorkDep
from tests.support.platform import Platform, run_service

router = APIRouter()


@router.post("/emit/{outcome}")
async def emit(outcome: str, uow: UnitOfWorkDep) -> dict[str, str]:
    """Emit one event, then answer as ``outcome`` says."""
    pid = uuid.uuid4()
    uow.emit(ParticipantErased(participant_id=pid), subject=str(pid))
    if outcome == "refuse":
        raise Conflict("refused after emitting")
    if outcome == "partly":
        try:
            async with uow.savepoint():
                uow.emit(ParticipantErased(participant_id=uuid.uuid4()), subject="undone")
                raise Conflict("this part fails")
        except Conflict:
            pass
    return {"emitted": str(pid)}


TRIAL = ServiceDefinition(name="matching", title="Unit of work trial", description="test", routers=[router])


async def _outbox_subjects(platform: Platform) -> list[str]:
    """The subjects of the events committed: still in the outbox, or already relayed to their stream.

    The relay may publish a row (and delete it) while the test looks, so both places count, each
    event once: the outbox first, then the stream, which keeps whatever left the outbox meanwhile.
    """
    conn = await asyncpg.connect(platform.dsn("matching"))
    try:
        found = {r["id"]: r["subject"] for r in await conn.fetch("SELECT id, subject FROM matching.outbox")}
    finally:
        await conn.close()
    for body in await platform.stream_messages("INTAKE"):
        relayed = Envelope.model_validate_json(body)
        found[relayed.id] = relayed.nats_subject
    return list(found.values())


async def test_an_answered_request_has_committed_its_event(platform: Platform) -> None:
    async with run_service(platform, TRIAL) as s:
        answer = await s.client.post("/emit/ok")
        assert answer.status_code == 200
        assert await _outbox_subjects(platform) == ["gld.intake.participant.erased.v1"]


async def test_a_refused_request_leaves_nothing_behind(platform: Platform) -> None:
    async with run_service(platform, TRIAL) as s:
        answer = await s.client.post("/emit/refuse")
        assert answer.status_code == 409
        assert answer.json() == {"detail": "refused after emitting"}
        assert await _outbox_subjects(platform) == []


async def test_a_failed_savepoint_undoes_only_its_own_events(platform: Platform) -> None:
    async with run_service(platform, TRIAL) as s:
        answer = await s.client.post("/emit/partly")
        assert answer.status_code == 200
        assert len(await _outbox_subjects(platform)) == 1


async def test_after_commit_actions_run_once_committed_and_not_for_what_was_undone(platform: Platform) -> None:
    conn = await asyncpg.connect(platform.dsn("matching"))
    ran: list[str] = []

    def action(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            ran.append(name)

        return run

    async def failing() -> None:
        raise RuntimeError("a follower failed")

    try:
        committed = UnitOfWork(conn, schema="matching", region="gld")
        await committed.begin()
        committed.after_commit(action("kept"))
        with contextlib.suppress(Conflict):
            async with committed.savepoint():
                committed.after_commit(action("undone with its savepoint"))
                raise Conflict("this part fails")
        committed.after_commit(failing)
        committed.after_commit(action("after a failing one"))
        assert ran == []
        await committed.commit()
        assert ran == ["kept", "after a failing one"]

        rolled_back = UnitOfWork(conn, schema="matching", region="gld")
        await rolled_back.begin()
        rolled_back.after_commit(action("never"))
        await rolled_back.rollback()
        assert ran == ["kept", "after a failing one"]
    finally:
        await conn.close()
