"""Contact details at send time, over NATS request–reply: ``rpc.<region>.intake.contact``.

Other services never copy contact details. When notifications is about to send an email it
asks intake with a request ``{"participant_id": "<uuid>"}`` and gets
``{"participant_id", "email", "preferred_language", "reason"}``: ``email`` is the address only
while the participant consents to contact by email (``email_contact``), else ``null`` with
``reason`` one of ``no_consent``, ``no_email``, ``unknown_participant`` (also after erasure)
or ``bad_request``. Every answer that hands out an address is written to the access log with
the service that asked. Only notifications may ask (``CONTACT`` below: the NATS permissions
and the runtime's check of the reply subject both enforce it; anyone else gets
``{"reason": "not_allowed"}``); the subject is never stored in a stream.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ValidationError

from services.intake import db
from services.intake.shredding import VAULT
from services.intake.vault import Vault
from shared.bus.rpc import RpcSpec
from shared.db import Connection
from shared.events.contracts.intake import ConsentPurpose
from shared.service import Runtime

CONTACT = RpcSpec(
    service="intake",
    operation="contact",
    callers=("notifications",),
    description="A participant's email address at send time, while they consent to email contact",
)


class ContactRequest(BaseModel):
    """Whom to contact."""

    participant_id: uuid.UUID


class ContactReply(BaseModel):
    """How to contact them, as far as their consent allows."""

    participant_id: uuid.UUID | None
    email: str | None = None
    preferred_language: str | None = None
    reason: Literal["no_consent", "no_email", "unknown_participant", "bad_request"] | None = None


def contact_subject(region: str) -> str:
    """The request subject of the contact lookup in a region."""
    return CONTACT.subject(region)


async def contact_details(conn: Connection, vault: Vault, participant_id: uuid.UUID, *, caller: str) -> ContactReply:
    """The email address of a participant if they consent to contact by email."""
    row = await db.participants.get_participant(conn, vault, participant_id)
    if row is None:
        return ContactReply(participant_id=participant_id, reason="unknown_participant")
    reply = ContactReply(participant_id=participant_id, preferred_language=row["preferred_language"])
    consents = {r["purpose"] for r in await db.consents.current_consents(conn, participant_id)}
    if ConsentPurpose.EMAIL_CONTACT.value not in consents:
        return reply.model_copy(update={"reason": "no_consent"})
    if row["email"] is None:
        return reply.model_copy(update={"reason": "no_email"})
    await db.audit.log_access(conn, [participant_id], accessor=caller, role="service", action="contact")
    return reply.model_copy(update={"email": row["email"]})


async def answer_contact_request(runtime: Runtime, body: bytes, caller: str) -> bytes:
    """The reply to one contact lookup by ``caller`` (a service allowed to ask)."""
    try:
        request = ContactRequest.model_validate_json(body)
    except ValidationError:
        reply = ContactReply(participant_id=None, reason="bad_request")
    else:
        async with runtime.pool.acquire() as conn:
            reply = await contact_details(conn, runtime.extensions[VAULT], request.participant_id, caller=caller)
    return reply.model_dump_json().encode()
