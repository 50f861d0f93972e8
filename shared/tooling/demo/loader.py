"""Loads a :class:`DemoRegion` into running services through their public HTTP APIs.

Each service that takes part has a ``services/<name>/demo.py`` (found through the registry,
:mod:`shared.services`) with two functions:

- ``request_count(demo: DemoRegion) -> int``: how many requests its part of the demo makes;
- ``async load(demo: DemoRegion, api: DemoApi) -> None``: sends its part through ``api``.

The loaders run one after another in the registry's order; a later one finds what earlier ones
created in ``api.summary.ids`` (vouchers, for example, applies for the participants intake made).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import httpx

from shared.services import SERVICES
from shared.tooling.demo.dataset import DemoRegion

TokenFor = Callable[[str, str], str]  # (role, sub) -> signed token
Advance = Callable[[str, int], None]  # (step description, requests done) -> None
CONCURRENCY = 8
# Vouchers learns of new participants and courses from intake's events, a moment later.
READ_MODEL_WAIT_SECONDS = 30.0
T = TypeVar("T")
R = TypeVar("R")


class DemoError(RuntimeError):
    """The demo cannot be loaded; the message says why and what to do."""


@dataclass
class DemoSummary:
    """What was created."""

    counts: dict[str, int] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, identifier: str) -> None:
        """Count one created thing."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.ids.setdefault(kind, []).append(identifier)


class DemoApi:
    """What a service's demo loader works with: the services' APIs, the progress bar and the summary."""

    def __init__(self, clients: Mapping[str, httpx.AsyncClient], token_for: TokenFor, advance: Advance) -> None:
        self._clients = clients
        self._token_for = token_for
        self.advance = advance
        self.summary = DemoSummary()

    def _auth(self, role: str, sub: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token_for(role, sub)}"}

    async def get(self, service: str, path: str, role: str, sub: str) -> httpx.Response:
        """``GET path`` at ``service`` as ``role`` ``sub``."""
        return await self._clients[service].get(path, headers=self._auth(role, sub))

    async def post(self, service: str, path: str, body: dict[str, Any], role: str, sub: str) -> dict[str, Any]:
        """``POST body`` to ``path`` at ``service`` as ``role`` ``sub``; the created resource.

        Retried while the service does not know yet what another service has just created.
        """
        return await self._send("POST", service, path, body, role, sub)

    async def put(self, service: str, path: str, body: dict[str, Any], role: str, sub: str) -> dict[str, Any]:
        """``PUT body`` to ``path`` at ``service`` as ``role`` ``sub``; the resource as set (retried like ``post``)."""
        return await self._send("PUT", service, path, body, role, sub)

    async def _send(
        self, method: str, service: str, path: str, body: dict[str, Any], role: str, sub: str
    ) -> dict[str, Any]:
        client = self._clients[service]
        response = await client.request(method, path, json=body, headers=self._auth(role, sub))
        waited = 0.0
        while _not_arrived(response) and waited < READ_MODEL_WAIT_SECONDS:
            await asyncio.sleep(0.5)
            waited += 0.5
            response = await client.request(method, path, json=body, headers=self._auth(role, sub))
        if response.status_code >= 300:
            detail = response.json().get("detail", response.text) if response.content else response.reason_phrase
            raise DemoError(f"{service} refused {method} {path} ({response.status_code}): {detail}")
        result: dict[str, Any] = response.json()
        return result

    async def each(
        self, step: str, items: Sequence[T], send: Callable[[T], Awaitable[R]], *, advances_itself: bool = False
    ) -> list[R]:
        """``send`` every item, a few at a time; their results in the items' order.

        Each item counts as one request on the progress bar, unless ``send`` reports its own.
        """
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(item: T) -> R:
            async with gate:
                result = await send(item)
                if not advances_itself:
                    self.advance(step, 1)
                return result

        return list(await asyncio.gather(*(one(i) for i in items)))


def _not_arrived(response: httpx.Response) -> bool:
    """The service has not heard yet of what intake just made (a participant, a course, an account)."""
    if response.status_code == 422:
        return "not known" in response.text
    return response.status_code == 403 and "no Regionet account" in response.text


class ServiceDemo(Protocol):
    """The functions of a ``services/<name>/demo.py`` module."""

    def request_count(self, demo: DemoRegion) -> int:
        """How many requests this service's part of the demo makes."""
        ...

    async def load(self, demo: DemoRegion, api: DemoApi) -> None:
        """Send this service's part of the demo."""
        ...


def service_demos() -> list[ServiceDemo]:
    """The demo loaders of the services that have one, in the registry's order."""
    modules = (spec.part("demo") for spec in SERVICES.values())
    return [cast(ServiceDemo, module) for module in modules if module is not None]


def request_count(demo: DemoRegion) -> int:
    """How many requests loading ``demo`` makes (for a progress bar)."""
    return sum(service.request_count(demo) for service in service_demos())


class DemoLoader:
    """Sends the demo region to the services, one service's loader after another."""

    def __init__(self, clients: Mapping[str, httpx.AsyncClient], token_for: TokenFor, advance: Advance) -> None:
        self._api = DemoApi(clients, token_for, advance)

    async def load(self, demo: DemoRegion) -> DemoSummary:
        """Load everything; refuses when the demo region is already there."""
        for service in service_demos():
            await service.load(demo, self._api)
        return self._api.summary
