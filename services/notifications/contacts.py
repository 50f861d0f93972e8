"""Asking intake for a participant's email address at send time (``rpc.<region>.intake.contact``).

The address is used for one message and never stored. Intake answers with an address only
while the participant consents to contact by email; otherwise it says why not, and the
delivery is skipped with that reason. A sender asks once for every participant of its batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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


async def look_up(nc: NatsClient, region: str, participant_ids: Sequence[str], *, timeout: float) -> dict[str, Contact]:
    """Each participant's address while they consent to email contact, in one request."""
    wanted = list(dict.fromkeys(participant_ids))
    if not wanted:
        return {}
    try:
        reply = await nc.request(
            CONTACT_SUBJECT.format(region=region), json.dumps({"participant_ids": wanted}).encode(), timeout
        )
    except (nats.errors.TimeoutError, nats.errors.NoRespondersError, TimeoutError) as exc:
        raise ContactUnavailable("intake's contact lookup did not answer") from exc
    answer = json.loads(reply.data)
    if "contacts" not in answer:
        raise ContactUnavailable(f"intake's contact lookup refused: {answer.get('reason')}")
    return {
        str(c["participant_id"]): Contact(email=c.get("email"), reason=c.get("reason"))
        for c in answer["contacts"]
        if c.get("participant_id")
    }
