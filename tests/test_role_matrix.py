"""Every operation of every service against every kind of caller: only the allowed combinations succeed.

The operations come from each service's OpenAPI document, so a new route is covered as soon as
it exists, and this test fails until :data:`ALLOWED` says who may use it. Each operation gets a
valid request (random ids, a minimal valid body) from each caller:

- a token of each role: a role :data:`ALLOWED` names is let through (any answer but 401 or 403;
  a 404, 409 or 422 about the random ids is fine), any other role gets 403;
- no token, an expired token, a token signed with another secret, a token of another region:
  401 (403 for the other region), never a 2xx;
- an account that was deactivated, and an account of another region: 403 everywhere;
- another party of the same role (another coach, provider, employer, participant), with the ids
  of a real coach's participant, a real provider's voucher and a real employer's employee
  (:mod:`tests.support.seeded`): no 2xx for anything naming them, and no 2xx answer that shows
  them.

Every caller with a valid token has an account of the registry (the role callers act for their
own party); intake made the seeded region's accounts through its API.

The health, readiness, metrics and AsyncAPI routes are public: everyone gets a 2xx.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from services.vouchers.app import definition as vouchers
from shared.auth import Role, issue_token
from shared.settings import DEV_JWT_ISSUER, JWT_AUDIENCE
from tests.support.openapi import openapi_document, operations
from tests.support.platform import JWT_SECRET, Platform, run_service
from tests.support.seeded import COACH, EMPLOYER_ACCOUNT, PROVIDER_ACCOUNT, Seeded, programme_body, seed

DEFINITIONS = (intake, vouchers, notifications, matching)

ANYONE = frozenset(Role)
PUBLIC = None  # no token needed
PARTICIPANT = frozenset({Role.PARTICIPANT})
ADMIN = frozenset({Role.ADMIN})
COACH_OR_ADMIN = frozenset({Role.COACH, Role.ADMIN})
COACH_ONLY = frozenset({Role.COACH})
STAFF = frozenset({Role.ADMIN, Role.COACH, Role.PROGRAMME_OFFICER})
OFFICER = frozenset({Role.PROGRAMME_OFFICER, Role.ADMIN})
APPLICANTS = frozenset({Role.PARTICIPANT, Role.COACH, Role.EMPLOYER})
OPPORTUNITY_OWNERS = STAFF | {Role.EMPLOYER}  # employers their own, staff on an employer's behalf
PROPOSAL_ANSWERERS = frozenset({Role.EMPLOYER, Role.COACH, Role.ADMIN})
ORGANISATIONS = frozenset({Role.EMPLOYER, Role.PROVIDER})
PARTIES = ORGANISATIONS | {Role.PARTICIPANT}
INVITERS = frozenset({Role.ADMIN, Role.COACH, Role.EMPLOYER, Role.PROVIDER})

OPERATIONS_OF_EVERY_SERVICE: dict[str, frozenset[Role] | None] = {
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /asyncapi.json": PUBLIC,
}

# Who may use each operation: (service, "METHOD /path") -> the roles, or PUBLIC.
ALLOWED: dict[tuple[str, str], frozenset[Role] | None] = {
    **{("intake", op): roles for op, roles in OPERATIONS_OF_EVERY_SERVICE.items()},
    ("intake", "GET /participants/me"): PARTICIPANT,
    ("intake", "POST /participants/me"): PARTICIPANT,
    ("intake", "PATCH /participants/me"): PARTICIPANT,
    ("intake", "DELETE /participants/me"): PARTICIPANT,
    ("intake", "PUT /participants/me/employer"): PARTICIPANT,
    ("intake", "PUT /participants/{participant_id}/employer"): COACH_OR_ADMIN,
    ("intake", "POST /accounts"): ADMIN,
    ("intake", "GET /accounts"): ORGANISATIONS | ADMIN,
    ("intake", "GET /accounts/me"): ANYONE,
    ("intake", "POST /accounts/claim"): ANYONE,
    ("intake", "POST /accounts/invitations"): INVITERS,
    ("intake", "GET /accounts/invitations"): INVITERS,
    ("intake", "DELETE /accounts/invitations/{invitation_id}"): INVITERS,
    ("intake", "GET /accounts/{account_id}"): ANYONE,
    ("intake", "PATCH /accounts/{account_id}"): ANYONE,
    ("intake", "GET /participants/me/consents"): PARTICIPANT,
    ("intake", "POST /participants/me/consents"): PARTICIPANT,
    ("intake", "POST /participants"): COACH_OR_ADMIN,
    ("intake", "GET /participants"): COACH_OR_ADMIN,
    ("intake", "GET /participants/{participant_id}"): COACH_OR_ADMIN,
    ("intake", "PATCH /participants/{participant_id}"): COACH_OR_ADMIN,
    ("intake", "DELETE /participants/{participant_id}"): ADMIN,
    ("intake", "PUT /participants/{participant_id}/coach"): COACH_OR_ADMIN,
    ("intake", "POST /participants/{participant_id}/trajectory"): COACH_OR_ADMIN,
    ("intake", "GET /participants/{participant_id}/timeline"): COACH_OR_ADMIN,
    ("intake", "POST /participants/{participant_id}/notes"): COACH_OR_ADMIN,
    ("intake", "GET /participants/{participant_id}/consents"): COACH_OR_ADMIN,
    ("intake", "POST /participants/{participant_id}/consents"): COACH_OR_ADMIN,
    ("intake", "GET /coaches"): STAFF,
    ("intake", "POST /coaches"): ADMIN,
    ("intake", "GET /coaches/{coach_id}"): STAFF,
    ("intake", "PATCH /coaches/{coach_id}"): ADMIN,
    ("intake", "POST /employers"): COACH_OR_ADMIN,
    ("intake", "GET /employers"): STAFF,
    ("intake", "GET /employers/{employer_id}"): STAFF | {Role.EMPLOYER},
    ("intake", "PATCH /employers/{employer_id}"): COACH_OR_ADMIN | {Role.EMPLOYER},
    ("intake", "POST /employers/{employer_id}/contacts"): COACH_OR_ADMIN | {Role.EMPLOYER},
    ("intake", "GET /providers"): STAFF,
    ("intake", "POST /providers"): ADMIN,
    ("intake", "GET /providers/{provider_id}"): STAFF | {Role.PROVIDER},
    ("intake", "POST /providers/{provider_id}/courses"): frozenset({Role.ADMIN, Role.PROVIDER}),
    ("intake", "POST /imports/participants"): ADMIN,
    ("intake", "POST /imports/employers"): ADMIN,
    ("intake", "GET /statistics/participants"): OFFICER,
    **{("vouchers", op): roles for op, roles in OPERATIONS_OF_EVERY_SERVICE.items()},
    ("vouchers", "GET /programme-templates/gelderland"): ANYONE,
    ("vouchers", "GET /programmes"): ANYONE,
    ("vouchers", "POST /programmes"): OFFICER,
    ("vouchers", "GET /programmes/{programme_id}"): ANYONE,
    ("vouchers", "POST /programmes/{programme_id}/budget-changes"): OFFICER,
    ("vouchers", "POST /programmes/{programme_id}/budget-moves"): OFFICER,
    ("vouchers", "GET /programmes/{programme_id}/budget"): ANYONE,
    ("vouchers", "GET /programmes/{programme_id}/ledger"): OFFICER,
    ("vouchers", "POST /programmes/{programme_id}/outcomes"): OFFICER,
    ("vouchers", "GET /programmes/{programme_id}/signals"): OFFICER,
    ("vouchers", "POST /programmes/{programme_id}/draw"): OFFICER,
    ("vouchers", "GET /programmes/{programme_id}/draw"): ANYONE,
    ("vouchers", "POST /programmes/{programme_id}/expire-due"): OFFICER,
    ("vouchers", "POST /programmes/{programme_id}/applications"): APPLICANTS,
    ("vouchers", "GET /applications"): ANYONE,
    ("vouchers", "GET /applications/{application_id}"): ANYONE,
    ("vouchers", "POST /applications/{application_id}/approve"): OFFICER,
    ("vouchers", "POST /applications/{application_id}/reject"): OFFICER,
    ("vouchers", "POST /applications/{application_id}/cancel"): ANYONE,
    ("vouchers", "GET /vouchers"): frozenset({Role.PROVIDER, Role.PARTICIPANT, Role.PROGRAMME_OFFICER, Role.ADMIN}),
    ("vouchers", "GET /courses/{course_id}"): ANYONE,
    ("vouchers", "GET /vouchers/{voucher_id}"): ANYONE,
    ("vouchers", "POST /vouchers/{voucher_id}/redemption"): frozenset({Role.PROVIDER}),
    ("vouchers", "POST /vouchers/{voucher_id}/settlement"): OFFICER,
    ("vouchers", "POST /vouchers/{voucher_id}/clawback"): OFFICER,
    **{("notifications", op): roles for op, roles in OPERATIONS_OF_EVERY_SERVICE.items()},
    ("notifications", "GET /notifications"): ANYONE,
    ("notifications", "POST /notifications/{notification_id}/read"): ANYONE,
    ("notifications", "GET /preferences"): ANYONE,
    ("notifications", "PUT /preferences"): ANYONE,
    ("notifications", "POST /webhooks/endpoints"): ADMIN,
    ("notifications", "GET /webhooks/endpoints"): ADMIN,
    ("notifications", "GET /webhooks/endpoints/{endpoint_id}"): ADMIN,
    ("notifications", "DELETE /webhooks/endpoints/{endpoint_id}"): ADMIN,
    ("notifications", "POST /webhooks/endpoints/{endpoint_id}/pause"): ADMIN,
    ("notifications", "POST /webhooks/endpoints/{endpoint_id}/resume"): ADMIN,
    ("notifications", "POST /webhooks/endpoints/{endpoint_id}/secret"): ADMIN,
    ("notifications", "GET /webhooks/endpoints/{endpoint_id}/attempts"): ADMIN,
    ("notifications", "POST /webhooks/endpoints/{endpoint_id}/replay"): ADMIN,
    **{("matching", op): roles for op, roles in OPERATIONS_OF_EVERY_SERVICE.items()},
    ("matching", "GET /vocabulary"): ANYONE,
    ("matching", "POST /opportunities"): OPPORTUNITY_OWNERS,
    ("matching", "GET /opportunities"): OPPORTUNITY_OWNERS,
    ("matching", "GET /opportunities/{opportunity_id}"): OPPORTUNITY_OWNERS,
    ("matching", "PATCH /opportunities/{opportunity_id}"): OPPORTUNITY_OWNERS,
    ("matching", "POST /opportunities/{opportunity_id}/confirm"): OPPORTUNITY_OWNERS,
    ("matching", "POST /opportunities/{opportunity_id}/close"): OPPORTUNITY_OWNERS,
    ("matching", "GET /opportunities/{opportunity_id}/suggestions"): OPPORTUNITY_OWNERS,
    ("matching", "GET /candidates"): COACH_OR_ADMIN,
    ("matching", "GET /candidates/{participant_id}"): COACH_OR_ADMIN,
    ("matching", "PATCH /candidates/{participant_id}"): COACH_OR_ADMIN,
    ("matching", "GET /candidates/{participant_id}/suggestions"): COACH_OR_ADMIN,
    ("matching", "POST /proposals"): COACH_OR_ADMIN,
    ("matching", "GET /proposals"): OPPORTUNITY_OWNERS,
    ("matching", "GET /proposals/mine"): PARTICIPANT,
    ("matching", "GET /proposals/{proposal_id}"): OPPORTUNITY_OWNERS,
    ("matching", "POST /proposals/{proposal_id}/interested"): PROPOSAL_ANSWERERS,
    ("matching", "POST /proposals/{proposal_id}/decline"): PROPOSAL_ANSWERERS,
    ("matching", "POST /proposals/{proposal_id}/interview"): PROPOSAL_ANSWERERS,
    ("matching", "POST /proposals/{proposal_id}/placed"): PROPOSAL_ANSWERERS,
    ("matching", "POST /proposals/{proposal_id}/retained"): PROPOSAL_ANSWERERS,
    ("matching", "POST /proposals/{proposal_id}/end"): PROPOSAL_ANSWERERS,
    ("matching", "POST /proposals/{proposal_id}/withdraw"): COACH_OR_ADMIN,
    ("matching", "POST /plans"): OFFICER,
    ("matching", "GET /plans/latest"): STAFF,  # a coach sees their own caseload's part
    ("matching", "GET /plans/policy"): OFFICER,
    ("matching", "PUT /plans/policy"): OFFICER,
    ("matching", "GET /fairness"): OFFICER,
    ("matching", "POST /saved-searches"): COACH_ONLY,
    ("matching", "GET /saved-searches"): COACH_ONLY,
    ("matching", "DELETE /saved-searches/{search_id}"): COACH_ONLY,
    ("matching", "GET /inflow"): OFFICER,
    ("matching", "POST /housekeeping/sweep"): ADMIN,  # development deployments only
}

Values = Mapping[str, str]
CSV = {"content": b"Naam;Situatie\r\n", "headers": {"content-type": "text/csv"}}  # a header row, no people


def _kvk() -> str:
    return f"{random.randrange(10_000_000, 100_000_000)}"


# A minimal valid body for each operation that needs one, from the ids in the request and the
# caller's own subject ("me"): httpx keyword arguments.
BODIES: dict[tuple[str, str], Callable[[Values], dict[str, Any]]] = {
    ("intake", "POST /participants/me"): lambda v: {"json": {"name": "Eva Jansen", "situation": "student"}},
    ("intake", "PATCH /participants/me"): lambda v: {"json": {"education_level": "mbo4"}},
    ("intake", "POST /participants/me/consents"): lambda v: {"json": {"purpose": "coaching", "given": True}},
    ("intake", "POST /participants"): lambda v: {"json": {"name": "Eva Jansen", "situation": "student"}},
    ("intake", "PATCH /participants/{participant_id}"): lambda v: {"json": {"education_level": "mbo4"}},
    ("intake", "PUT /participants/{participant_id}/coach"): lambda v: {"json": {"coach_id": v["me"]}},
    ("intake", "PUT /participants/me/employer"): lambda v: {"json": {"employer_id": v["employer_id"]}},
    ("intake", "PUT /participants/{participant_id}/employer"): lambda v: {"json": {"employer_id": v["employer_id"]}},
    ("intake", "POST /accounts"): lambda v: {"json": {"id": f"acc-{uuid.uuid4().hex[:8]}", "role": "coach"}},
    ("intake", "POST /accounts/claim"): lambda v: {"json": {"code": uuid.uuid4().hex}},
    # An organisation's user invites a colleague; anyone else a participant (of a random id).
    ("intake", "POST /accounts/invitations"): lambda v: {
        "json": {"role": v["my_role"]}
        if v["my_role"] in ORGANISATIONS
        else {"role": "participant", "party": v["participant_id"]}
    },
    ("intake", "PATCH /accounts/{account_id}"): lambda v: {"json": {"language": "en"}},
    ("intake", "POST /participants/{participant_id}/trajectory"): lambda v: {"json": {"status": "active"}},
    ("intake", "POST /participants/{participant_id}/notes"): lambda v: {"json": {"text": "Gesprek gehad"}},
    ("intake", "POST /participants/{participant_id}/consents"): lambda v: {
        "json": {"purpose": "coaching", "given": True}
    },
    ("intake", "POST /coaches"): lambda v: {"json": {"id": f"coach-{uuid.uuid4().hex[:8]}", "region": "gld"}},
    ("intake", "PATCH /coaches/{coach_id}"): lambda v: {"json": {"active": True}},
    ("intake", "POST /employers"): lambda v: {
        "json": {"kvk_number": _kvk(), "name": "Bouwbedrijf Arnhem", "sector": "bouw", "employee_count": 12}
    },
    ("intake", "PATCH /employers/{employer_id}"): lambda v: {"json": {"city": "Arnhem"}},
    ("intake", "POST /employers/{employer_id}/contacts"): lambda v: {"json": {"name": "Jan Smit"}},
    ("intake", "POST /providers"): lambda v: {"json": {"kvk_number": _kvk(), "name": "Lasschool Oost"}},
    ("intake", "POST /providers/{provider_id}/courses"): lambda v: {
        "json": {"title": f"Lassen {uuid.uuid4().hex[:6]}", "price_cents": 50_000, "duration_hours": 16}
    },
    ("intake", "POST /imports/participants"): lambda v: CSV,
    ("intake", "POST /imports/employers"): lambda v: CSV,
    ("vouchers", "POST /programmes"): lambda v: {"json": programme_body(datetime.now(UTC))},
    ("vouchers", "POST /programmes/{programme_id}/budget-changes"): lambda v: {
        "json": {"category": "werk_in_techniek", "delta_cents": 1_000, "reason": "extra geld"}
    },
    ("vouchers", "POST /programmes/{programme_id}/budget-moves"): lambda v: {
        "json": {
            "from_category": "werk_in_techniek",
            "to_category": "werkzoekend",
            "amount_cents": 1_000,
            "reason": "verschuiving",
        }
    },
    ("vouchers", "POST /programmes/{programme_id}/applications"): lambda v: {
        "json": {"participant_id": v["participant_id"], "category": "werk_in_techniek", "course_id": v["course_id"]}
    },
    ("vouchers", "POST /applications/{application_id}/reject"): lambda v: {"json": {"reason": "incomplete"}},
    ("vouchers", "POST /vouchers/{voucher_id}/redemption"): lambda v: {
        "json": {"attendance_pct": 100, "completed": True}
    },
    ("vouchers", "POST /vouchers/{voucher_id}/clawback"): lambda v: {"json": {"reason": "lijst ingetrokken"}},
    ("matching", "POST /opportunities"): lambda v: {
        "json": {
            "employer_id": v["employer_id"],
            "kind": "vacancy",
            "title": "Monteur",
            "occupation": "electrician",
            "hours": 36,
            "start_date": "2027-02-01",
            "postcode": "6811",
            "open_until": "2027-03-01",
        }
    },
    ("matching", "PATCH /opportunities/{opportunity_id}"): lambda v: {"json": {"hours": 32}},
    ("matching", "PATCH /candidates/{participant_id}"): lambda v: {"json": {"hours_max": 32}},
    ("matching", "POST /proposals"): lambda v: {
        "json": {"participant_id": v["participant_id"], "opportunity_id": v["opportunity_id"]}
    },
    ("matching", "POST /proposals/{proposal_id}/decline"): lambda v: {"json": {"reason": "skills"}},
    ("matching", "POST /proposals/{proposal_id}/retained"): lambda v: {"json": {"months": 3}},
    ("matching", "POST /proposals/{proposal_id}/end"): lambda v: {"json": {"reason": "other"}},
    ("matching", "POST /proposals/{proposal_id}/withdraw"): lambda v: {"json": {"reason": "coach_withdrew"}},
    ("matching", "POST /saved-searches"): lambda v: {"json": {"occupation": "welder", "postcode": "6811"}},
    ("matching", "PUT /plans/policy"): lambda v: {"json": {"quotas": [{"target_group": "woman", "places": 1}]}},
    ("matching", "POST /housekeeping/sweep"): lambda v: {"json": {"days_ahead": 1}},
    ("notifications", "POST /webhooks/endpoints"): lambda v: {
        "json": {"url": "http://127.0.0.1:9/hooks", "event_types": ["vouchers.programme.published.v1"]}
    },
    ("notifications", "POST /webhooks/endpoints/{endpoint_id}/secret"): lambda v: {"json": {}},
    ("notifications", "PUT /preferences"): lambda v: {"json": {"opted_out": {"email": ["vouchers"]}}},
    ("notifications", "POST /webhooks/endpoints/{endpoint_id}/replay"): lambda v: {
        "json": {"since": "2026-01-01T00:00:00Z"}
    },
}


def documented_operations() -> dict[tuple[str, str], bool]:
    """Every operation of every service, and whether it needs a request body."""
    found: dict[tuple[str, str], bool] = {}
    for definition in DEFINITIONS:
        paths = openapi_document(definition)["paths"]
        for method, path in operations(definition):
            body = paths[path][method.lower()].get("requestBody", {})
            found[(definition.name, f"{method} {path}")] = bool(body.get("required"))
    return found


def test_every_operation_says_who_may_use_it_and_how_to_call_it() -> None:
    documented = documented_operations()
    assert sorted(set(documented) - set(ALLOWED)) == [], "operations without an entry in ALLOWED"
    assert sorted(set(ALLOWED) - set(documented)) == [], "entries in ALLOWED for operations that do not exist"
    needing = {op for op, needs_body in documented.items() if needs_body}
    assert sorted(needing - set(BODIES)) == [], "operations that need a body without one in BODIES"
    assert sorted(set(BODIES) - set(documented)) == [], "entries in BODIES for operations that do not exist"


@dataclass(frozen=True)
class Caller:
    """Who sends a request: a name for the report, and the headers per service."""

    name: str
    headers: Callable[[str], dict[str, str]]
    role: Role | None = None  # a valid token of this role
    refused: int | None = None  # the status every protected operation must answer
    guarded: frozenset[str] = frozenset()  # path parameters naming someone else's records
    guarded_writes: frozenset[str] = frozenset()  # path parameters of records others may read, not change
    hidden: frozenset[str] = frozenset()  # ids a 2xx answer to this caller must not show
    sub: str = ""

    @property
    def with_real_ids(self) -> bool:
        """True for the callers whose requests name someone else's real records."""
        return bool(self.guarded or self.guarded_writes)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def callers(platform: Platform, seeded: Seeded) -> list[Caller]:
    """One caller per role, the callers without a valid account, and another party of each role that has one."""
    subs = {role: f"matrix-{role.value}" for role in Role}
    # Each acts for a party of its own (nobody's, for the organisations and the participant).
    await platform.enrol_all([(role, sub, str(uuid.uuid4()) if role in PARTIES else sub) for role, sub in subs.items()])
    await platform.enrol_all(
        [
            (Role.COACH, "coach-other", "coach-other"),
            (Role.PROVIDER, "provider-other", str(uuid.uuid4())),
            (Role.EMPLOYER, "employer-other", str(uuid.uuid4())),
            (Role.PARTICIPANT, "participant-other", str(uuid.uuid4())),
        ]
    )
    await platform.enrol("admin", "matrix-deactivated", active=False)
    await platform.enrol_all([(Role.ADMIN, "matrix-utrecht", "matrix-utrecht")], region="utr")

    def role_caller(role: Role) -> Caller:
        token = platform.token(role, subs[role])
        return Caller(role.value, lambda service: _bearer(token), role=role, sub=subs[role])

    def signed(secret: str, ttl: int, region: str) -> str:
        # An administrator's token, which could do anything were it valid.
        return issue_token(
            secret,
            sub="matrix-admin",
            role=Role.ADMIN,
            region=region,
            issuer=DEV_JWT_ISSUER,
            audience=JWT_AUDIENCE,
            ttl_seconds=ttl,
        )

    expired = signed(JWT_SECRET, -60, platform.region)
    forged = signed("another-secret-that-is-long-enough-for-hs256", 3600, platform.region)
    elsewhere = signed(JWT_SECRET, 3600, "utr")
    other_coach = platform.token(Role.COACH, "coach-other")
    other_provider = platform.token(Role.PROVIDER, "provider-other")
    other_employer = platform.token(Role.EMPLOYER, "employer-other")
    other_participant = platform.token(Role.PARTICIPANT, "participant-other")
    deactivated = platform.token(Role.ADMIN, "matrix-deactivated")
    utrecht = platform.token(Role.ADMIN, "matrix-utrecht")
    theirs = frozenset({str(seeded.participant_id), str(seeded.own_participant_id), str(seeded.application_id)})
    return [
        *(role_caller(role) for role in Role),
        Caller("no token", lambda service: {}, refused=401),
        Caller("expired token", lambda service: _bearer(expired), refused=401),
        Caller("forged signature", lambda service: _bearer(forged), refused=401),
        Caller("another region", lambda service: _bearer(elsewhere), refused=403),
        Caller("a deactivated account", lambda service: _bearer(deactivated), refused=403),
        Caller("an account of another region", lambda service: _bearer(utrecht), refused=403),
        Caller(
            f"another coach than {COACH}",
            lambda service: _bearer(other_coach),
            role=Role.COACH,
            guarded=frozenset({"participant_id", "application_id"}),
            hidden=frozenset({str(seeded.participant_id), str(seeded.application_id)}),
            sub="coach-other",
        ),
        Caller(
            f"another provider than {PROVIDER_ACCOUNT}",
            lambda service: _bearer(other_provider),
            role=Role.PROVIDER,
            guarded=frozenset({"voucher_id", "application_id"}),
            guarded_writes=frozenset({"provider_id"}),  # a provider's courses are public, publishing is not
            hidden=frozenset({str(seeded.voucher_id), str(seeded.application_id)}),
            sub="provider-other",
        ),
        Caller(
            f"another employer than {EMPLOYER_ACCOUNT}'s",
            lambda service: _bearer(other_employer),
            role=Role.EMPLOYER,
            guarded=frozenset({"participant_id", "application_id"}),
            guarded_writes=frozenset({"employer_id"}),
            hidden=theirs,
            sub="employer-other",
        ),
        Caller(
            "another participant",
            lambda service: _bearer(other_participant),
            role=Role.PARTICIPANT,
            guarded=frozenset({"participant_id", "application_id", "voucher_id"}),
            hidden=theirs,
            sub="participant-other",
        ),
    ]


def random_values() -> dict[str, str]:
    """Ids nobody has: what an ordinary caller's requests name."""
    names = ("participant_id", "employer_id", "provider_id", "course_id", "programme_id", "application_id")
    values = {
        name: str(uuid.uuid4())
        for name in (
            *names,
            "voucher_id",
            "notification_id",
            "invitation_id",
            "opportunity_id",
            "proposal_id",
            "endpoint_id",
            "search_id",
        )
    }
    return values | {"coach_id": "coach-nobody", "account_id": "account-nobody"}


def verdict(caller: Caller, allowed: frozenset[Role] | None, method: str, path: str, answer: httpx.Response) -> str:
    """What is wrong with ``answer``, or "" when it is what ``caller`` may get."""
    status = answer.status_code
    if status >= 500:
        return f"a server error {status}"
    if allowed is PUBLIC:
        return "" if 200 <= status < 300 else f"{status} for a public operation"
    if caller.refused is not None:
        return "" if status == caller.refused else f"{status} instead of {caller.refused}"
    assert caller.role is not None
    guarded = caller.guarded | (caller.guarded_writes if method != "GET" else frozenset())
    if any(f"{{{name}}}" in path for name in guarded) and 200 <= status < 300:
        return f"{status}: reached someone else's record"
    if 200 <= status < 300 and any(hidden in answer.text for hidden in caller.hidden):
        return f"{status}: the answer shows someone else's record"
    if caller.role not in allowed:
        return "" if status == 403 else f"{status} instead of 403 for a role that may not"
    if status in (401, 403) and not caller.with_real_ids:
        return f"{status} for a role that may"
    return ""


async def test_only_the_allowed_callers_get_through(platform: Platform) -> None:
    async with contextlib.AsyncExitStack() as stack:
        clients = {d.name: (await stack.enter_async_context(run_service(platform, d))).client for d in DEFINITIONS}
        seeded = await seed(platform, clients["intake"], clients["vouchers"])
        everyone = await callers(platform, seeded)
        wrong: list[str] = []
        for (service, operation), allowed in ALLOWED.items():
            method, path = operation.split(" ", 1)
            for caller in everyone:
                values = {
                    **random_values(),
                    **(seeded.path_values() if caller.with_real_ids else {}),
                    "me": caller.sub,
                    "my_role": caller.role.value if caller.role else "",
                }
                body = BODIES[(service, operation)](values) if (service, operation) in BODIES else {}
                headers = {**body.get("headers", {}), **caller.headers(service)}
                content = {key: value for key, value in body.items() if key != "headers"}
                answer = await clients[service].request(method, path.format(**values), headers=headers, **content)
                problem = verdict(caller, allowed, method, path, answer)
                if problem:
                    wrong.append(f"{service} {operation} as {caller.name}: {problem} {answer.text[:200]}")
    assert wrong == [], "\n".join(wrong)
