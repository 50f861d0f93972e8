"""Preferences: opt-outs per channel and category, must-send messages, quiet hours and the daily digest."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from services.notifications.domain import DIGEST_AT, TIMEZONE, Preferences, next_local, rules_for
from services.notifications.tests.conftest import Feeds
from services.notifications.tests.samples import sample
from services.notifications.tests.test_email import mailing
from shared.tooling.runtime.mail_sink import MailSink
from tests.support.platform import Platform
from tests.support.ports import free_port

EXPIRED = rules_for("vouchers.voucher.expired.v1")[0]
(ISSUED,) = [r for r in rules_for("vouchers.voucher.issued.v1") if r.audience.value == "participant"]


def at(hour: int, minute: int = 0, *, days: int = 0) -> datetime:
    """Today (or ``days`` later) at a local time in the region, as UTC."""
    day = datetime.now(TIMEZONE).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=TIMEZONE).astimezone(UTC)


def test_quiet_hours_hold_an_email_until_they_end_also_across_midnight() -> None:
    night = Preferences(quiet_from=time(22, 0), quiet_until=time(7, 0))
    assert night.email_due(EXPIRED, at(23, 30)) == at(7, 0, days=1)
    assert night.email_due(EXPIRED, at(3, 0)) == at(7, 0)
    assert night.email_due(EXPIRED, at(12, 0)) == at(12, 0)
    lunch = Preferences(quiet_from=time(12, 0), quiet_until=time(13, 0))
    assert lunch.email_due(EXPIRED, at(12, 30)) == at(13, 0)
    assert lunch.email_due(EXPIRED, at(13, 0)) == at(13, 0)


def test_the_digest_waits_for_its_hour_and_a_must_send_message_does_not() -> None:
    digest = Preferences(email_digest=True)
    assert digest.email_due(EXPIRED, at(9, 0)) == next_local(at(9, 0), DIGEST_AT)
    assert digest.email_due(EXPIRED, at(6, 0)) == at(DIGEST_AT.hour, DIGEST_AT.minute)
    assert digest.email_due(ISSUED, at(9, 0)) == at(9, 0)
    assert not digest.digests(ISSUED)
    late_riser = Preferences(email_digest=True, quiet_from=time(22, 0), quiet_until=time(9, 30))
    assert late_riser.email_due(EXPIRED, at(6, 0)) == at(9, 30)


def test_an_opt_out_holds_except_for_a_must_send_message() -> None:
    no_voucher_mail = Preferences(opted_out={"email": frozenset({"vouchers"})})
    assert not no_voucher_mail.wants(EXPIRED, EXPIRED.channels[1])
    assert no_voucher_mail.wants(EXPIRED, EXPIRED.channels[0])  # the feed still tells
    assert no_voucher_mail.wants(ISSUED, ISSUED.channels[1])


async def test_preferences_are_the_callers_own_and_bad_ones_are_refused(feeds: Feeds) -> None:
    client, auth = feeds.service.client, feeds.platform.auth
    await feeds.known("p-1", "participant")
    await feeds.known("p-2", "participant")
    first = await client.get("/preferences", headers=auth("participant", "p-1"))
    assert first.status_code == 200
    assert first.json()["opted_out"] == {}
    assert first.json()["email_digest"] is False
    assert {x["event"] for x in first.json()["always_sent"]} == {
        "vouchers.voucher.issued.v1",
        "vouchers.application.rejected.v1",
    }
    assert first.json()["always_sent"][0]["why"] == "het een besluit over je aanvraag is"

    wanted = {
        "opted_out": {"email": ["vouchers"]},
        "email_digest": True,
        "quiet_hours": {"start": "22:00", "end": "07:00"},
    }
    saved = await client.put("/preferences", json=wanted, headers=auth("participant", "p-1"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["quiet_hours"] == {"start": "22:00:00", "end": "07:00:00"}
    assert (await client.get("/preferences", headers=auth("participant", "p-2"))).json()["opted_out"] == {}

    for bad in (
        {"opted_out": {"pigeon": ["vouchers"]}},
        {"opted_out": {"email": ["gossip"]}},
        {"quiet_hours": {"start": "22:00", "end": "22:00"}},
        {"quiet_hours": {"start": "25:00", "end": "07:00"}},
    ):
        refused = await client.put("/preferences", json=bad, headers=auth("participant", "p-1"))
        assert refused.status_code == 422, bad
    assert (await client.get("/preferences", headers=auth("participant", "p-1"))).json() == saved.json()


async def test_opting_out_of_a_feed_category_keeps_those_entries_away(feeds: Feeds) -> None:
    client, auth = feeds.service.client, feeds.platform.auth
    await feeds.known("coach-anna", "coach")
    await client.put("/preferences", json={"opted_out": {"feed": ["caseload"]}}, headers=auth("coach", "coach-anna"))
    await feeds.registered("coach-anna")
    await feeds.registered("coach-bob")
    await feeds.handled()
    assert await feeds.of("coach-anna") == []
    assert len(await feeds.of("coach-bob")) == 1


async def test_an_opted_out_email_is_not_sent_but_a_must_send_one_is_and_a_digest_collects_the_rest(
    platform: Platform, tmp_path: Path
) -> None:
    sink = MailSink(tmp_path / "mail", free_port())
    sink.start()
    try:
        async with mailing(platform, sink.folder, sink.port) as m:
            client, auth = m.feeds.service.client, platform.auth
            opted = await m.participant("p-opted", email="uit@example.nl", consents=True, language="en")
            digested = await m.participant("p-digest", email="overzicht@example.nl", consents=True, language="en")
            await client.put(
                "/preferences", json={"opted_out": {"email": ["vouchers"]}}, headers=auth("participant", "p-opted")
            )
            await client.put("/preferences", json={"email_digest": True}, headers=auth("participant", "p-digest"))
            for participant in (opted, digested):
                await m.feeds.send(sample("vouchers.voucher.expired.v1", participant_id=uuid.UUID(participant)))
                await m.feeds.send(sample("vouchers.voucher.issued.v1", participant_id=uuid.UUID(participant)))
            await m.feeds.send(sample("vouchers.application.waitlisted.v1", participant_id=uuid.UUID(digested)))
            await m.feeds.handled()

            rows = await m.deliveries()
            by = {(r["party"], r["rule"]): r for r in rows}
            assert (opted, "voucher_expired/participant") not in by  # opted out: no email at all
            assert len(await m.feeds.of("p-opted", "participant")) == 2  # the feed tells them anyway
            waiting = [r for r in rows if r["digest"]]
            assert {r["rule"] for r in waiting} == {"voucher_expired/participant", "application_waitlisted/participant"}
            assert all(r["next_attempt_at"] > datetime.now(UTC) for r in waiting)

            await m.feeds.query("UPDATE notifications.deliveries SET next_attempt_at = now() WHERE digest")
            rows = await m.settled(len(rows))
    finally:
        sink.stop()

    assert {r["status"] for r in rows} == {"sent"}
    mails = {(x["To"], x["Subject"]): x for x in m.messages()}
    assert set(mails) == {
        ("uit@example.nl", "Your training voucher has been issued"),
        ("overzicht@example.nl", "Your training voucher has been issued"),
        ("overzicht@example.nl", "Your daily summary: 2 messages"),
    }
    body = mails[("overzicht@example.nl", "Your daily summary: 2 messages")].get_body(("plain",))
    assert body is not None
    assert "Your training voucher has expired" in body.get_content()
    assert "on the waiting list" in body.get_content()


async def test_a_digest_of_more_items_than_one_email_holds_goes_out_whole_in_numbered_parts(
    platform: Platform, sink: MailSink
) -> None:
    async with mailing(platform, sink.folder, sink.port) as m:
        participant = await m.participant("p-busy", email="veel@example.nl", consents=True, language="en")
        # 120 intents held for the digest, as 120 handled events would have left them.
        await m.feeds.query(
            "INSERT INTO notifications.deliveries (id, event_id, event_key, rule, channel, recipient,"
            " recipient_role, party, subject_id, payload, next_attempt_at, digest)"
            " SELECT gen_random_uuid(), gen_random_uuid(), 'vouchers.voucher.expired.v1',"
            " 'voucher_expired/participant', 'email', 'p-busy', 'participant', $1, $1, $2::jsonb,"
            " now() - make_interval(secs => n), true FROM generate_series(1, 120) n",
            participant,
            json.dumps({"voucher_id": str(uuid.uuid4()), "participant_id": participant}),
        )
        rows = await m.settled(120)

    assert {r["status"] for r in rows} == {"sent"}
    mails = sorted(m.messages(), key=lambda x: str(x["Subject"]))
    assert [str(x["Subject"]) for x in mails] == [
        f"Your daily summary: 120 messages (part {n} of 3)" for n in (1, 2, 3)
    ]
    counts = []
    for mail in mails:
        body = mail.get_body(("plain",))
        assert body is not None
        counts.append(body.get_content().count("Your training voucher has expired"))
    assert counts == [50, 50, 20]
    assert len({x["Message-ID"] for x in mails}) == 3
