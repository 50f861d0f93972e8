"""The events the notifications service handles, and the durable consumers that bring them.

Every event of intake and vouchers, and every shared event of the region, is handled: the
notifications its rules call for (:mod:`services.notifications.domain`) and a webhook delivery
for each endpoint subscribed to its type. Intake's caseload events also keep the read model of
who coaches whom, and ``participant.erased`` removes every trace of the person.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.notifications import db
from services.notifications.handlers.notify import notify
from services.notifications.handlers.webhooks import queue_webhooks
from shared.accounts import registry_subscriber
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
    await notify_and_queue(uow, events)


async def coaches_assigned(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """A participant moved to another coach: remember the new coach, tell them."""
    data = [e.parse(ParticipantCoachAssigned) for e in events]
    await db.recipients.assign_coaches(uow.conn, [(d.participant_id, d.coach_id) for d in data])
    await notify_and_queue(uow, events)


async def participants_erased(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """An erased participant leaves no trace: feed entries deleted, deliveries cancelled or anonymised."""
    ids: list[uuid.UUID] = [e.parse(ParticipantErased).participant_id for e in events]
    as_text = [str(i) for i in ids]
    await db.feed.forget_participants(uow.conn, as_text)
    await db.deliveries.forget_participants(uow.conn, as_text)
    await db.recipients.forget_participants(uow.conn, ids)
    await db.webhooks.forget_participants(uow.conn, as_text)
    await queue_webhooks(uow, events)


async def notify_and_queue(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """What every event gets: the notifications its rules call for, and its webhooks."""
    await notify(uow, events)
    await queue_webhooks(uow, events)


def _handlers(service: str, *, shared: bool) -> dict[str, BatchHandler]:
    """The handler of every event of ``service`` on its own stream, or of its shared events."""
    return {spec.key: BatchHandler(notify_and_queue) for spec in CATALOGUE.of_service(service) if spec.shared is shared}


def _shared_handlers() -> dict[str, BatchHandler]:
    found: dict[str, BatchHandler] = {}
    for service in ("intake", "vouchers", "matching"):
        found.update(_handlers(service, shared=True))
    return found


SUBSCRIBERS = (
    registry_subscriber("notifications"),
    Subscriber(
        ConsumerSpec(
            service="notifications",
            durable="notifications-intake",
            stream="INTAKE",
            filter_subjects=("{region}.intake.>",),
            description="Notifies about participants and trajectories, sends webhooks; forgets erased participants",
        ),
        handlers={
            **_handlers("intake", shared=False),
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
            filter_subjects=("{region}.vouchers.>",),
            description="Notifies participants, coaches, providers and officers about vouchers; sends webhooks",
        ),
        handlers=_handlers("vouchers", shared=False),
    ),
    Subscriber(
        ConsumerSpec(
            service="notifications",
            durable="notifications-matching",
            stream="MATCHING",
            filter_subjects=("{region}.matching.>",),
            description="Notifies employers, participants and coaches of proposals and opportunities; sends webhooks",
        ),
        handlers=_handlers("matching", shared=False),
    ),
    Subscriber(
        ConsumerSpec(
            service="notifications",
            durable="notifications-shared",
            stream="SHARED",
            filter_subjects=("shared.{region}.>",),
            description="Sends the region's shared, anonymised events to partners' webhooks",
        ),
        handlers=_shared_handlers(),
    ),
)
