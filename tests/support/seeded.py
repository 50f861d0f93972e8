"""A small region entered through the public APIs, so that requests can reach real records.

Intake makes the accounts (a coach, an officer, an employer's and a provider's user; a
participant registers themself), registers a coach's participant who works for the employer,
an employer, a provider with a course; its events reach vouchers over NATS, where an officer's
programme pays a voucher for the coach's participant. Tests then send requests about these ids
instead of ids nobody knows, which would only ever be answered 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.vouchers.domain import GELDERLAND_CATEGORIES
from shared.events.contracts.intake import Situation
from tests.support.platform import Platform
from tests.support.waiting import eventually

COACH = "coach-seed"
PARTICIPANT_ACCOUNT = "participant-seed"
PROVIDER_ACCOUNT = "provider-seed"
EMPLOYER_ACCOUNT = "employer-seed"
OFFICER = "officer-seed"
ADMIN = "admin-seed"
VOUCHER_CENTS = 100_000


@dataclass(frozen=True)
class Seeded:
    """The ids of what :func:`seed` entered."""

    participant_id: uuid.UUID  # in COACH's caseload
    own_participant_id: uuid.UUID  # registered by PARTICIPANT_ACCOUNT themself
    employer_id: uuid.UUID
    provider_id: uuid.UUID  # PROVIDER_ACCOUNT's
    course_id: uuid.UUID
    programme_id: uuid.UUID
    application_id: uuid.UUID  # filed by COACH for participant_id, approved
    voucher_id: uuid.UUID  # for course_id, so the provider's

    def path_values(self) -> dict[str, str]:
        """A real value for every path parameter name of the services' APIs (and the course, for bodies)."""
        return {
            "course_id": str(self.course_id),
            "participant_id": str(self.participant_id),
            "employer_id": str(self.employer_id),
            "provider_id": str(self.provider_id),
            "coach_id": COACH,
            "programme_id": str(self.programme_id),
            "application_id": str(self.application_id),
            "voucher_id": str(self.voucher_id),
        }


def programme_body(now: datetime) -> dict[str, Any]:
    """A programme open from a day before ``now`` for a month: the four Gelderland categories, ten vouchers each."""
    return {
        "name": "Leve(n)lang Gelders Vakmanschap",
        "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
        "redeem_by": (now + timedelta(days=365)).isoformat(),
        "budget_cents": len(GELDERLAND_CATEGORIES) * 10 * VOUCHER_CENTS,
        "categories": [
            {
                "code": t.code,
                "name": t.name,
                "voucher_amount_cents": VOUCHER_CENTS,
                "budget_cents": 10 * VOUCHER_CENTS,
                "eligible_situations": [s.value for s in t.eligible_situations],
            }
            for t in GELDERLAND_CATEGORIES
        ],
    }


def _created(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def seed(platform: Platform, intake: httpx.AsyncClient, vouchers: httpx.AsyncClient) -> Seeded:
    """Enter the region through intake's and vouchers' APIs; wait until vouchers has heard of it."""
    admin = await platform.login("admin", ADMIN)  # the first administrator (REGIONET_FIRST_ADMIN)
    coach = platform.auth("coach", COACH)
    officer = platform.auth("programme_officer", OFFICER)
    _created(
        await intake.post(
            "/coaches", json={"id": COACH, "display_name": "Anna de Boer", "region": platform.region}, headers=admin
        )
    )
    _created(await intake.post("/accounts", json={"id": OFFICER, "role": "programme_officer"}, headers=admin))
    participant = _created(
        await intake.post(
            "/participants",
            json={"name": "Sanne de Vries", "situation": Situation.WORKING_IN_TECH.value},
            headers=coach,
        )
    )
    myself = _created(
        await intake.post(
            "/participants/me",
            json={"name": "Ahmed El Amrani", "situation": Situation.LOOKING_FOR_WORK.value},
            headers=platform.auth("participant", PARTICIPANT_ACCOUNT),  # registering makes the account
        )
    )
    employer = _created(
        await intake.post(
            "/employers",
            json={"kvk_number": "12345678", "name": "Smit Installatie", "sector": "installatie", "employee_count": 40},
            headers=coach,
        )
    )
    provider = _created(
        await intake.post(
            "/providers",
            json={"kvk_number": "87654321", "name": "Techniek Opleidingen"},
            headers=admin,
        )
    )
    for account, role, party in ((PROVIDER_ACCOUNT, "provider", provider), (EMPLOYER_ACCOUNT, "employer", employer)):
        user = {"id": account, "role": role, "party": party["id"]}
        _created(await intake.post("/accounts", json=user, headers=admin))
    _created(
        await intake.put(
            f"/participants/{participant['id']}/employer", json={"employer_id": employer["id"]}, headers=coach
        )
    )
    course = _created(
        await intake.post(
            f"/providers/{provider['id']}/courses",
            json={"title": "PLC programmeren", "price_cents": VOUCHER_CENTS, "duration_hours": 40},
            headers=admin,
        )
    )

    async def programme_made() -> httpx.Response | None:
        # Until intake's events arrive, vouchers knows no such account.
        answer = await vouchers.post("/programmes", json=programme_body(datetime.now(UTC)), headers=officer)
        return answer if answer.status_code != 403 else None

    made = await eventually(programme_made)
    assert made is not None
    programme = _created(made)

    async def applied() -> httpx.Response | None:
        # Until intake's events arrive, vouchers answers that it knows no such account, participant or course.
        answer = await vouchers.post(
            f"/programmes/{programme['id']}/applications",
            json={"participant_id": participant["id"], "category": "werk_in_techniek", "course_id": course["id"]},
            headers=coach,
        )
        return answer if answer.status_code not in (403, 422) else None

    answer = await eventually(applied)
    assert answer is not None
    application = _created(answer)
    assert application["status"] == "voucher_issued", application
    return Seeded(
        participant_id=uuid.UUID(participant["id"]),
        own_participant_id=uuid.UUID(myself["id"]),
        employer_id=uuid.UUID(employer["id"]),
        provider_id=uuid.UUID(provider["id"]),
        course_id=uuid.UUID(course["id"]),
        programme_id=uuid.UUID(programme["id"]),
        application_id=uuid.UUID(application["id"]),
        voucher_id=uuid.UUID(application["voucher_id"]),
    )


ACCOUNTS: Mapping[str, str] = {
    "participant": PARTICIPANT_ACCOUNT,
    "coach": COACH,
    "employer": EMPLOYER_ACCOUNT,
    "provider": PROVIDER_ACCOUNT,
    "programme_officer": OFFICER,
    "admin": ADMIN,
}


def principals(seeded: Seeded) -> Mapping[str, Mapping[str, str]]:
    """The subject (``sub``) a token of each role carries, per service: the same account everywhere."""
    return {service: ACCOUNTS for service in ("intake", "vouchers", "notifications", "matching")}
