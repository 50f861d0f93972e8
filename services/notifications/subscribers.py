"""The events the notifications service handles, and the durable consumers that bring them.

Every event type a rule in :mod:`services.notifications.domain` names is handled by
:func:`~services.notifications.handlers.notify.notify`; intake's caseload events also keep the
read model of who coaches whom, and ``participant.erased`` removes every trace of the person.
Vouchers' consumer takes only the event types some rule names (its filter subjects come from
the rules table).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.notifications import db
from services.notifications.domain import events_with_rules
from services.notifications.handlers.notify import notify
from shared.bus.consumer import BatchHandler, Subscriber
from shared.bus.topology import ConsumerSpec
from shared.db.uow import UnitOfWork
from shared.events.catalogue import CATALOGUE
from shared.events.contracts.intake import ParticipantCoachAssigned, ParticipantErased, ParticipantRegistered
from shared.events.envelope import Envelope


async def participants_registered(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """A participant registered into a coach's caseload: remember the coach, tell them."""
    data = [e.parse(ParticipantRegistered) for e in events]
    await db.recipients.assign_coaches(
        uow.conn, [(d.participant_id, d.coach_id) for d in data if d.coach_id is not None]
    )
    await notify(uow, events)


async def coaches_assigned(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """A participant moved to another coach: remember the new coach, tell them."""
    data = [e.parse(ParticipantCoachAssigned) for e in events]
    await db.recipients.assign_coaches(uow.conn, [(d.participant_id, d.coach_id) for d in data])
    await notify(uow, events)


async def participants_erased(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """An erased participant leaves no trace: feed entries deleted, deliveries cancelled or anonymised."""
    ids: list[uuid.UUID] = [e.parse(ParticipantErased).participant_id for e in events]
    as_text = [str(i) for i in ids]
    await db.feed.forget_participants(uow.conn, as_text)
    await db.deliveries.forget_participants(uow.conn, as_text)
    await db.recipients.forget_participants(uow.conn, ids)


def _handlers(service: str) -> dict[str, BatchHandler]:
    """The generic handler for every event of ``service`` that a rule names."""
    return {key: BatchHandler(notify) for key in events_with_rules() if key.startswith(f"{service}.")}


def _subject(key: str) -> str:
    """The NATS subject of an event type, with ``{region}`` left to fill in."""
    spec = CATALOGUE.get(key)
    assert spec is not None, f"the rules name {key}, which is not in the event catalogue"
    return spec.subject("{region}")


SUBSCRIBERS = (
    Subscriber(
        ConsumerSpec(
            service="notifications",
            durable="notifications-intake",
            stream="INTAKE",
            filter_subjects=("{region}.intake.participant.>",),
            description="Notifies coaches and participants about trajectories; forgets erased participants",
        ),
        handlers={
            **_handlers("intake"),
            ParticipantRegistered.spec.key: BatchHandler(participants_registered),
            ParticipantCoachAssigned.spec.key: BatchHandler(coaches_assigned),
            ParticipantErased.spec.key: BatchHandler(participants_erased),
        },
    ),
    Subscriber(
        ConsumerSpec(
            service="notifications",
            durable="notifications-vouchers",
            stream="VOUCHERS",
            filter_subjects=tuple(_subject(key) for key in events_with_rules() if key.startswith("vouchers.")),
            description="Notifies participants, coaches, providers and officers about vouchers and budgets",
        ),
        handlers=_handlers("vouchers"),
    ),
)
