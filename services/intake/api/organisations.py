"""Employers, training providers and courses."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.intake import db
from services.intake.api.schemas import ContactOut, CourseOut, EmployerOut, ProviderOut
from services.intake.handlers import organisations as handle
from services.intake.handlers.commands import (
    ContactPerson,
    KvkNumber,
    PublishCourse,
    RegisterEmployer,
    RegisterProvider,
    UpdateEmployer,
)
from shared.auth import Principal, Role, require_roles
from shared.db import Connection
from shared.errors import NotFound
from shared.paging import Offset
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter()

Admin = Annotated[Principal, require_roles(Role.ADMIN)]
CoachOrAdmin = Annotated[Principal, require_roles(Role.COACH, Role.ADMIN)]
Staff = Annotated[Principal, require_roles(Role.ADMIN, Role.COACH, Role.PROGRAMME_OFFICER)]
Publisher = Annotated[Principal, require_roles(Role.ADMIN, Role.PROVIDER)]
StaffOrEmployer = Annotated[Principal, require_roles(Role.ADMIN, Role.COACH, Role.PROGRAMME_OFFICER, Role.EMPLOYER)]
CoachAdminOrEmployer = Annotated[Principal, require_roles(Role.COACH, Role.ADMIN, Role.EMPLOYER)]


async def _employer_out(conn: Connection, row: db.Row, *, with_contacts: bool) -> EmployerOut:
    contacts = (
        [ContactOut.model_validate(dict(c)) for c in await db.employers.contacts_of(conn, row["id"])]
        if with_contacts
        else None
    )
    return EmployerOut.model_validate({**dict(row), "contacts": contacts})


@router.post("/employers", status_code=status.HTTP_201_CREATED, response_model=EmployerOut, tags=["employers"])
async def register_employer(body: RegisterEmployer, principal: CoachOrAdmin, uow: UnitOfWorkDep) -> EmployerOut:
    """Register an employer (unique by KvK number); the size class follows from the employee count."""
    row = await handle.register_employer(uow, body, actor=principal.sub)
    return await _employer_out(uow.conn, row, with_contacts=True)


@router.get("/employers", response_model=list[EmployerOut], tags=["employers"])
async def list_employers(
    runtime: RuntimeDep,
    principal: Staff,
    kvk_number: KvkNumber | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[EmployerOut]:
    """Employers by name, without contact persons."""
    async with runtime.pool.acquire() as conn:
        rows = await db.employers.list_employers(conn, after=offset, limit=limit, kvk_number=kvk_number)
    return [EmployerOut.model_validate(dict(r)) for r in rows]


def _own_organisation(principal: Principal, organisation_id: uuid.UUID) -> None:
    """An employer's or provider's users reach only their own organisation."""
    if principal.has(Role.EMPLOYER, Role.PROVIDER) and principal.party != str(organisation_id):
        raise NotFound(f"there is no {principal.role.value} {organisation_id} of yours")


@router.get("/employers/{employer_id}", response_model=EmployerOut, tags=["employers"])
async def read_employer(employer_id: uuid.UUID, runtime: RuntimeDep, principal: StaffOrEmployer) -> EmployerOut:
    """One employer; coaches, administrators and the employer's own users also see its contact persons."""
    _own_organisation(principal, employer_id)
    async with runtime.pool.acquire() as conn:
        row = await db.employers.get_employer(conn, employer_id)
        if row is None:
            raise NotFound(f"there is no employer {employer_id}")
        return await _employer_out(conn, row, with_contacts=principal.has(Role.COACH, Role.ADMIN, Role.EMPLOYER))


@router.patch("/employers/{employer_id}", response_model=EmployerOut, tags=["employers"])
async def update_employer(
    employer_id: uuid.UUID, body: UpdateEmployer, principal: CoachAdminOrEmployer, uow: UnitOfWorkDep
) -> EmployerOut:
    """Change an employer's details (the KvK number stays): coaches, administrators, the employer's own users."""
    _own_organisation(principal, employer_id)
    row = await handle.update_employer(uow, employer_id, body)
    return await _employer_out(uow.conn, row, with_contacts=True)


@router.post(
    "/employers/{employer_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=EmployerOut,
    tags=["employers"],
)
async def add_contact(
    employer_id: uuid.UUID, body: ContactPerson, principal: CoachAdminOrEmployer, uow: UnitOfWorkDep
) -> EmployerOut:
    """Add a contact person (personal data: stays in intake, never in an event)."""
    _own_organisation(principal, employer_id)
    row = await handle.add_contact(uow, employer_id, body)
    return await _employer_out(uow.conn, row, with_contacts=True)


async def _provider_out(conn: Connection, row: db.Row) -> ProviderOut:
    courses = [CourseOut.model_validate(dict(c)) for c in await db.providers.courses_of(conn, row["id"])]
    return ProviderOut.model_validate({**dict(row), "courses": courses})


@router.post("/providers", status_code=status.HTTP_201_CREATED, response_model=ProviderOut, tags=["providers"])
async def register_provider(body: RegisterProvider, principal: Admin, uow: UnitOfWorkDep) -> ProviderOut:
    """Register a training provider."""
    row = await handle.register_provider(uow, body)
    return ProviderOut.model_validate(dict(row))


@router.get("/providers", response_model=list[ProviderOut], tags=["providers"])
async def list_providers(runtime: RuntimeDep, principal: Staff) -> list[ProviderOut]:
    """Every provider with its courses."""
    async with runtime.pool.acquire() as conn:
        return [await _provider_out(conn, r) for r in await db.providers.list_providers(conn)]


@router.get("/providers/{provider_id}", response_model=ProviderOut, tags=["providers"])
async def read_provider(
    provider_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: Annotated[Principal, require_roles(Role.ADMIN, Role.COACH, Role.PROGRAMME_OFFICER, Role.PROVIDER)],
) -> ProviderOut:
    """One provider with its courses (a provider's users: their own)."""
    _own_organisation(principal, provider_id)
    async with runtime.pool.acquire() as conn:
        row = await db.providers.get_provider(conn, provider_id)
        if row is None:
            raise NotFound(f"there is no provider {provider_id}")
        return await _provider_out(conn, row)


@router.post(
    "/providers/{provider_id}/courses",
    status_code=status.HTTP_201_CREATED,
    response_model=CourseOut,
    tags=["providers"],
)
async def publish_course(
    provider_id: uuid.UUID, body: PublishCourse, principal: Publisher, uow: UnitOfWorkDep
) -> CourseOut:
    """Publish a course (an administrator, or one of the provider's own users)."""
    row = await handle.publish_course(uow, provider_id, body, actor=principal)
    return CourseOut.model_validate(dict(row))
