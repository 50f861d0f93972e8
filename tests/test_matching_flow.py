"""Intake's events reach matching over NATS: a registered participant becomes a candidate who gets
suggestions, and disappears from them when they withdraw matching consent at intake."""

from __future__ import annotations

from typing import Any

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from tests.support.platform import Platform, run_service
from tests.support.waiting import eventually


async def test_a_participant_registered_at_intake_is_suggested_until_consent_is_withdrawn(platform: Platform) -> None:
    async with run_service(platform, intake) as i, run_service(platform, matching) as m:
        admin, coach = await platform.login("admin", "admin-1"), await platform.login("coach", "coach-anna")
        employer = await i.client.post(
            "/employers",
            json={"kvk_number": "12345678", "name": "Smit Metaal", "sector": "metaal", "employee_count": 40},
            headers=admin,
        )
        assert employer.status_code == 201, employer.text
        created = await i.client.post(
            "/participants",
            json={
                "name": "Sanne de Vries",
                "situation": "looking_for_work",
                "postcode": "6811 AB",
                "skills": ["tig-welding", "mag-welding", "read-technical-drawings", "measure-precision"],
                "desired_occupations": ["welder"],
                "consents": ["matching"],
            },
            headers=coach,
        )
        assert created.status_code == 201, created.text
        participant = created.json()["id"]
        body = {
            "employer_id": employer.json()["id"],
            "kind": "vacancy",
            "title": "Lasser",
            "occupation": "welder",
            "hours": 36,
            "start_date": "2027-02-01",
            "postcode": "6511",
            "open_until": "2099-12-31",
        }

        async def published() -> Any:
            answer = await m.client.post("/opportunities", json=body, headers=coach)
            return answer.json() if answer.status_code == 201 else None  # until employer.registered arrived

        opportunity = await eventually(published)

        async def suggested() -> list[str]:
            answer = await m.client.get(f"/opportunities/{opportunity['id']}/suggestions", headers=coach)
            return [s["candidate"]["participant_id"] for s in answer.json()["suggestions"]]

        assert await eventually(suggested) == [participant]
        mine = (await m.client.get(f"/candidates/{participant}/suggestions", headers=coach)).json()
        assert [s["opportunity_id"] for s in mine["suggestions"]] == [opportunity["id"]]
        withdrawn = await i.client.post(
            f"/participants/{participant}/consents", json={"purpose": "matching", "given": False}, headers=coach
        )
        assert withdrawn.status_code in (200, 201), withdrawn.text

        async def gone() -> bool:
            return await suggested() == []

        await eventually(gone)
