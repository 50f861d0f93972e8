"""Contact details at send time over NATS request–reply, only as far as consent allows."""

from __future__ import annotations

import json
import uuid
from typing import Any

import nats

from services.intake.app import definition as intake
from services.intake.contact import contact_subject
from services.intake.tests.observe import fetch
from shared.bus.rpc import inbox_prefix
from tests.support.platform import Platform, run_service


async def ask(platform: Platform, payload: bytes, *, as_service: str = "notifications") -> dict[str, Any]:
    """A contact lookup sent the way ``as_service`` sends it: replies come to its own inbox."""
    nc = await nats.connect(platform.servers.nats_url, inbox_prefix=inbox_prefix(as_service))
    try:
        reply = await nc.request(contact_subject(platform.region), payload, timeout=5)
    finally:
        await nc.close()
    answer: dict[str, Any] = json.loads(reply.data)
    return answer


async def test_the_email_address_is_handed_out_only_with_email_consent_and_logged(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        coach = await platform.login("coach", "coach-anna")

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
        batch = await ask(platform, json.dumps({"participant_ids": [silent, consenting, unknown]}).encode())
        assert [(c["participant_id"], c["email"], c["reason"]) for c in batch["contacts"]] == [
            (silent, None, "no_consent"),
            (consenting, "jan@example.nl", None),
            (unknown, None, "unknown_participant"),
        ]
        assert (await ask(platform, json.dumps({"participant_ids": []}).encode()))["reason"] == "bad_request"

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
    assert [tuple(r) for r in log] == [(consenting, "notifications", "contact")] * 2


async def test_a_service_that_may_not_ask_gets_no_contact_details_and_leaves_no_log(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        created = await s.client.post(
            "/participants",
            json={
                "name": "Jan Jansen",
                "situation": "student",
                "email": "jan@example.nl",
                "consents": ["email_contact"],
            },
            headers=await platform.login("coach", "coach-anna"),
        )
        request = json.dumps({"participant_id": created.json()["id"]}).encode()
        refused = [await ask(platform, request, as_service=other) for other in ("vouchers", "matching")]
        anonymous = json.loads((await platform.nc.request(contact_subject(platform.region), request, timeout=5)).data)
        log = await fetch(platform, "SELECT accessor FROM intake.access_log WHERE role = 'service'")
    assert refused == [{"reason": "not_allowed"}] * 2
    assert anonymous == {"reason": "not_allowed"}
    assert log == []
