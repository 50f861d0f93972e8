"""Asking intake for a participant's email address at send time (``rpc.<region>.intake.contact``).

The address is used for one message and never stored. Intake answers with an address only
while the participant consents to contact by email; otherwise it says why not, and the
delivery is skipped with that reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client as NatsClient

# Intake's contact lookup, as its contract names it (services/intake/contact.py).
CONTACT_SUBJECT = "rpc.{region}.intake.contact"


@dataclass(frozen=True)
class Contact:
    """An address to write to, or why there is none."""

    email: str | None
    reason: str | None


class ContactUnavailable(Exception):
    """Intake did not answer in time: try the delivery again later."""


async def look_up(nc: NatsClient, region: str, participant_id: str, *, timeout: float) -> Contact:
    """The participant's address while they consent to email contact."""
    try:
        reply = await nc.request(
            CONTACT_SUBJECT.format(region=region), json.dumps({"participant_id": participant_id}).encode(), timeout
        )
    except (nats.errors.TimeoutError, nats.errors.NoRespondersError, TimeoutError) as exc:
        raise ContactUnavailable("intake's contact lookup did not answer") from exc
    answer = json.loads(reply.data)
    return Contact(email=answer.get("email"), reason=answer.get("reason"))
