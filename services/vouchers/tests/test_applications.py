"""Applications over HTTP: first come first served, idempotency, eligibility, limits, waiting lists."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from services.vouchers import subscribers
from services.vouchers.tests.conftest import NOW, VOUCHER, World, feed
from shared import accounts
from shared.events.contracts.intake import (
    ConsentPurpose,
    CoursePublished,
    ParticipantConsentGiven,
    ParticipantErased,
    ProviderRegistered,
    Situation,
)
from shared.events.envelope import Envelope
from tests.support.waiting import eventually


async def balances(world: World, programme: dict[str, Any], code: str = "werk_in_techniek") -> dict[str, Any]:
    response = await world.client.get(f"/programmes/{programme['id']}", headers=world.officer())
    return next(c for c in response.json()["categories"] if c["code"] == code)


async def published_types(world: World, *expected: str) -> list[str]:
    """Event types on the VOUCHERS stream, once every one of ``expected`` is among them."""

    async def types() -> list[str]:
        found = [Envelope.model_validate_json(b).type for b in await world.platform.stream_messages("VOUCHERS")]
        return found if all(e in found for e in expected) else []

    return await eventually(types)


async def test_first_come_first_served_issues_vouchers_until_the_category_budget_is_gone(world: World) -> None:
    programme = await world.create_programme()
    people = await world.participants(12)
    answers = [await world.apply(programme, p) for p in people]
    assert [a.status_code for a in answers] == [201] * 12
    statuses = [a.json()["status"] for a in answers]
    assert statuses == ["voucher_issued"] * 10 + ["waitlisted"] * 2
    assert all(a.json()["amount_cents"] == VOUCHER for a in answers), "capped at the voucher amount"
    category = await balances(world, programme)
    assert (category["reserved_cents"], category["available_cents"]) == (10 * VOUCHER, 0)
    assert category["threshold_pct"] == 100


async def test_resending_with_the_same_idempotency_key_returns_the_first_answer_and_reserves_once(
    world: World,
) -> None:
    programme = await world.create_programme()
    [person] = await world.participants(1)
    first = await world.apply(programme, person, key="retry-1")
    again = await asyncio.gather(*(world.apply(programme, person, key="retry-1") for _ in range(5)))
    assert first.status_code == 201
    assert {a.status_code for a in again} == {200}
    assert {a.json()["id"] for a in again} == {first.json()["id"]}
    assert all(a.json() == first.json() for a in again)
    assert (await balances(world, programme))["reserved_cents"] == VOUCHER
    other = await world.apply(programme, person, key="retry-1", amount_cents=50_000)
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]


async def test_concurrent_resends_of_one_key_create_one_application(world: World) -> None:
    programme = await world.create_programme()
    [person] = await world.participants(1)
    answers = await asyncio.gather(*(world.apply(programme, person, key="same") for _ in range(20)))
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    count = await world.runtime.pool.fetchval("SELECT count(*) FROM vouchers.applications")
    assert count == 1


async def test_bad_applications_get_clear_4xx_answers_and_change_nothing(world: World) -> None:
    programme = await world.create_programme()
    [worker] = await world.participants(1, Situation.WORKING_IN_TECH)
    [seeker] = await world.participants(1, Situation.LOOKING_FOR_WORK, coach="coach-2")
    unknown = uuid.uuid4()
    cases = [
        (world.apply(programme, worker, category="zzp_techniek"), 422, "situation"),
        (world.apply(programme, worker, category="astronaut"), 422, "no category"),
        (world.apply(programme, worker, amount_cents=VOUCHER + 1), 422, "voucher amount"),
        (world.apply(programme, worker, course=world.cheap_course, amount_cents=50_000), 422, "price"),
        (world.apply(programme, worker, course=uuid.uuid4()), 422, "Course"),
        (world.apply(programme, worker, amount_cents=0), 422, "amount_cents"),
        (world.apply(programme, unknown, headers=world.platform.auth("coach", "coach-1")), 422, "not known"),
        (world.apply(programme, worker, headers=world.as_participant(seeker)), 403, "themselves"),
        (world.apply(programme, seeker, headers=world.platform.auth("coach", "coach-1")), 403, "caseload"),
        (world.apply(programme, worker, headers=world.as_provider()), 403, "participant or coach or employer"),
        (world.apply(programme, worker, headers={}), 401, "token"),
        (world.apply(programme, worker, headers={"Authorization": "Basic dXNlcjpwdw=="}), 401, "Bearer"),
        (world.apply(programme, worker, key="k" * 201), 422, "Idempotency-Key"),
        (
            world.client.post(
                "/programmes/not-a-uuid/applications",
                json={"category": "werk_in_techniek", "course_id": str(world.course)},
                headers=world.as_participant(worker),
            ),
            422,
            "path.programme_id",
        ),
        (
            world.client.post(
                f"/programmes/{programme['id']}/applications",
                content=b"{not json",
                headers={**world.as_participant(worker), "Content-Type": "application/json"},
            ),
            422,
            "JSON",
        ),
        (
            world.client.post(
                f"/programmes/{programme['id']}/applications",
                json={"category": "werk_in_techniek", "course_id": "x" * 70_000},
                headers=world.as_participant(worker),
            ),
            413,
            "larger than",
        ),
        (
            world.client.post(
                f"/programmes/{programme['id']}/applications",
                json={"category": "werk_in_techniek"},
                headers=world.as_participant(worker),
            ),
            422,
            "course_id: Field required",
        ),
        (
            world.client.post(
                f"/programmes/{uuid.uuid4()}/applications",
                json={"category": "werk_in_techniek", "course_id": str(world.course)},
                headers=world.as_participant(worker),
            ),
            404,
            "no programme",
        ),
    ]
    for request, status, words in cases:
        response = await request
        assert response.status_code == status, response.text
        assert words in response.json()["detail"], response.text
    assert await world.runtime.pool.fetchval("SELECT count(*) FROM vouchers.applications") == 0
    assert await world.runtime.pool.fetchval("SELECT count(*) FROM vouchers.idempotency_keys") == 0
    assert (await balances(world, programme))["available_cents"] == 10 * VOUCHER


async def test_window_and_per_person_limit_are_enforced(world: World) -> None:
    from datetime import timedelta

    later = await world.create_programme(
        opens_at=(NOW + timedelta(days=1)).isoformat(), closes_at=(NOW + timedelta(days=2)).isoformat()
    )
    [person] = await world.participants(1)
    early = await world.apply(later, person)
    assert early.status_code == 409
    assert "opens" in early.json()["detail"]

    programme = await world.create_programme()
    assert (await world.apply(programme, person)).status_code == 201
    second = await world.apply(programme, person, course=world.other_course, key="k2")
    assert second.status_code == 409
    assert "cancel an open application" in second.json()["detail"]
    assert (await world.apply(programme, person, course=world.other_course, key="k2")).status_code == 409


async def test_a_yearly_cap_counts_money_in_every_programme_and_frees_up_when_one_is_cancelled(
    world: World,
) -> None:
    world.service.app.state.clock = lambda: NOW  # one calendar year, even on New Year's Eve
    cap = {"max_cents_per_person_per_year": 150_000}
    first, second, third = [await world.create_programme(**cap) for _ in range(3)]
    uncapped = await world.create_programme()
    [person] = await world.participants(1)

    async def cancel(answer: Any) -> None:
        response = await world.client.post(
            f"/applications/{answer.json()['id']}/cancel", headers=world.as_participant(person)
        )
        assert response.status_code == 200, response.text

    granted = await world.apply(first, person)  # this year: 100,000
    assert granted.status_code == 201, granted.text
    assert first["max_cents_per_person_per_year"] == 150_000
    over = await world.apply(second, person, key="over")
    assert over.status_code == 409
    assert "this year" in over.json()["detail"]
    assert (await world.apply(second, person, key="over")).status_code == 409, "a resend gets the same refusal"
    within = await world.apply(second, person, key="within", amount_cents=50_000)  # 150,000
    assert within.status_code == 201, within.text
    elsewhere = await world.apply(uncapped, person, key="elsewhere")  # 250,000: that programme has no cap
    assert elsewhere.status_code == 201, elsewhere.text
    assert (await world.apply(third, person, key="third")).status_code == 409, "money elsewhere counts"
    await cancel(granted)  # 150,000
    assert (await world.apply(third, person, key="third-again")).status_code == 409
    await cancel(elsewhere)  # 50,000
    assert (await world.apply(third, person, key="third-at-last")).status_code == 201  # 150,000
    held = await world.runtime.pool.fetchval(
        "SELECT cents FROM vouchers.yearly_holdings WHERE participant_id = $1", person
    )
    assert held == 150_000


async def test_a_programme_for_accredited_providers_only_refuses_other_courses(world: World) -> None:
    unaccredited, course = uuid.uuid4(), uuid.uuid4()
    await feed(
        world.runtime.uow,
        ProviderRegistered(provider_id=unaccredited, kvk_number="55556666", name="Snelcursus BV", accredited=False),
        CoursePublished(
            course_id=course, provider_id=unaccredited, title="Lassen in een dag", price_cents=90_000, duration_hours=8
        ),
    )
    strict = await world.create_programme(accredited_providers_only=True)
    lenient = await world.create_programme()
    assert strict["accredited_providers_only"] is True
    a, b = await world.participants(2)
    refused = await world.apply(strict, a, course=course)
    assert refused.status_code == 422
    assert "accredited providers" in refused.json()["detail"]
    assert (await world.apply(strict, a, key="accredited")).status_code == 201
    assert (await world.apply(lenient, b, course=course)).status_code == 201
    assert await world.runtime.pool.fetchval("SELECT count(*) FROM vouchers.applications") == 2


async def test_coach_and_employer_apply_on_behalf_and_are_recorded_as_such(world: World) -> None:
    programme = await world.create_programme()
    a, b = await world.participants(2, coach="coach-1")
    await world.employ(b, world.mkb)
    by_coach = await world.apply(programme, a, headers=world.platform.auth("coach", "coach-1"))
    by_employer = await world.apply(programme, b, headers=world.platform.auth("employer", str(world.mkb)))
    assert by_coach.status_code == 201, by_coach.text
    assert by_employer.status_code == 201, by_employer.text
    assert by_coach.json()["submitted_by_role"] == "coach"
    assert by_employer.json()["submitted_by_role"] == "employer"
    assert by_employer.json()["employer_id"] == str(world.mkb)
    signals = (await world.client.get(f"/programmes/{programme['id']}/signals", headers=world.officer())).json()
    assert signals["programme"]["employer_submitted_pct"] == 50.0
    assert signals["programme"]["by_employer_size"][0]["key"] == "mkb"


async def test_an_employer_applies_only_for_its_employees_and_those_who_consented_to_share(world: World) -> None:
    programme = await world.create_programme()
    employee, consenting, stranger, elsewhere = await world.participants(4)
    await world.employ(employee, world.mkb)
    await world.employ(elsewhere, world.large)
    await feed(
        world.runtime.uow,
        ParticipantConsentGiven(
            participant_id=consenting,
            purpose=ConsentPurpose.SHARE_WITH_EMPLOYER,
            employer_id=world.mkb,
            source="participant",
        ),
    )
    smit = world.platform.auth("employer", str(world.mkb))
    assert (await world.apply(programme, employee, headers=smit)).status_code == 201
    assert (await world.apply(programme, consenting, headers=smit)).status_code == 201
    for refused in (stranger, elsewhere):
        answer = await world.apply(programme, refused, headers=smit)
        assert answer.status_code == 403, answer.text
        assert "own employees" in answer.json()["detail"]
    filed = await world.runtime.pool.fetchval("SELECT count(*) FROM vouchers.applications")
    assert filed == 2, "a refused filing leaves nothing behind"


async def test_cancelling_a_voucher_gives_its_money_to_the_next_on_the_waiting_list(world: World) -> None:
    programme = await world.create_programme()
    people = await world.participants(11)
    answers = [(await world.apply(programme, p)).json() for p in people]
    assert answers[-1]["status"] == "waitlisted"
    cancelled = await world.client.post(
        f"/applications/{answers[0]['id']}/cancel", headers=world.as_participant(people[0])
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    promoted = await world.client.get(f"/applications/{answers[-1]['id']}", headers=world.officer())
    assert promoted.json()["status"] == "voucher_issued"
    assert (await balances(world, programme))["available_cents"] == 0
    types = await published_types(world, "application.cancelled", "application.promoted")
    assert types.count("application.promoted") == 1
    assert "application.cancelled" in types


async def test_erasure_withdraws_a_waiting_application_so_it_is_never_promoted(world: World) -> None:
    programme = await world.create_programme(max_cents_per_person_per_year=500_000)
    people = await world.participants(11)
    answers = [(await world.apply(programme, p)).json() for p in people]
    waiting = answers[-1]
    assert waiting["status"] == "waitlisted"

    async with world.runtime.uow() as uow:
        erased = Envelope.wrap(ParticipantErased(participant_id=people[-1]), region="gld", subject="p")
        await subscribers.on_participant_erased(uow, erased)
        await accounts.on_participant_erased(uow, erased)  # the registry's own consumer
        await uow.commit()

    withdrawn = await world.client.get(f"/applications/{waiting['id']}", headers=world.officer())
    assert withdrawn.json()["status"] == "cancelled"
    assert withdrawn.json()["participant_id"] != str(people[-1]), "only a fresh pseudonym is left"
    tables = await world.runtime.pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'vouchers'"
        " AND table_type = 'BASE TABLE' AND table_name NOT IN ('outbox', 'inbox')"
    )
    assert {"yearly_holdings", "holdings", "applications"} <= {t["table_name"] for t in tables}
    for table in tables:
        found = await world.runtime.pool.fetchval(
            f"SELECT count(*) FROM vouchers.{table['table_name']} t WHERE t::text LIKE $1", f"%{people[-1]}%"
        )
        assert found == 0, f"{table['table_name']} still links to the erased person"
    cancelled = await world.client.post(
        f"/applications/{answers[0]['id']}/cancel", headers=world.as_participant(people[0])
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await balances(world, programme))["available_cents"] == VOUCHER, "nobody left to promote"


async def test_anyone_signed_in_reads_a_course_of_the_catalogue_and_nothing_else_about_it(world: World) -> None:
    participant = (await world.participants(1))[0]
    answer = await world.client.get(f"/courses/{world.course}", headers=world.as_participant(participant))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": str(world.course),
        "provider_id": str(world.provider),
        "title": "PLC programmeren",
        "price_cents": 150_000,
    }
    unknown = await world.client.get(f"/courses/{uuid.uuid4()}", headers=world.officer())
    assert unknown.status_code == 404
    assert (await world.client.get("/courses/plc", headers=world.officer())).status_code == 422
    assert (await world.client.get(f"/courses/{world.course}")).status_code == 401
