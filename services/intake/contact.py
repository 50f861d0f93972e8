"""Contact details at send time, over NATS request–reply: ``rpc.<region>.intake.contact``.

Other services never copy contact details. When notifications is about to send an email it
asks intake with a request ``{"participant_id": "<uuid>"}`` and gets
``{"participant_id", "email", "preferred_language", "reason"}``: ``email`` is the address only
while the participant consents to contact by email (``email_contact``), else ``null`` with
``reason`` one of ``no_consent``, ``no_email``, ``unknown_participant`` (also after erasure)
or ``bad_request``. A sender with a batch of messages asks for many at once with
``{"participant_ids": [...]}`` (at most 1,000) and gets ``{"contacts": [<one such reply per
id, in order>]}``: one query and one access-log statement for the batch. Every answer that
hands out an address is written to the access log with the service that asked. Only
notifications may ask (``CONTACT`` below: the NATS permissions and the runtime's check of the
reply subject both enforce it; anyone else gets ``{"reason": "not_allowed"}``); the subject is
never stored in a stream.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

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


MAX_BATCH = 1000


class ContactRequest(BaseModel):
    """Whom to contact."""

    participant_id: uuid.UUID


class ContactBatchRequest(BaseModel):
    """Whom to contact, many at once."""

    participant_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)


class ContactReply(BaseModel):
    """How to contact them, as far as their consent allows."""

    participant_id: uuid.UUID | None
    email: str | None = None
    preferred_language: str | None = None
    reason: Literal["no_consent", "no_email", "unknown_participant", "bad_request"] | None = None


def contact_subject(region: str) -> str:
    """The request subject of the contact lookup in a region."""
    return CONTACT.subject(region)


async def contact_details(
    conn: Connection, vault: Vault, participant_ids: list[uuid.UUID], *, caller: str
) -> list[ContactReply]:
    """The email address of each participant who consents to contact by email, in order."""
    rows = await db.consents.contact_states(conn, participant_ids, ConsentPurpose.EMAIL_CONTACT.value)
    replies: list[ContactReply] = []
    for participant_id in participant_ids:
        row = rows.get(participant_id)
        if row is None:
            replies.append(ContactReply(participant_id=participant_id, reason="unknown_participant"))
            continue
        reply = ContactReply(participant_id=participant_id, preferred_language=row["preferred_language"])
        if not row["consents"]:
            replies.append(reply.model_copy(update={"reason": "no_consent"}))
        elif row["email_sealed"] is None:
            replies.append(reply.model_copy(update={"reason": "no_email"}))
        else:
            email = vault.unwrap(participant_id, row["wrapped_key"]).open("email", row["email_sealed"])
            replies.append(reply.model_copy(update={"email": email}))
    handed_out = dict.fromkeys(r.participant_id for r in replies if r.email is not None and r.participant_id)
    await db.audit.log_access(conn, handed_out, accessor=caller, role="service", action="contact")
    return replies


async def answer_contact_request(runtime: Runtime, body: bytes, caller: str) -> bytes:
    """The reply to one contact lookup, or a batch of them, by ``caller`` (a service allowed to ask)."""
    try:
        batch = ContactBatchRequest.model_validate_json(body)
    except ValidationError:
        pass
    else:
        async with runtime.pool.acquire() as conn:
            replies = await contact_details(conn, runtime.extensions[VAULT], batch.participant_ids, caller=caller)
        return b'{"contacts": [' + b", ".join(r.model_dump_json().encode() for r in replies) + b"]}"
    try:
        request = ContactRequest.model_validate_json(body)
    except ValidationError:
        reply = ContactReply(participant_id=None, reason="bad_request")
    else:
        async with runtime.pool.acquire() as conn:
            (reply,) = await contact_details(conn, runtime.extensions[VAULT], [request.participant_id], caller=caller)
    return reply.model_dump_json().encode()
