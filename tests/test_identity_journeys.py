"""Each role's real journey with the token that role really gets: accounts made through intake's API.

Intake, vouchers, notifications and matching run with real Postgres and NATS between them;
nobody's account is written into a table by the test. The first administrator is the one
``REGIONET_FIRST_ADMIN`` names; everyone else is invited (or registers themself) and signs in
with a token whose subject is their own sign-in id, never a party's id. Journeys cross services,
so every request that depends on another service's events retries until they have arrived.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from services.vouchers.app import definition as vouchers
from tests.support.platform import Platform, run_service
from tests.support.seeded import programme_body
from tests.support.waiting import eventually

ADMIN = "oidc|admin-7f3a"


@dataclass
class Region:
    """The four services of one region, and the platform's token signer."""

    platform: Platform
    clients: dict[str, httpx.AsyncClient]

    def token(self, role: str, sub: str) -> dict[str, str]:
        """The bearer header of a token the region's sign-in would issue."""
        return self.platform.auth(role, sub)

    @property
    def admin(self) -> dict[str, str]:
        return self.token("admin", ADMIN)

    async def call(
        self, service: str, method: str, path: str, who: dict[str, str], *, expect: int = 200, **kwargs: Any
    ) -> Any:
        """One request; waits while the answer is one of another service's events not having arrived yet."""

        async def answered() -> httpx.Response | None:
            answer = await self.clients[service].request(method, path, headers=who, **kwargs)
            arriving = (answer.status_code == 403 and "no Regionet account" in answer.text) or (
                answer.status_code == 422 and "not known" in answer.text
            )
            return None if arriving and expect != answer.status_code else answer

        answer = await eventually(answered)
        assert answer is not None
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    async def invite_and_claim(self, inviter: dict[str, str], sub: str, role: str, party: str | None = None) -> None:
        """``inviter`` invites; the person signs in as ``sub`` and claims the code."""
        body: dict[str, Any] = {"role": role} | ({"party": party} if party else {})
        invitation = await self.call("intake", "POST", "/accounts/invitations", inviter, expect=201, json=body)
        claimed = await self.call(
            "intake", "POST", "/accounts/claim", self.token(role, sub), expect=201, json={"code": invitation["code"]}
        )
        assert (claimed["id"], claimed["role"]) == (sub, role)

    async def programme(self) -> str:
        """An officer (made by the administrator) opens the Gelderland programme."""
        officer = "oidc|officer-1"
        await self.call(
            "intake", "POST", "/accounts", self.admin, expect=201, json={"id": officer, "role": "programme_officer"}
        )
        body = programme_body(datetime.now(UTC))
        made = await self.call(
            "vouchers", "POST", "/programmes", self.token("programme_officer", officer), expect=201, json=body
        )
        programme_id: str = made["id"]
        return programme_id

    async def course(self, provider_id: str, who: dict[str, str], title: str = "PLC programmeren") -> str:
        """A course of ``provider_id`` (published by ``who``)."""
        body = {"title": title, "price_cents": 90_000, "duration_hours": 40}
        course = await self.call("intake", "POST", f"/providers/{provider_id}/courses", who, expect=201, json=body)
        course_id: str = course["id"]
        return course_id

    async def provider(self, kvk: str) -> str:
        made = await self.call(
            "intake", "POST", "/providers", self.admin, expect=201, json={"kvk_number": kvk, "name": f"Opleider {kvk}"}
        )
        provider_id: str = made["id"]
        return provider_id


@pytest.fixture
async def region(platform: Platform) -> AsyncIterator[Region]:
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for definition in (intake, vouchers, notifications, matching):
            extra = {"first_admin": ADMIN} if definition is intake else {}
            clients[definition.name] = (
                await stack.enter_async_context(run_service(platform, definition, **extra))
            ).client
        yield Region(platform, clients)


async def test_a_coach_is_invited_registers_a_participant_and_applies_for_them(region: Region) -> None:
    await region.invite_and_claim(region.admin, "oidc|coach-anna", "coach")
    coach = region.token("coach", "oidc|coach-anna")
    provider = await region.provider("11112222")
    course = await region.course(provider, region.admin)
    programme = await region.programme()
    person = await region.call(
        "intake",
        "POST",
        "/participants",
        coach,
        expect=201,
        json={"name": "Sanne de Vries", "situation": "working_in_tech"},
    )
    assert person["coach_id"] == "oidc|coach-anna"
    body = {"participant_id": person["id"], "category": "werk_in_techniek", "course_id": course}
    filed = await region.call("vouchers", "POST", f"/programmes/{programme}/applications", coach, expect=201, json=body)
    assert (filed["submitted_by_role"], filed["status"]) == ("coach", "voucher_issued")

    # Another coach's token reaches neither the person nor the application.
    await region.call(
        "intake", "POST", "/coaches", region.admin, expect=201, json={"id": "oidc|coach-bob", "region": "gld"}
    )
    bob = region.token("coach", "oidc|coach-bob")
    await region.call("intake", "GET", f"/participants/{person['id']}", bob, expect=404)
    await region.call("vouchers", "GET", f"/applications/{filed['id']}", bob, expect=404)


async def test_a_participant_registers_themself_and_applies_only_for_themself(region: Region) -> None:
    provider = await region.provider("11113333")
    course = await region.course(provider, region.admin)
    programme = await region.programme()
    me = region.token("participant", "oidc|9c1e-ahmed")  # signed in at the region's login, no account yet
    myself = await region.call(
        "intake",
        "POST",
        "/participants/me",
        me,
        expect=201,
        json={"name": "Ahmed El Amrani", "situation": "working_in_tech"},
    )
    mine = await region.call("intake", "GET", "/accounts/me", me)
    assert (mine["role"], mine["party"]) == ("participant", myself["id"])
    body = {"category": "werk_in_techniek", "course_id": course}
    filed = await region.call("vouchers", "POST", f"/programmes/{programme}/applications", me, expect=201, json=body)
    assert (filed["participant_id"], filed["submitted_by_role"]) == (myself["id"], "participant")
    listed = await region.call("vouchers", "GET", "/applications", me)
    assert [a["id"] for a in listed] == [filed["id"]]

    someone = await region.call(
        "intake", "POST", "/participants/me", region.token("participant", "oidc|someone"), expect=201,
        json={"name": "Iemand Anders", "situation": "working_in_tech"},
    )  # fmt: skip
    for_someone = {**body, "participant_id": someone["id"]}
    refused = await region.call(
        "vouchers", "POST", f"/programmes/{programme}/applications", me, expect=403, json=for_someone
    )
    assert "only apply for themselves" in refused["detail"]


async def test_an_employer_invites_a_colleague_who_applies_for_an_employee_but_not_for_a_stranger(
    region: Region,
) -> None:
    provider = await region.provider("11114444")
    course = await region.course(provider, region.admin)
    programme = await region.programme()
    employer = await region.call(
        "intake", "POST", "/employers", region.admin, expect=201,
        json={"kvk_number": "55556666", "name": "Smit Installatie", "sector": "installatie", "employee_count": 40},
    )  # fmt: skip
    await region.invite_and_claim(region.admin, "oidc|smit-owner", "employer", employer["id"])
    owner = region.token("employer", "oidc|smit-owner")
    await region.invite_and_claim(owner, "oidc|smit-hr", "employer")  # a colleague, invited by the employer itself
    hr = region.token("employer", "oidc|smit-hr")
    colleagues = await region.call("intake", "GET", "/accounts", hr)
    assert {a["id"] for a in colleagues} == {"oidc|smit-owner", "oidc|smit-hr"}

    await region.invite_and_claim(region.admin, "oidc|coach-carla", "coach")
    coach = region.token("coach", "oidc|coach-carla")
    employee = await region.call(
        "intake", "POST", "/participants", coach, expect=201, json={"name": "Kees Smit", "situation": "working_in_tech"}
    )
    consenting = await region.call(
        "intake", "POST", "/participants", coach, expect=201, json={"name": "Lotte Bos", "situation": "working_in_tech"}
    )
    stranger = await region.call(
        "intake", "POST", "/participants", coach, expect=201, json={"name": "Piet Vos", "situation": "working_in_tech"}
    )
    employer_id = employer["id"]
    await region.call(
        "intake", "PUT", f"/participants/{employee['id']}/employer", coach, json={"employer_id": employer_id}
    )
    await region.call(
        "intake", "POST", f"/participants/{consenting['id']}/consents", coach,
        json={"purpose": "share_with_employer", "given": True, "employer_id": employer_id},
    )  # fmt: skip

    def body(person: dict[str, Any]) -> dict[str, Any]:
        return {"participant_id": person["id"], "category": "werk_in_techniek", "course_id": course}

    path = f"/programmes/{programme}/applications"

    async def linked(person: dict[str, Any]) -> Any:
        # The link travels as an event: until vouchers has it, the employer is refused.
        async def filed() -> Any:
            answer = await region.clients["vouchers"].post(path, json=body(person), headers=hr)
            return answer if answer.status_code == 201 else None

        return (await eventually(filed)).json()

    for person in (employee, consenting):
        application = await linked(person)
        assert (application["submitted_by_role"], application["employer_id"]) == ("employer", employer_id)
    refused = await region.call("vouchers", "POST", path, hr, expect=403, json=body(stranger))
    assert "own employees" in refused["detail"]


async def test_a_provider_user_publishes_a_course_sees_and_claims_its_voucher_and_nobody_elses(region: Region) -> None:
    ours, theirs = await region.provider("22223333"), await region.provider("22224444")
    await region.invite_and_claim(region.admin, "oidc|technica-desk", "provider", ours)
    desk = region.token("provider", "oidc|technica-desk")
    course = await region.course(ours, desk, "Basis lassen")
    refused = await region.call(
        "intake", "POST", f"/providers/{theirs}/courses", desk, expect=403,
        json={"title": "Niet van ons", "price_cents": 1_000, "duration_hours": 1},
    )  # fmt: skip
    assert "own provider" in refused["detail"]
    other_course = await region.course(theirs, region.admin, "Ander lassen")
    programme = await region.programme()
    await region.invite_and_claim(region.admin, "oidc|coach-dirk", "coach")
    coach = region.token("coach", "oidc|coach-dirk")
    vouchers_for: dict[str, str] = {}
    for name, chosen in (("Fenna", course), ("Gert", other_course)):
        person = await region.call(
            "intake", "POST", "/participants", coach, expect=201, json={"name": name, "situation": "working_in_tech"}
        )
        body = {"participant_id": person["id"], "category": "werk_in_techniek", "course_id": chosen}
        filed = await region.call(
            "vouchers", "POST", f"/programmes/{programme}/applications", coach, expect=201, json=body
        )
        vouchers_for[chosen] = filed["voucher_id"]

    seen = await region.call("vouchers", "GET", "/vouchers", desk)
    assert [v["voucher_id"] for v in seen] == [vouchers_for[course]]
    await region.call("vouchers", "GET", f"/vouchers/{vouchers_for[other_course]}", desk, expect=404)
    claim = {"attendance_pct": 100, "completed": True}
    claimed = await region.call("vouchers", "POST", f"/vouchers/{vouchers_for[course]}/redemption", desk, json=claim)
    assert claimed["status"] == "redeemed"
    await region.call(
        "vouchers", "POST", f"/vouchers/{vouchers_for[other_course]}/redemption", desk, expect=404, json=claim
    )


# An authenticated request each service answers any active account (2xx).
PROBES: dict[str, tuple[str, str]] = {
    "intake": ("GET", "/accounts/me"),
    "vouchers": ("GET", "/applications"),
    "notifications": ("GET", "/notifications"),
}


async def test_a_deactivated_account_is_refused_by_every_service_within_seconds(region: Region) -> None:
    await region.invite_and_claim(region.admin, "oidc|coach-eva", "coach")
    eva = region.token("coach", "oidc|coach-eva")

    def probe(service: str) -> Callable[[], Awaitable[bool]]:
        method, path = PROBES[service]

        async def answered(wanted: int) -> bool:
            return (await region.clients[service].request(method, path, headers=eva)).status_code == wanted

        async def allowed() -> bool:
            return await answered(200)

        return allowed

    for service in PROBES:
        await eventually(probe(service))  # her account has reached every service
    await region.call("intake", "PATCH", "/accounts/oidc|coach-eva", region.admin, json={"active": False})
    started = datetime.now(UTC)
    for service, (method, path) in PROBES.items():

        async def refused(service: str = service, method: str = method, path: str = path) -> bool:
            answer = await region.clients[service].request(method, path, headers=eva)
            return answer.status_code == 403 and "deactivated" in answer.text

        await eventually(refused, timeout=10)
    assert (datetime.now(UTC) - started).total_seconds() < 10
    await region.call("intake", "PATCH", "/accounts/oidc|coach-eva", region.admin, json={"active": True})
    for service in PROBES:
        await eventually(probe(service), timeout=10)


async def test_invitations_are_single_use_and_a_coach_invites_only_their_own_participant(region: Region) -> None:
    invitation = await region.call(
        "intake", "POST", "/accounts/invitations", region.admin, expect=201, json={"role": "coach"}
    )
    assert invitation["code"]
    assert invitation["claimed_by"] is None
    listed = await region.call("intake", "GET", "/accounts/invitations", region.admin)
    assert all(i["code"] is None for i in listed), "a code is shown only once"
    first = region.token("coach", "oidc|first")
    await region.call("intake", "POST", "/accounts/claim", first, expect=201, json={"code": invitation["code"]})
    again = await region.call(
        "intake",
        "POST",
        "/accounts/claim",
        region.token("coach", "oidc|second"),
        expect=409,
        json={"code": invitation["code"]},
    )
    assert "already claimed" in again["detail"]
    wrong_role = await region.call(
        "intake", "POST", "/accounts/invitations", region.admin, expect=201, json={"role": "admin"}
    )
    mismatch = await region.call(
        "intake",
        "POST",
        "/accounts/claim",
        region.token("coach", "oidc|third"),
        expect=403,
        json={"code": wrong_role["code"]},
    )
    assert "for a admin account" in mismatch["detail"]
    email_subject = await region.call(
        "intake",
        "POST",
        "/accounts/claim",
        region.token("admin", "jan@example.nl"),
        expect=422,
        json={"code": wrong_role["code"]},
    )
    assert "email address" in email_subject["detail"]

    coach = first
    person = await region.call(
        "intake", "POST", "/participants", coach, expect=201, json={"name": "Hanna", "situation": "student"}
    )
    await region.invite_and_claim(coach, "oidc|hanna", "participant", person["id"])
    hanna = region.token("participant", "oidc|hanna")
    assert (await region.call("intake", "GET", "/participants/me", hanna))["id"] == person["id"]
    await region.call(
        "intake", "POST", "/coaches", region.admin, expect=201, json={"id": "oidc|other-coach", "region": "gld"}
    )
    other = region.token("coach", "oidc|other-coach")
    not_theirs = await region.call(
        "intake",
        "POST",
        "/accounts/invitations",
        other,
        expect=404,
        json={"role": "participant", "party": person["id"]},
    )
    assert "caseload" in not_theirs["detail"]
    twice = await region.call(
        "intake",
        "POST",
        "/accounts/invitations",
        coach,
        expect=409,
        json={"role": "participant", "party": person["id"]},
    )
    assert "already has an account" in twice["detail"]
