"""Schemathesis against every service's real app, with a token of each role: never a 5xx.

Each service runs in-process with its real lifespan on the test session's Postgres and NATS,
with a small region entered through its APIs (:mod:`tests.support.seeded`). Schemathesis
generates requests from each service's OpenAPI document (its examples, coverage and fuzzing
phases, valid and invalid data), for every operation and every role, a bounded number of
examples each, deterministically, so a failure found in CI is found again on a laptop. Half of
the generated ids (in paths and bodies) are replaced by ids of real records, so that requests
reach past the 404.

Checked on every answer: no 5xx at all; its status is documented; its body and content type
are as documented (every error answer of every operation is documented in Regionet's one shape,
``Problem``, by :func:`shared.http_errors.document_errors`). Left out: that invalid data is
refused (pydantic's lax mode takes ``0`` or ``"no"`` for a boolean, which the document calls
invalid), and the checks that drop the token (``tests/test_role_matrix.py`` covers callers
without one).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from services.vouchers.app import definition as vouchers
from shared.auth import Role
from shared.service import ServiceDefinition
from tests.support.live import LiveServices, live_services
from tests.support.openapi import openapi_document
from tests.support.seeded import principals, seed
from tests.support.servers import Servers

DEFINITIONS = (intake, vouchers, notifications, matching)
# Per operation and role; with the coverage phase's own cases this keeps the file to a few minutes.
MAX_EXAMPLES = 8
SEED = 13

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)

# Real ids by parameter or field name, filled by the ``region`` fixture: the hook below runs
# inside Hypothesis, which a fixture cannot reach otherwise.
KNOWN_IDS: dict[str, str] = {}


def _with_known_ids(context: schemathesis.HookContext, generated: Any) -> st.SearchStrategy[Any]:
    """Either the generated path parameters (or JSON body), or the same with real ids for valid generated ids.

    Only a valid generated value is replaced: an invalid one is what a negative case tests.
    """
    if not isinstance(generated, dict):
        return st.just(generated)
    known = {
        name: KNOWN_IDS[name]
        for name, value in generated.items()
        if name in KNOWN_IDS and isinstance(value, str) and _valid_like(value, KNOWN_IDS[name])
    }
    if not known:
        return st.just(generated)
    return st.sampled_from([generated, {**generated, **known}])


def _valid_like(value: str, known: str) -> bool:
    """True when ``value`` has the shape of ``known`` (a UUID if it is one, else any non-empty text)."""
    try:
        uuid.UUID(known)
    except ValueError:
        return bool(value)
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _schema(definition: ServiceDefinition) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(openapi_document(definition), config=CONFIG)
    schema.hook("flatmap_path_parameters")(_with_known_ids)
    schema.hook("flatmap_body")(_with_known_ids)
    return schema


SCHEMAS = {d.name: _schema(d) for d in DEFINITIONS}
SERVICE_OF_TITLE = {d.title: d.name for d in DEFINITIONS}


CHECKS: list[schemathesis.CheckFunction] = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]


@pytest.fixture(scope="module")
def region(servers: Servers) -> Iterator[tuple[LiveServices, dict[str, dict[str, str]]]]:
    """Every service running with a seeded region; the subject of each role's token per service."""
    with live_services(servers, DEFINITIONS) as live:
        seeded = live.run(seed(live.platform, live.services["intake"].client, live.services["vouchers"].client))
        KNOWN_IDS.update(seeded.path_values())
        try:
            yield live, {service: dict(subs) for service, subs in principals(seeded).items()}
        finally:
            KNOWN_IDS.clear()


def send(live: LiveServices, service: str, case: Case[Any], token: str) -> httpx.Response:
    """The case as Schemathesis would send it (encoded by ``requests``), to the in-process service."""
    case.headers["Authorization"] = f"Bearer {token}"
    kwargs = case.as_transport_kwargs(base_url=f"http://{service}")
    wire = {k: v for k, v in kwargs.items() if k in ("method", "url", "headers", "params", "json", "data", "files")}
    prepared = requests.Request(**wire).prepare()
    assert prepared.method is not None
    assert prepared.url is not None
    return live.request(service, prepared.method, prepared.url, headers=dict(prepared.headers), content=prepared.body)


@pytest.mark.parametrize("role", list(Role), ids=str)
@schemathesis.pytest.parametrize(**SCHEMAS)
@settings(deadline=None)
def test_no_generated_request_gets_a_server_error(
    case: Case[Any], role: Role, region: tuple[LiveServices, dict[str, dict[str, str]]]
) -> None:
    live, subjects = region
    service = SERVICE_OF_TITLE[case.operation.schema.raw_schema["info"]["title"]]
    response = send(live, service, case, live.platform.token(role, subjects[service][role.value]))
    case.validate_response(response, checks=CHECKS)
