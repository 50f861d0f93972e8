"""Erasure: afterwards intake holds nothing personal about the participant, and no stream does."""

from __future__ import annotations

from services.intake.app import definition as intake
from services.intake.tests.observe import event_types, fetch, published
from services.notifications.app import definition as notifications
from shared.bus.topology import STREAMS
from tests.support.platform import Platform, run_service

NAME = "Wilhelmina Oosterhuis-Brandsma"
EMAIL = "w.oosterhuis@voorbeeld.nl"
PHONE = "06 98765432"
PERSONAL = [NAME.encode(), b"Oosterhuis", EMAIL.encode(), PHONE.encode(), b"98765432", b"1962-04-30", b"7001 BC"]


async def everything_intake_holds(platform: Platform) -> str:
    """Every row of every intake table, as text."""
    tables = await fetch(platform, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'intake'")
    dump = []
    for t in tables:
        rows = await fetch(platform, f'SELECT t::text AS row FROM intake."{t["table_name"]}" t')
        dump += [r["row"] for r in rows]
    return "\n".join(dump)


async def everything_streams_hold(platform: Platform) -> bytes:
    return b"\n".join([b for stream in STREAMS for b in await platform.stream_messages(stream.name)])


async def test_after_erasure_no_intake_table_and_no_stream_contains_the_persons_data(platform: Platform) -> None:
    async with run_service(platform, intake) as s, run_service(platform, notifications):
        coach = await platform.login("coach", "coach-anna")
        admin = await platform.login("admin", "admin-1")
        created = await s.client.post(
            "/participants",
            json={
                "name": NAME,
                "email": EMAIL,
                "phone": PHONE,
                "birth_date": "1962-04-30",
                "postcode": "7001 BC",
                "situation": "looking_for_work",
                "target_groups": ["woman", "age_45_plus"],
                "consents": ["matching", "email_contact"],
            },
            headers=coach,
        )
        pid = created.json()["id"]
        await s.client.patch(
            f"/participants/{pid}", json={"email": "w.o@voorbeeld.nl", "situation": "student"}, headers=coach
        )
        await s.client.post(f"/participants/{pid}/notes", json={"text": f"{NAME} belt terug op {PHONE}"}, headers=coach)
        await s.client.post(f"/participants/{pid}/trajectory", json={"status": "active"}, headers=coach)
        await s.client.get(f"/participants/{pid}", headers=coach)
        imported = await s.client.post(
            "/imports/participants",
            content=f"naam;e-mail;situatie\n{NAME};{EMAIL};zoekt werk\nAnder Persoon;ander@example.nl;student\n".encode(),  # noqa: E501  # noqa: E501
            headers={**admin, "content-type": "text/csv"},
        )
        assert imported.json()["imported"] == 2
        twin = next(
            p["id"]
            for p in (await s.client.get("/participants", headers=admin)).json()["items"]
            if p["name"] == NAME and p["id"] != pid
        )
        before = await everything_intake_holds(platform)
        assert NAME in before
        assert EMAIL in before

        for participant_id in (pid, twin):
            erased = await s.client.delete(f"/participants/{participant_id}", headers=admin)
            assert erased.status_code == 204, erased.text
        again = await s.client.delete(f"/participants/{pid}", headers=admin)
        read = await s.client.get(f"/participants/{pid}", headers=admin)
        types = await event_types(platform)
        streams = await everything_streams_hold(platform)
        held = await everything_intake_holds(platform)
        audit = await fetch(
            platform, "SELECT participant_id::text, requested_by FROM intake.erasures ORDER BY erased_at"
        )

    assert again.status_code == 410
    assert "already erased" in again.json()["detail"]
    assert read.status_code == 410
    assert "was erased" in read.json()["detail"]
    assert types.count("participant.erased") == 2
    for personal in PERSONAL:
        assert personal not in streams, personal
        assert personal.decode() not in held, personal
    assert b"w.o@voorbeeld.nl" not in streams
    assert "w.o@voorbeeld.nl" not in held
    assert [tuple(r) for r in audit] == [(pid, "admin-1"), (twin, "admin-1")]
    # The other person in the file is untouched.
    assert "ander@example.nl" in held


async def test_a_participant_erases_themself_and_the_audit_keeps_no_account_id(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        me = platform.auth("participant", "account-wilhelmina")  # signed in; registering makes the account
        created = await s.client.post(
            "/participants/me", json={"name": NAME, "email": EMAIL, "situation": "other"}, headers=me
        )
        pid = created.json()["id"]
        erased = await s.client.delete("/participants/me", headers=me)
        assert erased.status_code == 204, erased.text
        gone = await s.client.get("/participants/me", headers=me)
        events = await published(platform)
        held = await everything_intake_holds(platform)
    assert gone.status_code == 403, "the account went with the person"
    assert "no Regionet account" in gone.json()["detail"]
    assert [e["type"] for e in events] == [
        "participant.registered",
        "account.activated",
        "account.removed",
        "participant.erased",
    ]
    assert events[3]["data"] == {"participant_id": pid}
    assert NAME not in held
    assert EMAIL not in held
    assert "account-wilhelmina" not in held
