"""The in-app feed, from the outside: intake's events in over JetStream, the feed out over HTTP."""

from __future__ import annotations

import uuid

from services.notifications.tests.conftest import Feeds
from shared.events.contracts.intake import ParticipantRegistered, Situation
from tests.support.waiting import eventually


async def test_a_registration_reaches_the_coachs_feed_and_nobody_elses(feeds: Feeds) -> None:
    participant = await feeds.registered("coach-anna")
    await feeds.registered(None)  # unassigned intake: no coach to tell
    await feeds.handled()

    items = await feeds.of("coach-anna")
    assert [(x["kind"], x["subject_id"], x["read_at"]) for x in items] == [
        ("participant.registered", str(participant), None)
    ]
    assert items[0]["payload"]["participant_id"] == str(participant)
    assert items[0]["message"] == "Een nieuwe deelnemer, student, is aan je caseload toegevoegd."
    assert items[0]["link"] == f"/coach/candidates/{participant}"
    assert await feeds.of("coach-bob") == []


async def test_a_duplicate_event_makes_one_entry(feeds: Feeds) -> None:
    event = await feeds.send(
        ParticipantRegistered(participant_id=uuid.uuid4(), coach_id="coach-anna", situation=Situation.STUDENT)
    )
    # Another message id: past JetStream's duplicate window only the consumer's inbox can tell.
    await feeds.resend(event, msg_id=f"{event.id}-again")
    await feeds.handled()

    assert len(await feeds.platform.stream_messages("INTAKE")) == 2
    assert len(await feeds.of("coach-anna")) == 1


async def test_erasure_forgets_the_person_in_every_feed(feeds: Feeds) -> None:
    erased = await feeds.registered("coach-anna")
    kept = await feeds.registered("coach-anna")

    async def both_listed() -> bool:
        return len(await feeds.of("coach-anna")) == 2

    await eventually(both_listed)
    await feeds.erased(erased)
    await feeds.handled()

    assert [x["subject_id"] for x in await feeds.of("coach-anna")] == [str(kept)]
    assert await feeds.rows_mentioning(str(erased)) == 0


async def test_a_coach_sees_and_marks_read_only_their_own_notifications(feeds: Feeds) -> None:
    await feeds.registered("coach-anna")
    await feeds.registered("coach-bob")
    await feeds.handled()
    (annas,) = await feeds.of("coach-anna")
    (bobs,) = await feeds.of("coach-bob")
    assert annas["id"] != bobs["id"]

    client, auth = feeds.service.client, feeds.platform.auth
    not_bobs = await client.post(f"/notifications/{annas['id']}/read", headers=auth("coach", "coach-bob"))
    assert not_bobs.status_code == 404, not_bobs.text
    assert await feeds.of("coach-anna", unread=True) == [annas]

    read = await client.post(f"/notifications/{annas['id']}/read", headers=auth("coach", "coach-anna"))
    assert read.status_code == 204, read.text
    assert await feeds.of("coach-anna", unread=True) == []
    (after,) = await feeds.of("coach-anna")
    assert after["read_at"] is not None
    assert await feeds.of("coach-bob", unread=True) == [bobs]


async def test_a_token_claiming_another_role_for_the_coachs_account_is_refused(feeds: Feeds) -> None:
    await feeds.registered("coach-anna")
    await feeds.handled()
    (annas,) = await feeds.of("coach-anna")

    client, auth = feeds.service.client, feeds.platform.auth
    for role in ("participant", "employer", "provider", "programme_officer", "admin"):
        posing = auth(role, "coach-anna")
        listed = await client.get("/notifications", headers=posing)
        assert listed.status_code == 403, role
        assert "is a coach account" in listed.json()["detail"]
        marked = await client.post(f"/notifications/{annas['id']}/read", headers=posing)
        assert marked.status_code == 403, role
    assert await feeds.of("coach-anna", unread=True) == [annas]
