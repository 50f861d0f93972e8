"""What a region shares with other regions: programme designs and aggregated results, never people."""

from __future__ import annotations

import uuid

from services.vouchers.tests.conftest import VOUCHER, World
from shared.events.contracts.intake import Situation, TargetGroup
from shared.events.contracts.vouchers import ProgrammeOutcomesReported, ProgrammePublished
from shared.events.envelope import Envelope
from tests.support.waiting import eventually


async def shared_events(world: World, count: int) -> list[Envelope]:
    """The envelopes on the SHARED stream, once there are ``count`` of them."""

    async def found() -> list[Envelope]:
        envelopes = [Envelope.model_validate_json(b) for b in await world.platform.stream_messages("SHARED")]
        return envelopes if len(envelopes) >= count else []

    return await eventually(found)


async def test_a_new_programme_is_published_for_other_regions_with_its_design(world: World) -> None:
    programme = await world.create_programme(max_cents_per_person_per_year=150_000)
    [envelope] = await shared_events(world, 1)
    assert envelope.type == "programme.published"
    published = envelope.parse(ProgrammePublished)
    assert str(published.programme_id) == programme["id"]
    assert published.max_cents_per_person_per_year == 150_000
    assert [c.code for c in published.categories] == [c["code"] for c in programme["categories"]]
    assert published.budget_cents == programme["budget_cents"]


async def test_outcomes_are_shared_when_an_officer_says_so_and_small_counts_are_left_out(world: World) -> None:
    programme = await world.create_programme()
    women = await world.participants(6, target_groups=[TargetGroup.WOMAN])
    refugees = await world.participants(2, target_groups=[TargetGroup.REFUGEE_WITH_PERMIT])
    people = women + refugees
    for person in people:
        assert (await world.apply(programme, person)).status_code == 201
    by_employer = await world.participants(1)
    await world.employ(by_employer[0], world.mkb)
    employer = world.platform.auth("employer", str(world.mkb))
    assert (await world.apply(programme, by_employer[0], headers=employer)).status_code == 201
    seekers = await world.participants(2, Situation.LOOKING_FOR_WORK)
    for person in seekers:
        assert (await world.apply(programme, person, category="zoek_werk_techniek")).status_code == 201

    refused = await world.client.post(f"/programmes/{programme['id']}/outcomes", headers=world.as_provider())
    assert refused.status_code == 403
    unknown = await world.client.post(f"/programmes/{uuid.uuid4()}/outcomes", headers=world.officer())
    assert unknown.status_code == 404

    answer = await world.client.post(f"/programmes/{programme['id']}/outcomes", headers=world.officer())
    assert answer.status_code == 200, answer.text
    envelopes = await shared_events(world, 2)
    assert [e.type for e in envelopes] == ["programme.published", "programme.outcomes_reported"]
    report = envelopes[1].parse(ProgrammeOutcomesReported)
    assert report.model_dump(mode="json") == answer.json()
    techniek = next(c for c in report.categories if c.code == "werk_in_techniek")
    assert (techniek.applications, techniek.vouchers_issued) == (9, 9)
    assert techniek.reserved_cents == 9 * VOUCHER
    assert techniek.employer_submitted_pct is None, "it would show that one person applied through an employer"
    assert techniek.by_target_group == {"refugee_with_permit": None, "woman": 6}
    assert techniek.vouchers_redeemed == 0
    few = next(c for c in report.categories if c.code == "zoek_werk_techniek")
    assert few.budget_cents == 10 * VOUCHER
    assert (few.applications, few.vouchers_issued, few.reserved_cents, few.available_cents) == (None, None, None, None)
    quiet = next(c for c in report.categories if c.code == "werk_buiten_techniek")
    assert (quiet.applications, quiet.employer_submitted_pct, quiet.by_target_group) == (0, None, {})
    assert quiet.available_cents == quiet.budget_cents

    more = await world.participants(5)
    for person in more:
        await world.employ(person, world.mkb)
        assert (await world.apply(programme, person, headers=employer)).status_code == 201
    again = await world.client.post(f"/programmes/{programme['id']}/outcomes", headers=world.officer())
    techniek_now = next(c for c in again.json()["categories"] if c["code"] == "werk_in_techniek")
    assert techniek_now["employer_submitted_pct"] == round(100 * 6 / 14, 1), "six of fourteen, through employers"

    everything = b"".join(await world.platform.stream_messages("SHARED"))
    for person in [*people, *by_employer, *seekers, *more]:
        assert str(person).encode() not in everything
    assert str(world.mkb).encode() not in everything
    assert str(world.provider).encode() not in everything
