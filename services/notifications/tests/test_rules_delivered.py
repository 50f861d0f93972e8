"""Each rule reaches the right accounts in their own language, over real JetStream and Postgres."""

from __future__ import annotations

import uuid

from services.notifications.tests.conftest import Feeds
from services.notifications.tests.samples import sample
from shared.events.contracts.intake import TrajectoryStatus


async def test_an_issued_voucher_reaches_the_participant_their_coach_and_the_provider_each_in_their_language(
    feeds: Feeds,
) -> None:
    participant, provider = uuid.uuid4(), uuid.uuid4()
    await feeds.enrol("p-sanne", "participant", participant, language="en")
    await feeds.enrol("coach-anna", "coach", language="de")
    await feeds.enrol("opleider-1", "provider", provider)
    await feeds.enrol("opleider-2", "provider", provider, language="en")
    await feeds.enrol("other-provider", "provider", uuid.uuid4())
    await feeds.registered("coach-anna", participant)
    await feeds.handled()
    await feeds.send(sample("vouchers.voucher.issued.v1", participant_id=participant, provider_id=provider))
    await feeds.handled()

    (mine,) = await feeds.of("p-sanne", "participant")
    assert mine["message"] == "Your training voucher of €1,500.00 has been issued; use it before 1 June 2027."
    assert mine["link"] == "/me"
    assert (mine["kind"], mine["category"]) == ("voucher.issued", "vouchers")

    coach = await feeds.of("coach-anna")
    assert next(x["message"] for x in coach).startswith("Eine Person in Ihrer Betreuung hat einen Bildungsgutschein")
    assert (await feeds.of("opleider-1", "provider"))[0]["message"].startswith("Er is een voucher van €\xa01.500,00")
    assert (await feeds.of("opleider-2", "provider"))[0]["message"].startswith("A voucher of €1,500.00 was issued")
    assert await feeds.of("other-provider", "provider") == []


async def test_a_deactivated_account_hears_nothing(feeds: Feeds) -> None:
    participant = uuid.uuid4()
    await feeds.enrol("p-gone", "participant", participant, active=False)
    await feeds.enrol("coach-gone", "coach", active=False)
    await feeds.registered("coach-gone", participant)
    await feeds.send(sample("vouchers.voucher.expired.v1", participant_id=participant))
    await feeds.handled()
    # A deactivated account may not read its feed at all: nothing was written to it either.
    rows = await feeds.query("SELECT recipient FROM notifications.notifications")
    assert [r["recipient"] for r in rows] == []


async def test_programme_officers_hear_of_a_budget_threshold(feeds: Feeds) -> None:
    await feeds.enrol("officer-1", "programme_officer", language="en")
    await feeds.enrol("officer-2", "programme_officer")
    await feeds.send(sample("vouchers.budget.threshold_passed.v1"))
    await feeds.handled()
    (first,) = await feeds.of("officer-1", "programme_officer")
    assert first["message"] == "Category zoek has used 81% of its budget of €100,000.00; €19,000.00 is left."
    (second,) = await feeds.of("officer-2", "programme_officer")
    assert second["message"].startswith("Categorie zoek heeft 81% van haar budget van €\xa0100.000,00")


async def test_a_placement_is_told_to_the_participant_and_other_trajectory_changes_are_not(feeds: Feeds) -> None:
    participant = uuid.uuid4()
    await feeds.enrol("p-jan", "participant", participant)
    ended = sample(
        "intake.participant.trajectory_changed.v1", participant_id=participant, status=TrajectoryStatus.ENDED
    )
    await feeds.send(ended)
    await feeds.send(sample("intake.participant.trajectory_changed.v1", participant_id=participant))
    await feeds.handled()
    (placed,) = await feeds.of("p-jan", "participant")
    assert placed["message"] == "Gefeliciteerd: je traject staat op geplaatst bij een werkgever."


async def test_a_handed_over_participant_makes_the_new_coach_the_one_told_of_voucher_decisions(feeds: Feeds) -> None:
    participant = uuid.uuid4()
    await feeds.registered("coach-bob", participant)
    await feeds.send(sample("intake.participant.coach_assigned.v1", participant_id=participant))
    await feeds.handled()
    await feeds.send(sample("vouchers.application.rejected.v1", participant_id=participant))
    await feeds.handled()

    assert [x["kind"] for x in await feeds.of("coach-anna")] == ["application.rejected", "participant.coach_assigned"]
    assert [x["kind"] for x in await feeds.of("coach-bob")] == ["participant.registered"]


async def test_erasure_leaves_nothing_about_the_participant_in_any_feed_or_delivery(feeds: Feeds) -> None:
    participant, provider = uuid.uuid4(), uuid.uuid4()
    await feeds.enrol("p-erased", "participant", participant)
    await feeds.enrol("opleider", "provider", provider)
    await feeds.registered("coach-anna", participant)
    await feeds.send(sample("vouchers.voucher.issued.v1", participant_id=participant, provider_id=provider))
    await feeds.handled()
    assert await feeds.rows_mentioning(str(participant), "deliveries") == 1

    await feeds.erased(participant)
    await feeds.handled()
    for table in ("notifications", "deliveries", "caseload"):
        assert await feeds.rows_mentioning(str(participant), table) == 0, table
    assert await feeds.of("opleider", "provider") == []
    (cancelled,) = await feeds.query("SELECT status, recipient FROM notifications.deliveries")
    assert cancelled["status"] == "cancelled"
    assert "p-erased" not in cancelled["recipient"]


async def test_matching_tells_the_employer_of_a_proposal_and_the_coach_of_its_answer(feeds: Feeds) -> None:
    participant, employer, elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feeds.enrol("p-kees", "participant", participant, language="en")
    await feeds.enrol("coach-anna", "coach", language="en")
    await feeds.enrol("smit-hr", "employer", employer, language="de")
    await feeds.enrol("other-employer", "employer", elsewhere)
    await feeds.registered("coach-anna", participant)
    await feeds.handled()
    made = sample("matching.proposal.made.v1", participant_id=participant, employer_id=employer)
    await feeds.send(made)
    await feeds.send(sample("matching.proposal.declined.v1", participant_id=participant, employer_id=employer))
    await feeds.send(sample("matching.opportunity.confirmation_requested.v1", employer_id=employer))
    await feeds.handled()

    hr = [x["message"] for x in await feeds.of("smit-hr", "employer")]
    assert any(m.startswith("Ein Coach hat für eine Ihrer Stellen eine Person vorgeschlagen") for m in hr)
    assert any(m.startswith("Ist Ihre Stelle noch offen?") for m in hr)
    assert await feeds.of("other-employer", "employer") == []
    (kees,) = await feeds.of("p-kees", "participant")
    assert kees["message"].startswith("Your coach proposed you to an employer")
    coach = [x["message"] for x in await feeds.of("coach-anna")]
    assert "An employer declined a proposal for a participant in your caseload: the hours do not fit." in coach


async def test_programme_officers_hear_when_a_target_group_falls_behind_in_the_fairness_report(feeds: Feeds) -> None:
    await feeds.enrol("officer-1", "programme_officer", language="en")
    await feeds.enrol("coach-anna", "coach", language="en")
    await feeds.send(sample("matching.fairness.flagged.v1"))
    await feeds.handled()
    (told,) = await feeds.of("officer-1", "programme_officer")
    assert told["message"].startswith("In the fairness report, target group woman+age_45_plus (14 people) is below")
    assert "top10_share, acceptance" in told["message"]
    assert told["link"] == "/officer/plan"
    assert await feeds.of("coach-anna") == []


async def test_one_account_reached_in_two_roles_by_one_event_gets_an_entry_in_each_roles_feed(feeds: Feeds) -> None:
    participant, provider = uuid.uuid4(), uuid.uuid4()
    # The same id is a provider's user and, in intake's events, the participant's coach.
    await feeds.enrol("dual", "provider", provider)
    await feeds.registered("dual", participant)
    await feeds.handled()
    await feeds.send(sample("vouchers.voucher.issued.v1", participant_id=participant, provider_id=provider))
    await feeds.handled()
    rows = await feeds.query(
        "SELECT recipient_role, kind FROM notifications.notifications WHERE recipient = 'dual' ORDER BY seq"
    )
    assert [(r["recipient_role"], r["kind"]) for r in rows] == [
        ("coach", "participant.registered"),
        ("coach", "voucher.issued"),
        ("provider", "voucher.issued"),
    ]
