"""CSV imports: every valid row once, in one transaction, each rejected row with its reason.

A row already imported (recognised by the digest of its normalised content, kept as an HMAC under the
deployment's data key, or for employers
by the KvK number) is skipped, so sending the same file twice imports it once. Rows run in
savepoints: a row that breaks a rule only the database can check (an unknown coach, a full
caseload) is rejected on its own while the rest continue; anything unexpected rolls the whole
import back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel

from services.intake import db
from services.intake.csv_import import Accepted, ParsedFile, Rejected
from services.intake.handlers.commands import RegisterEmployer, RegisterParticipant
from services.intake.handlers.organisations import register_employer
from services.intake.handlers.participants import register_participant
from services.intake.vault import Vault
from shared.auth import Principal
from shared.db.uow import UnitOfWork
from shared.errors import ClientError

C = TypeVar("C", bound=BaseModel)


class _AlreadyImported(Exception):
    """Rolls back a row's savepoint when the row was imported before."""


@dataclass
class ImportResult:
    """What an import did."""

    imported: int = 0
    already_imported: list[int] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


async def _import(
    uow: UnitOfWork,
    vault: Vault,
    parsed: ParsedFile[C],
    kind: str,
    store: Callable[[Accepted[C], uuid.UUID], Awaitable[bool]],
) -> ImportResult:
    result = ImportResult(rejected=list(parsed.rejected), ignored_columns=parsed.ignored_columns)
    for row in parsed.accepted:
        entity_id = uuid.uuid4()
        try:
            async with uow.savepoint():
                if not await db.imports.claim_import_key(uow.conn, kind, vault.digest(row.digest), entity_id):
                    raise _AlreadyImported
                if not await store(row, entity_id):
                    raise _AlreadyImported
        except _AlreadyImported:
            result.already_imported.append(row.line)
        except ClientError as exc:
            result.rejected.append(Rejected(row.line, exc.message))
        else:
            result.imported += 1
    result.rejected.sort(key=lambda r: r.line)
    return result


async def import_participants(
    uow: UnitOfWork, parsed: ParsedFile[RegisterParticipant], *, actor: Principal, vault: Vault
) -> ImportResult:
    """Register every valid participant row not imported before."""

    async def store(row: Accepted[RegisterParticipant], participant_id: uuid.UUID) -> bool:
        await register_participant(
            uow, row.command, actor=actor, vault=vault, source="import", participant_id=participant_id
        )
        return True

    return await _import(uow, vault, parsed, "participant", store)


async def import_employers(
    uow: UnitOfWork, parsed: ParsedFile[RegisterEmployer], *, actor: Principal, vault: Vault
) -> ImportResult:
    """Register every valid employer row whose KvK number is not registered yet."""

    async def store(row: Accepted[RegisterEmployer], employer_id: uuid.UUID) -> bool:
        if await db.employers.employer_id_of_kvk(uow.conn, row.command.kvk_number) is not None:
            return False
        await register_employer(uow, row.command, actor=actor.sub, employer_id=employer_id)
        return True

    return await _import(uow, vault, parsed, "employer", store)
