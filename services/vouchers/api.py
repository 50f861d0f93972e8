"""HTTP routes of the vouchers service: parse, authorise, call a handler, answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, Field
from starlette.datastructures import State

from services.vouchers import db, handlers
from services.vouchers.audit import audit
from services.vouchers.domain import GELDERLAND_CATEGORIES, Grant, signals, threshold_level, used_pct
from services.vouchers.handlers import CreateProgramme, allocation, budgets, filing, redemption, sharing
from services.vouchers.handlers.filing import Applicant, ApplyCommand, desk_of
from shared.auth import CurrentPrincipal, Principal, Role, authenticate, bearer_token, ensure_role, require_roles
from shared.errors import NotFound, Unprocessable
from shared.events.contracts.vouchers import RejectionReason, SubmittedBy
from shared.hot import HotRequest, HotResponse, HotRoute, InvalidRequest, parse_body
from shared.service import Runtime, RuntimeDep

router = APIRouter()

Officer = Annotated[Principal, require_roles(Role.PROGRAMME_OFFICER, Role.ADMIN)]
Provider = Annotated[Principal, require_roles(Role.PROVIDER)]


def clock(request: Request) -> datetime:
    """The service's clock (tests replace ``app.state.clock``)."""
    return _now(request.app.state)


def _now(state: State) -> datetime:
    override: Callable[[], datetime] | None = getattr(state, "clock", None)
    return override() if override is not None else handlers.utcnow()


# ---------------------------------------------------------------- views


class CategoryOut(BaseModel):
    """A category with its rules and balances."""

    code: str
    name: str
    voucher_amount_cents: int
    eligible_situations: list[str]
    budget_cents: int
    available_cents: int
    reserved_cents: int
    redeemed_cents: int
    settled_cents: int
    used_pct: int
    threshold_pct: int = Field(description="Highest of 80/90/100 passed; 100 = cannot fund another full voucher")


class ProgrammeOut(BaseModel):
    """A programme, its rules and its categories."""

    id: uuid.UUID
    name: str
    mode: str
    opens_at: datetime
    closes_at: datetime
    redeem_by: datetime
    auto_approve: bool
    max_vouchers_per_person: int
    max_cents_per_person: int | None
    max_cents_per_person_per_year: int | None
    accredited_providers_only: bool
    attendance_threshold_pct: int
    below_threshold: str
    quotas: dict[str, int]
    weights: dict[str, float]
    seed_commitment: str = Field(description="sha256 of the lottery seed; the seed is revealed at the draw")
    drawn_at: datetime | None
    budget_cents: int
    categories: list[CategoryOut]


class ApplicationOut(BaseModel):
    """An application and, once issued, its voucher."""

    id: uuid.UUID
    programme_id: uuid.UUID
    category: str
    participant_id: uuid.UUID
    course_id: uuid.UUID
    provider_id: uuid.UUID
    amount_cents: int
    submitted_by_role: str
    employer_id: uuid.UUID | None
    status: str
    reserved: bool
    voucher_id: uuid.UUID | None
    draw_rank: int | None
    reason: str | None
    paid_cents: int
    submitted_at: datetime


def _category_out(row: Any) -> CategoryOut:
    return CategoryOut(
        code=row["code"],
        name=row["name"],
        voucher_amount_cents=row["voucher_amount_cents"],
        eligible_situations=list(row["eligible_situations"]),
        budget_cents=row["budget_cents"],
        available_cents=row["available_cents"],
        reserved_cents=row["reserved_cents"],
        redeemed_cents=row["redeemed_cents"],
        settled_cents=row["settled_cents"],
        used_pct=used_pct(row["budget_cents"], row["available_cents"]),
        threshold_pct=threshold_level(row["budget_cents"], row["available_cents"], row["voucher_amount_cents"]),
    )


async def _programme_out(runtime: RuntimeDep, programme_id: uuid.UUID) -> ProgrammeOut:
    async with runtime.pool.acquire() as conn:
        row = await db.get_programme(conn, programme_id)
        if row is None:
            raise NotFound(f"There is no programme {programme_id}; list them with GET /programmes.")
        categories = await db.get_categories(conn, programme_id)
    return ProgrammeOut(
        **{k: row[k] for k in ProgrammeOut.model_fields if k not in ("budget_cents", "categories")},
        budget_cents=sum(c["budget_cents"] for c in categories),
        categories=[_category_out(c) for c in categories],
    )


def _application_out(row: Any) -> ApplicationOut:
    return ApplicationOut(**{k: row[k] for k in ApplicationOut.model_fields})


# ---------------------------------------------------------------- programmes and budgets


@router.get("/programme-templates/gelderland", tags=["programmes"])
async def gelderland_template(principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """The four categories of Leve(n)lang Gelders Vakmanschap, to start a programme from."""
    return [
        {"code": t.code, "name": t.name, "eligible_situations": [s.value for s in t.eligible_situations]}
        for t in GELDERLAND_CATEGORIES
    ]


@router.post("/programmes", status_code=status.HTTP_201_CREATED, response_model=ProgrammeOut, tags=["programmes"])
async def create_programme(body: CreateProgramme, runtime: RuntimeDep, principal: Officer) -> ProgrammeOut:
    """Set up a programme with its window, categories, budgets and rules."""
    async with runtime.uow() as uow:
        programme_id = await handlers.create_programme(uow, body, actor=principal.sub)
        await uow.commit()
    return await _programme_out(runtime, programme_id)


@router.get("/programmes", response_model=list[ProgrammeOut], tags=["programmes"])
async def list_programmes(runtime: RuntimeDep, principal: CurrentPrincipal) -> list[ProgrammeOut]:
    """Every programme of this region."""
    async with runtime.pool.acquire() as conn:
        ids = [r["id"] for r in await db.list_programmes(conn)]
    return [await _programme_out(runtime, i) for i in ids]


@router.get("/programmes/{programme_id}", response_model=ProgrammeOut, tags=["programmes"])
async def get_programme(programme_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> ProgrammeOut:
    """One programme with its category balances."""
    return await _programme_out(runtime, programme_id)


class BudgetChangeIn(BaseModel):
    """Raise or lower one category's budget."""

    category: str
    delta_cents: int = Field(description="Positive raises, negative lowers (at most what is available)")
    reason: str = Field(min_length=3, max_length=500, description="Why; kept in the ledger")


class BudgetMoveIn(BaseModel):
    """Move available money between categories."""

    from_category: str
    to_category: str
    amount_cents: int = Field(gt=0)
    reason: str = Field(min_length=3, max_length=500)


@router.post("/programmes/{programme_id}/budget-changes", response_model=ProgrammeOut, tags=["budgets"])
async def change_budget(
    programme_id: uuid.UUID, body: BudgetChangeIn, request: Request, runtime: RuntimeDep, principal: Officer
) -> ProgrammeOut:
    """Raise or lower a category's budget; recorded in the ledger; a raise serves the waiting list first."""
    if body.delta_cents == 0:
        raise Unprocessable("delta_cents is 0, which changes nothing; send a positive or negative amount.")
    async with runtime.uow() as uow:
        await budgets.change_budget(
            uow,
            programme_id,
            body.category,
            body.delta_cents,
            reason=body.reason,
            actor=principal.sub,
            now=clock(request),
        )
        await uow.commit()
    return await _programme_out(runtime, programme_id)


@router.post("/programmes/{programme_id}/budget-moves", response_model=ProgrammeOut, tags=["budgets"])
async def move_budget(
    programme_id: uuid.UUID, body: BudgetMoveIn, request: Request, runtime: RuntimeDep, principal: Officer
) -> ProgrammeOut:
    """Move available money from one category to another; both sides recorded in the ledger."""
    async with runtime.uow() as uow:
        await budgets.move_budget(
            uow,
            programme_id,
            body.from_category,
            body.to_category,
            body.amount_cents,
            reason=body.reason,
            actor=principal.sub,
            now=clock(request),
        )
        await uow.commit()
    return await _programme_out(runtime, programme_id)


class BurnDownPoint(BaseModel):
    """A category's balance at the end of a time bucket."""

    at: datetime
    budget_cents: int
    available_cents: int
    used_pct: int


class BurnDown(BaseModel):
    """Per category: balances now and how they fell over time."""

    categories: list[CategoryOut]
    series: dict[str, list[BurnDownPoint]]


@router.get("/programmes/{programme_id}/budget", response_model=BurnDown, tags=["budgets"])
async def burn_down(
    programme_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    bucket: Literal["minute", "hour", "day"] = "hour",
) -> BurnDown:
    """The budget burn-down per category, from the ledger."""
    programme = await _programme_out(runtime, programme_id)
    async with runtime.pool.acquire() as conn:
        rows = await db.burn_down_series(conn, programme_id, bucket)
    series: dict[str, list[BurnDownPoint]] = {c.code: [] for c in programme.categories}
    for r in rows:
        series[r["category"]].append(
            BurnDownPoint(
                at=r["t"],
                budget_cents=r["budget_after"],
                available_cents=r["available_after"],
                used_pct=used_pct(r["budget_after"], r["available_after"]),
            )
        )
    return BurnDown(categories=programme.categories, series=series)


@router.get("/programmes/{programme_id}/ledger", tags=["budgets"])
async def ledger(
    programme_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: Officer,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """The append-only ledger of a programme, and whether its sums match the balances."""
    await _programme_out(runtime, programme_id)
    async with runtime.pool.acquire() as conn:
        entries = await db.ledger(conn, programme_id, after_seq=after_seq, limit=limit)
        totals = await db.ledger_totals(conn, programme_id)
        problems = await audit(conn, programme_id)
    balanced = not problems
    return {"balanced": balanced, "problems": problems, "totals": totals, "entries": [dict(e) for e in entries]}


@router.post("/programmes/{programme_id}/outcomes", tags=["sharing"])
async def share_outcomes(
    programme_id: uuid.UUID, request: Request, runtime: RuntimeDep, principal: Officer
) -> dict[str, Any]:
    """Share the programme's results so far with other regions (``programme.outcomes_reported`` on the SHARED
    stream): per category the money, and counts of applications, vouchers and redemptions; every count of one
    to four people is left out (null). Returns what was published."""
    async with runtime.uow() as uow:
        report = await sharing.report_outcomes(uow, programme_id, now=clock(request))
        await uow.commit()
    published: dict[str, Any] = report.model_dump(mode="json")
    return published


@router.get("/programmes/{programme_id}/signals", tags=["budgets"])
async def programme_signals(programme_id: uuid.UUID, runtime: RuntimeDep, principal: Officer) -> dict[str, Any]:
    """Employer-submitted share, MKB vs large, target groups and concentration on providers and courses."""
    programme = await _programme_out(runtime, programme_id)
    async with runtime.pool.acquire() as conn:
        rows = await db.signal_rows(conn, programme_id)
    grants = [
        Grant(
            category=r["category"],
            submitted_by=r["submitted_by_role"],
            employer_size=r["employer_size"],
            provider_id=str(r["provider_id"]),
            course_id=str(r["course_id"]),
            target_groups=list(r["target_groups"]),
            amount_cents=r["amount_cents"],
            funded=r["funded"],
        )
        for r in rows
    ]
    return {
        "programme": signals(grants).__dict__,
        "categories": {
            c.code: signals([g for g in grants if g.category == c.code]).__dict__ for c in programme.categories
        },
    }


@router.post("/programmes/{programme_id}/draw", tags=["allocation"])
async def draw(programme_id: uuid.UUID, request: Request, runtime: RuntimeDep, principal: Officer) -> dict[str, Any]:
    """After the window closes: draw the lottery with the committed seed and publish seed, inputs and outcome."""
    async with runtime.uow() as uow:
        published = await allocation.run_draw(uow, programme_id, actor=principal.sub, now=clock(request))
        await uow.commit()
    return published


@router.get("/programmes/{programme_id}/draw", tags=["allocation"])
async def get_draw(programme_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The published draw: seed, algorithm, inputs and outcome, enough to re-run it (``lottery.rerun``)."""
    async with runtime.pool.acquire() as conn:
        row = await db.get_programme(conn, programme_id)
    if row is None:
        raise NotFound(f"There is no programme {programme_id}.")
    if row["draw"] is None:
        raise NotFound("This programme has not been drawn yet; the draw is published when it has run.")
    published: dict[str, Any] = row["draw"]
    return published


@router.post("/programmes/{programme_id}/expire-due", tags=["allocation"])
async def expire_due(
    programme_id: uuid.UUID, request: Request, runtime: RuntimeDep, principal: Officer
) -> dict[str, int]:
    """After the redemption deadline: expire unclaimed vouchers and open applications; money goes back."""
    async with runtime.uow() as uow:
        count = await handlers.expire_due(uow, programme_id, now=clock(request))
        await uow.commit()
    return {"expired": count}


# ---------------------------------------------------------------- applications


APPLICANT_ROLES = (Role.PARTICIPANT, Role.COACH, Role.EMPLOYER)
IDEMPOTENCY_KEY_MAX = 200


def _path_uuid(name: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidRequest([{"loc": ("path", name), "msg": "Input should be a valid UUID"}]) from None


async def apply(request: HotRequest) -> HotResponse:
    """Apply for a voucher: first come first served reserves money at once; a lottery waits for the draw.

    The opening rush lands here, so this is a hot route (:mod:`shared.hot`), served without
    FastAPI's per-request machinery; :data:`APPLY_OPERATION` documents it.
    """
    state = request.state
    principal = ensure_role(
        await authenticate(state.token_verifier, bearer_token(request.headers.get("authorization"))), APPLICANT_ROLES
    )
    programme_id = _path_uuid("programme_id", request.params["programme_id"])
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
        message = f"The Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters long"
        raise InvalidRequest([{"loc": ("header", "Idempotency-Key"), "msg": message}])
    body = parse_body(ApplyCommand, request.body)
    runtime: Runtime = state.runtime
    view, created = await filing.apply(
        desk_of(runtime),
        runtime.uow,
        programme_id=programme_id,
        cmd=body,
        applicant=Applicant(SubmittedBy(principal.role.value), principal.sub),
        idempotency_key=idempotency_key,
        now=_now(state),
    )
    return HotResponse(
        status.HTTP_201_CREATED if created else status.HTTP_200_OK, _application_out(view).model_dump_json().encode()
    )


def _answer(description: str, schema: str = "Problem") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


APPLY_OPERATION: dict[str, Any] = {
    "tags": ["applications"],
    "summary": "Apply",
    "description": apply.__doc__.split("\n\n")[0] if apply.__doc__ else "",
    "operationId": "apply_programmes__programme_id__applications_post",
    "security": [{"HTTPBearer": []}],
    "parameters": [
        {"name": "programme_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Resending with the same key returns the first answer and never files a second application",
            "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
        },
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplyCommand"}}},
    },
    "responses": {
        "201": _answer(
            "Filed: reserved (voucher issued or awaiting approval), waitlisted, or waiting for the draw",
            "ApplicationOut",
        ),
        "200": _answer("A resend with the same Idempotency-Key: the first answer", "ApplicationOut"),
        "401": _answer("No valid bearer token"),
        "403": _answer("Not an applicant's role, or applying for someone the caller may not apply for"),
        "404": _answer("No such programme"),
        "409": _answer("The programme is not open, or the person already holds what the programme allows"),
        "413": _answer("The body is larger than 64 KiB"),
        "422": _answer("Not valid: the body, the header, an unknown participant, course or category, or not eligible"),
    },
}


class Problem(BaseModel):
    """Every 4xx and 5xx answer."""

    detail: str
    errors: list[dict[str, str]] | None = Field(default=None, description="Per field, for validation errors")


hot_routes = [
    HotRoute(
        "POST",
        "/programmes/{programme_id}/applications",
        apply,
        APPLY_OPERATION,
        [(ApplyCommand, "validation"), (ApplicationOut, "serialization"), (Problem, "serialization")],
    )
]


def _may_see(principal: Principal, row: Any) -> bool:
    if principal.has(Role.PROGRAMME_OFFICER, Role.ADMIN):
        return True
    if principal.role is Role.PARTICIPANT:
        return str(row["participant_id"]) == principal.sub
    if principal.role is Role.PROVIDER:
        return row["voucher_id"] is not None and str(row["provider_id"]) == principal.sub
    return bool(row["submitted_by"] == principal.sub)


@router.get("/applications", response_model=list[ApplicationOut], tags=["applications"])
async def list_applications(
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    programme_id: uuid.UUID | None = None,
    status_is: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ApplicationOut]:
    """Applications the caller may see: officers all, others their own (coaches and employers: filed by them)."""
    scope: dict[str, Any] = {}
    if principal.role is Role.PARTICIPANT:
        scope["participant_id"] = _own_uuid(principal)
    elif principal.role is Role.PROVIDER:
        scope["provider_id"] = _own_uuid(principal)
        scope["vouchers_only"] = True
    elif principal.role in (Role.COACH, Role.EMPLOYER):
        scope["submitted_by"] = principal.sub
    async with runtime.pool.acquire() as conn:
        rows = await db.list_applications(
            conn, programme_id=programme_id, status=status_is, limit=limit, offset=offset, **scope
        )
    return [_application_out(r) for r in rows]


def _own_uuid(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.sub)
    except ValueError:
        # A token whose subject is no id sees nothing rather than everything.
        return uuid.UUID(int=0)


@router.get("/applications/{application_id}", response_model=ApplicationOut, tags=["applications"])
async def get_application(
    application_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal
) -> ApplicationOut:
    """One application the caller may see."""
    async with runtime.pool.acquire() as conn:
        row = await db.get_application(conn, application_id)
    if row is None or not _may_see(principal, row):
        raise NotFound(f"There is no application {application_id} that you may see.")
    return _application_out(row)


class RejectIn(BaseModel):
    """Why an application is rejected."""

    reason: RejectionReason
    note: str | None = Field(default=None, max_length=1000, description="Kept in the service, never in events")


@router.post("/applications/{application_id}/approve", response_model=ApplicationOut, tags=["applications"])
async def approve(
    application_id: uuid.UUID, request: Request, runtime: RuntimeDep, principal: Officer
) -> ApplicationOut:
    """Approve an application whose money is reserved; the voucher is issued."""
    async with runtime.uow() as uow:
        row = await handlers.approve(uow, application_id, now=clock(request))
        await uow.commit()
    return _application_out(row)


@router.post("/applications/{application_id}/reject", response_model=ApplicationOut, tags=["applications"])
async def reject(
    application_id: uuid.UUID, body: RejectIn, request: Request, runtime: RuntimeDep, principal: Officer
) -> ApplicationOut:
    """Reject an application with a reason; reserved money goes to the next on the waiting list."""
    async with runtime.uow() as uow:
        row = await handlers.reject(
            uow, application_id, reason=body.reason, note=body.note, actor=principal.sub, now=clock(request)
        )
        await uow.commit()
    return _application_out(row)


@router.post("/applications/{application_id}/cancel", response_model=ApplicationOut, tags=["applications"])
async def cancel(
    application_id: uuid.UUID, request: Request, runtime: RuntimeDep, principal: CurrentPrincipal
) -> ApplicationOut:
    """Withdraw an application or unused voucher (the applicant, the participant, or an officer)."""
    async with runtime.uow() as uow:
        row = await db.get_application(uow.conn, application_id)
        if row is None or not _may_see(principal, row) or principal.role is Role.PROVIDER:
            raise NotFound(f"There is no application {application_id} that you may cancel.")
        updated = await handlers.cancel(
            uow, application_id, by_role=principal.role.value, actor=principal.role.value, now=clock(request)
        )
        await uow.commit()
    return _application_out(updated)


# ---------------------------------------------------------------- vouchers and redemption


@router.get("/vouchers", response_model=list[ApplicationOut], tags=["vouchers"])
async def list_vouchers(
    runtime: RuntimeDep,
    principal: Annotated[Principal, require_roles(Role.PROVIDER, Role.PARTICIPANT, Role.PROGRAMME_OFFICER, Role.ADMIN)],
    programme_id: uuid.UUID | None = None,
    status_is: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ApplicationOut]:
    """Vouchers: a provider sees only vouchers for its own courses, a participant only their own."""
    scope: dict[str, Any] = {}
    if principal.role is Role.PROVIDER:
        scope["provider_id"] = _own_uuid(principal)
    elif principal.role is Role.PARTICIPANT:
        scope["participant_id"] = _own_uuid(principal)
    async with runtime.pool.acquire() as conn:
        rows = await db.list_applications(
            conn, programme_id=programme_id, status=status_is, vouchers_only=True, limit=limit, offset=offset, **scope
        )
    return [_application_out(r) for r in rows]


@router.get("/vouchers/{voucher_id}", response_model=ApplicationOut, tags=["vouchers"])
async def get_voucher(voucher_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> ApplicationOut:
    """One voucher the caller may see."""
    async with runtime.pool.acquire() as conn:
        row = await db.get_by_voucher(conn, voucher_id)
    if row is None or not _may_see(principal, row):
        raise NotFound(f"There is no voucher {voucher_id} that you may see.")
    return _application_out(row)


class RedemptionIn(BaseModel):
    """A provider's claim after the course."""

    attendance_pct: int = Field(ge=0, le=100, description="Share of the course the participant attended")
    completed: bool = Field(description="Whether the participant completed the course")


class ClawbackIn(BaseModel):
    """Why money is clawed back."""

    reason: str = Field(
        min_length=3, max_length=500, description="e.g. 'attendance list withdrawn'; kept in the ledger"
    )


@router.post("/vouchers/{voucher_id}/redemption", response_model=ApplicationOut, tags=["vouchers"])
async def redeem(
    voucher_id: uuid.UUID, body: RedemptionIn, request: Request, runtime: RuntimeDep, principal: Provider
) -> ApplicationOut:
    """Claim a voucher with attendance and completion; below the threshold it is rejected or paid in part."""
    async with runtime.uow() as uow:
        row = await redemption.redeem(
            uow,
            voucher_id,
            provider_id=_own_uuid(principal),
            attendance_pct=body.attendance_pct,
            completed=body.completed,
            now=clock(request),
        )
        await uow.commit()
    return _application_out(row)


@router.post("/vouchers/{voucher_id}/settlement", response_model=ApplicationOut, tags=["vouchers"])
async def settle(voucher_id: uuid.UUID, runtime: RuntimeDep, principal: Officer) -> ApplicationOut:
    """Record that a redeemed voucher was paid to the provider."""
    async with runtime.uow() as uow:
        row = await redemption.settle(uow, voucher_id, actor=principal.sub)
        await uow.commit()
    return _application_out(row)


@router.post("/vouchers/{voucher_id}/clawback", response_model=ApplicationOut, tags=["vouchers"])
async def claw_back(
    voucher_id: uuid.UUID, body: ClawbackIn, request: Request, runtime: RuntimeDep, principal: Officer
) -> ApplicationOut:
    """Claw back a redeemed (or settled) voucher's money when its evidence is withdrawn."""
    async with runtime.uow() as uow:
        row = await redemption.claw_back(uow, voucher_id, note=body.reason, actor=principal.sub, now=clock(request))
        await uow.commit()
    return _application_out(row)
