"""Event handlers of the notifications service."""

from __future__ import annotations

from services.notifications import db
from shared.db.uow import UnitOfWork
from shared.events.contracts.intake import ParticipantRegistered
from shared.events.envelope import Envelope


async def on_participant_registered(uow: UnitOfWork, event: Envelope) -> None:
    """Tell the participant's coach that someone joined their caseload."""
    data: ParticipantRegistered = event.parse(ParticipantRegistered)
    if data.coach_id is None:
        return
    await db.add_notification(
        uow.conn,
        recipient=data.coach_id,
        kind="participant.registered",
        subject_id=str(data.participant_id),
        event_id=event.id,
        payload={"participant_id": str(data.participant_id), "situation": data.situation.value},
    )
