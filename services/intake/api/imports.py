"""CSV imports of participants and employers (``regionet import participants|employers FILE``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from services.intake import csv_import
from services.intake.api.schemas import ImportOut, RejectedRowOut
from services.intake.handlers import imports as handle
from services.intake.shredding import VaultDep
from shared.auth import Principal, Role, require_roles
from shared.errors import ClientError, Unprocessable
from shared.service import UnitOfWorkDep

router = APIRouter(prefix="/imports", tags=["CSV import"])

Admin = Annotated[Principal, require_roles(Role.ADMIN)]

MAX_BYTES = 10 * 1024 * 1024
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A CSV file (semicolons or commas; UTF-8 or Windows-1252; Dutch or English headers)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class TooLarge(ClientError):
    """The upload is larger than an import takes."""

    status = 413


async def _content(request: Request) -> bytes:
    content = await request.body()
    if len(content) > MAX_BYTES:
        raise TooLarge(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files")
    return content


def _answer(result: handle.ImportResult) -> ImportOut:
    return ImportOut(
        imported=result.imported,
        already_imported=result.already_imported,
        rejected=[RejectedRowOut(line=r.line, reason=r.reason) for r in result.rejected],
        ignored_columns=result.ignored_columns,
    )


@router.post("/participants", response_model=ImportOut, openapi_extra=CSV_BODY)
async def import_participants(request: Request, principal: Admin, uow: UnitOfWorkDep, vault: VaultDep) -> ImportOut:
    """Import participants from a CSV file: valid rows once, rejected rows listed with line and reason."""
    try:
        parsed = csv_import.parse_participants(await _content(request))
    except csv_import.FileRejected as exc:
        raise Unprocessable(f"The file cannot be imported: {exc}") from exc
    result = await handle.import_participants(uow, parsed, actor=principal, vault=vault)
    return _answer(result)


@router.post("/employers", response_model=ImportOut, openapi_extra=CSV_BODY)
async def import_employers(request: Request, principal: Admin, uow: UnitOfWorkDep, vault: VaultDep) -> ImportOut:
    """Import employers from a CSV file; KvK numbers already registered are skipped."""
    try:
        parsed = csv_import.parse_employers(await _content(request))
    except csv_import.FileRejected as exc:
        raise Unprocessable(f"The file cannot be imported: {exc}") from exc
    result = await handle.import_employers(uow, parsed, actor=principal, vault=vault)
    return _answer(result)
