"""Contact details at send time over NATS request–reply, only as far as consent allows."""

from __future__ import annotations

import json
import uuid
from typing import Any

from services.intake.app import definition as intake
from services.intake.contact import contact_subject
from services.intake.tests.observe import fetch
from tests.support.platform import Platform, run_service


async def ask(platform: Platform, payload: bytes) -> dict[str, Any]:
    reply = await platform.nc.request(contact_subject(platform.region), payload, timeout=5)
    answer: dict[str, Any] = json.loads(reply.data)
    return answer


async def test_the_email_address_is_handed_out_only_with_email_consent_and_logged(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        coach = platform.auth("coach", "coach-anna")

        async def register(**fields: Any) -> str:
            body = {"name": "Jan Jansen", "situation": "student", "preferred_language": "de", **fields}
            response = await s.client.post("/participants", json=body, headers=coach)
            pid: str = response.json()["id"]
            return pid

        consenting = await register(email="jan@example.nl", consents=["email_contact"])
        silent = await register(email="piet@example.nl", consents=["coaching"])
        no_email = await register(consents=["email_contact"])

        assert await ask(platform, json.dumps({"participant_id": consenting}).encode()) == {
            "participant_id": consenting,
            "email": "jan@example.nl",
            "preferred_language": "de",
            "reason": None,
        }
        assert (await ask(platform, json.dumps({"participant_id": silent}).encode()))["reason"] == "no_consent"
        assert (await ask(platform, json.dumps({"participant_id": silent}).encode()))["email"] is None
        assert (await ask(platform, json.dumps({"participant_id": no_email}).encode()))["reason"] == "no_email"
        unknown = str(uuid.uuid4())
        assert (await ask(platform, json.dumps({"participant_id": unknown}).encode()))[
            "reason"
        ] == "unknown_participant"
        assert (await ask(platform, b"{not json"))["reason"] == "bad_request"

        await s.client.post(
            f"/participants/{consenting}/consents", json={"purpose": "email_contact", "given": False}, headers=coach
        )
        withdrawn = await ask(platform, json.dumps({"participant_id": consenting}).encode())
        log = await fetch(
            platform, "SELECT participant_id::text, accessor, action FROM intake.access_log WHERE role = 'service'"
        )
    assert withdrawn == {
        "participant_id": consenting,
        "email": None,
        "preferred_language": "de",
        "reason": "no_consent",
    }
    assert [tuple(r) for r in log] == [(consenting, "rpc.contact", "contact")]
