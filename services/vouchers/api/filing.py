"""Filing an application (``POST /programmes/{id}/applications``): the hot route of the opening rush.

Served as plain ASGI (:mod:`shared.hot`) without FastAPI's per-request machinery, so its
OpenAPI entry is written here by hand (:data:`APPLY_OPERATION`).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import status

from services.vouchers.access import APPLICANT_ROLES
from services.vouchers.api.schemas import ApplicationOut, application_out
from services.vouchers.clock import now_of
from services.vouchers.handlers import filing as handle
from services.vouchers.handlers.commands import ApplyCommand
from services.vouchers.handlers.filing import Applicant, desk_of
from shared.auth import authenticate, bearer_token, ensure_role
from shared.events.contracts.vouchers import SubmittedBy
from shared.hot import HotRequest, HotResponse, HotRoute, InvalidRequest, parse_body
from shared.http_errors import Problem
from shared.service import Runtime

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
        await authenticate(state, bearer_token(request.headers.get("authorization"))), APPLICANT_ROLES
    )
    programme_id = _path_uuid("programme_id", request.params["programme_id"])
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
        message = f"The Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters long"
        raise InvalidRequest([{"loc": ("header", "Idempotency-Key"), "msg": message}])
    body = parse_body(ApplyCommand, request.body)
    runtime: Runtime = state.runtime
    view, created = await handle.apply(
        desk_of(runtime),
        runtime.uow,
        programme_id=programme_id,
        cmd=body,
        applicant=Applicant(SubmittedBy(principal.role.value), principal.sub, principal.party or ""),
        idempotency_key=idempotency_key,
        now=now_of(state),
    )
    return HotResponse(
        status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        application_out(view, principal).model_dump_json().encode(),
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

APPLY = HotRoute(
    "POST",
    "/programmes/{programme_id}/applications",
    apply,
    APPLY_OPERATION,
    [(ApplyCommand, "validation"), (ApplicationOut, "serialization"), (Problem, "serialization")],
)
