"""The events the notifications service handles, and the durable consumer that brings them."""

from __future__ import annotations

from collections.abc import Sequence

from services.notifications import db
from shared.accounts import registry_subscriber
from shared.auth import Role
from shared.bus.consumer import BatchHandler, Subscriber
from shared.bus.topology import ConsumerSpec
from shared.db.uow import UnitOfWork
from shared.events.contracts.intake import ParticipantErased, ParticipantRegistered
from shared.events.envelope import Envelope


async def notify_coaches_of_registrations(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """Tell each participant's coach that someone joined their caseload (one statement per batch)."""
    notifications = []
    for event in events:
        data = event.parse(ParticipantRegistered)
        if data.coach_id is None:
            continue
        notifications.append(
            db.feed.NewNotification(
                recipient=data.coach_id,
                recipient_role=Role.COACH,
                kind="participant.registered",
                subject_id=str(data.participant_id),
                event_id=event.id,
                payload={"participant_id": str(data.participant_id), "situation": data.situation.value},
            )
        )
    if notifications:
        await db.feed.add_notifications(uow.conn, notifications)


async def forget_erased_participants(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """An erased participant leaves no trace in anyone's feed, not even their pseudonymous id."""
    await db.feed.forget_subjects(uow.conn, [str(e.parse(ParticipantErased).participant_id) for e in events])


SUBSCRIBERS = (
    registry_subscriber("notifications"),
    Subscriber(
        ConsumerSpec(
            service="notifications",
            durable="notifications-intake",
            stream="INTAKE",
            filter_subjects=("{region}.intake.participant.>",),
            description="Notifies coaches about their participants",
        ),
        handlers={
            ParticipantRegistered.spec.key: BatchHandler(notify_coaches_of_registrations),
            ParticipantErased.spec.key: BatchHandler(forget_erased_participants),
        },
    ),
)
