"""Employers, training providers and their courses.

These are organisations: their registry data (KvK number, name, sector, size class, postcode
area) travels in events. Their contact persons are people and stay in intake.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.intake import db, domain
from services.intake.handlers.commands import (
    ContactPerson,
    PublishCourse,
    RegisterEmployer,
    RegisterProvider,
    UpdateEmployer,
)
from shared.auth import Principal, Role
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.events.contracts.intake import (
    CoursePublished,
    EmployerRegistered,
    EmployerUpdated,
    ProviderRegistered,
    SizeClass,
)


def employer_profile(row: db.Row) -> dict[str, Any]:
    """The public registry profile of an employer row, for events."""
    return {
        "employer_id": row["id"],
        "kvk_number": row["kvk_number"],
        "name": row["name"],
        "sector": row["sector"],
        "size_class": SizeClass(row["size_class"]),
        "postcode_area": row["postcode_area"],
        "accredited_learning_company": row["accredited_learning_company"],
    }


async def register_employer(
    uow: UnitOfWork, cmd: RegisterEmployer, *, actor: str, employer_id: uuid.UUID | None = None
) -> db.Row:
    """Store a new employer (unique by KvK number) with its contact persons, and announce it."""
    employer_id = employer_id or uuid.uuid4()
    values = cmd.model_dump(exclude={"contacts"}) | {
        "id": employer_id,
        "size_class": domain.size_class(cmd.employee_count).value,
        "postcode_area": domain.postcode_area(cmd.postcode),
        "registered_by": actor,
    }
    row = await db.employers.insert_employer(uow.conn, values)
    if row is None:
        existing = await db.employers.employer_id_of_kvk(uow.conn, cmd.kvk_number)
        raise Conflict(
            f"an employer with KvK number {cmd.kvk_number} is already registered (id {existing});"
            " change it with PATCH /employers/{id} instead"
        )
    await db.employers.add_contacts(uow.conn, employer_id, [c.model_dump() for c in cmd.contacts])
    uow.emit(EmployerRegistered(**employer_profile(row)), subject=str(employer_id))
    return row


async def update_employer(uow: UnitOfWork, employer_id: uuid.UUID, cmd: UpdateEmployer) -> db.Row:
    """Change an employer's details and announce which fields changed."""
    row = await db.employers.get_employer(uow.conn, employer_id, for_update=True)
    if row is None:
        raise NotFound(f"there is no employer {employer_id}")
    changes = {k: v for k, v in cmd.model_dump(exclude_unset=True).items() if v != row[k]}
    for field in ("name", "sector", "employee_count", "accredited_learning_company"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be emptied; give a new value or leave it out")
    if "employee_count" in changes:
        size = domain.size_class(changes["employee_count"]).value
        if size != row["size_class"]:
            changes["size_class"] = size
    if "postcode" in changes:
        area = domain.postcode_area(changes["postcode"])
        if area != row["postcode_area"]:
            changes["postcode_area"] = area
    if not changes:
        return row
    new = await db.employers.update_employer(uow.conn, employer_id, changes)
    uow.emit(EmployerUpdated(**employer_profile(new), changed_fields=sorted(changes)), subject=str(employer_id))
    return new


async def add_contact(uow: UnitOfWork, employer_id: uuid.UUID, cmd: ContactPerson) -> db.Row:
    """Add a contact person to an employer (personal data: stays in intake, never in an event)."""
    row = await db.employers.get_employer(uow.conn, employer_id)
    if row is None:
        raise NotFound(f"there is no employer {employer_id}")
    await db.employers.add_contacts(uow.conn, employer_id, [cmd.model_dump()])
    return row


async def register_provider(uow: UnitOfWork, cmd: RegisterProvider) -> db.Row:
    """Store a new training provider and announce it."""
    provider_id = uuid.uuid4()
    row = await db.providers.insert_provider(uow.conn, cmd.model_dump() | {"id": provider_id})
    if row is None:
        raise Conflict(f"a provider with KvK number {cmd.kvk_number} is already registered")
    uow.emit(
        ProviderRegistered(
            provider_id=provider_id, kvk_number=row["kvk_number"], name=row["name"], accredited=row["accredited"]
        ),
        subject=str(provider_id),
    )
    return row


async def publish_course(uow: UnitOfWork, provider_id: uuid.UUID, cmd: PublishCourse, *, actor: Principal) -> db.Row:
    """Add a course to a provider's offer; a provider account may publish only its own courses."""
    provider = await db.providers.get_provider(uow.conn, provider_id)
    if provider is None:
        raise NotFound(f"there is no provider {provider_id}")
    if actor.role is Role.PROVIDER and actor.party != str(provider_id):
        raise Forbidden("a provider's users can publish courses only in their own provider's offer")
    course_id = uuid.uuid4()
    row = await db.providers.insert_course(uow.conn, cmd.model_dump() | {"id": course_id, "provider_id": provider_id})
    if row is None:
        raise Conflict(f"this provider already offers a course titled {cmd.title!r}; choose another title")
    uow.emit(
        CoursePublished(
            course_id=course_id,
            provider_id=provider_id,
            title=row["title"],
            price_cents=row["price_cents"],
            duration_hours=row["duration_hours"],
        ),
        subject=str(course_id),
    )
    return row
