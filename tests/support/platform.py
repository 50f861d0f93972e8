"""One test's slice of the servers: a fresh database, fresh streams, services run in-process."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import nats
import uvicorn
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError, ServerError

from shared.auth import Role, issue_token
from shared.bus.topology import STREAMS, declare_topology
from shared.db.provision import provision_database, service_dsn
from shared.service import ServiceDefinition, create_app
from shared.services import SERVICES
from shared.settings import DEV_JWT_ISSUER, JWT_AUDIENCE, ServiceSettings
from tests.support.ports import free_port
from tests.support.servers import Servers
from tests.support.waiting import eventually

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-signing"
REGION = "gld"
PASSWORDS = {name: f"test-{name}-password" for name in SERVICES}


def with_database(dsn: str, database: str) -> str:
    """The same server URL with another database."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@dataclass
class Platform:
    """Servers plus this test's database and a JetStream admin connection."""

    servers: Servers
    database: str
    nc: NatsClient
    js: JetStreamContext
    region: str = REGION
    extra_env: dict[str, Any] = field(default_factory=dict)

    @property
    def admin_dsn(self) -> str:
        """Superuser URL of this test's database."""
        return with_database(self.servers.admin_dsn, self.database)

    def dsn(self, service: str) -> str:
        """The service role's URL of this test's database."""
        return service_dsn(self.admin_dsn, service, PASSWORDS[service])

    def settings(self, service: str, **overrides: Any) -> ServiceSettings:
        """Settings of a service pointed at this test's servers."""
        values: dict[str, Any] = {
            "service": service,
            "region": self.region,
            "database_url": self.dsn(service),
            "nats_url": self.servers.nats_url,
            "jwt_secret": JWT_SECRET,
            "db_pool_min": 1,
            "db_pool_max": 5,
        }
        values.update(overrides)
        return ServiceSettings.model_validate(values)

    def token(self, role: Role | str, sub: str, region: str | None = None) -> str:
        """A signed token for ``Authorization: Bearer``."""
        return issue_token(
            JWT_SECRET, sub=sub, role=role, region=region or self.region, issuer=DEV_JWT_ISSUER, audience=JWT_AUDIENCE
        )

    def auth(self, role: Role | str, sub: str) -> dict[str, str]:
        """Headers carrying a token (its account must exist: see :meth:`enrol` and :meth:`login`)."""
        return {"Authorization": f"Bearer {self.token(role, sub)}"}

    async def enrol(self, role: Role | str, sub: str, party: str | None = None, *, active: bool = True) -> None:
        """Put an account straight into every migrated service's registry, as its events would.

        ``party`` defaults to ``sub``: tests name a participant's, employer's or provider's
        account after the party it acts for. A coach also gets intake's coach profile. Journey
        tests make accounts through intake's API instead, to prove the real path.
        """
        await self.enrol_all([(Role(role), sub, party or sub)], active=active)

    async def enrol_all(
        self, accounts: Sequence[tuple[Role | str, str, str]], *, active: bool = True, region: str | None = None
    ) -> None:
        """:meth:`enrol` many accounts at once: (role, sub, party) each (of another region, if given)."""
        rows = [(sub, Role(role).value, party, region or self.region, active) for role, sub, party in accounts]
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for service in SERVICES:
                if await conn.fetchval("SELECT to_regclass($1)", f"{service}.accounts") is None:
                    continue
                await conn.executemany(
                    f"INSERT INTO {service}.accounts (id, role, party, region, active) VALUES ($1, $2, $3, $4, $5)"
                    " ON CONFLICT (id) DO UPDATE SET role = $2, party = $3, region = $4, active = $5",
                    rows,
                )
                if service == "intake":
                    coaches = [(sub, self.region) for sub, role, *_ in rows if role == Role.COACH.value]
                    await conn.executemany(
                        "INSERT INTO intake.coaches (id, region) VALUES ($1, $2) ON CONFLICT DO NOTHING", coaches
                    )
        finally:
            await conn.close()

    async def login(self, role: Role | str, sub: str, party: str | None = None) -> dict[str, str]:
        """:meth:`enrol` the account, then headers carrying its token."""
        await self.enrol(role, sub, party)
        return self.auth(role, sub)

    async def stream_messages(self, stream: str) -> list[bytes]:
        """Every message body stored in a stream, read directly (no consumer)."""
        info = await self.js.stream_info(stream)
        bodies: list[bytes] = []
        if info.state.messages == 0:
            return bodies
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            with contextlib.suppress(NotFoundError):
                bodies.append((await self.js.get_msg(stream, seq)).data or b"")
        return bodies


async def reset_streams(js: JetStreamContext, region: str) -> None:
    """Delete and declare every stream and consumer: each test starts with empty streams.

    A stream made again at once after its deletion can meet the server still removing the old
    one's files ("error creating store for stream", on a busy machine): that is tried again.
    """
    for stream in STREAMS:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream.name)
    for attempt in range(20):
        try:
            await declare_topology(js, region)
            return
        except ServerError as exc:
            if "error creating store" not in str(exc) or attempt == 19:
                raise
            await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def open_platform(servers: Servers) -> AsyncIterator[Platform]:
    """A fresh database and fresh streams for one test; dropped afterwards."""
    database = f"regionet_t{uuid.uuid4().hex[:12]}"
    await provision_database(with_database(servers.admin_dsn, database), PASSWORDS)
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    await reset_streams(js, REGION)
    try:
        yield Platform(servers=servers, database=database, nc=nc, js=js)
    finally:
        await nc.close()
        conn = await asyncpg.connect(with_database(servers.admin_dsn, "postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await conn.close()


@dataclass
class RunningService:
    """A service started in-process with its real lifespan, and an HTTP client to it."""

    definition: ServiceDefinition
    settings: ServiceSettings
    client: httpx.AsyncClient
    app: Any


@contextlib.asynccontextmanager
async def run_service(
    platform: Platform, definition: ServiceDefinition, **overrides: Any
) -> AsyncIterator[RunningService]:
    """Start a service against the test's servers; stop it on exit."""
    settings = platform.settings(definition.name, **overrides)
    app = create_app(definition, settings)
    async with app.router.lifespan_context(app):
        # As under uvicorn: an unhandled error becomes the 500 answer, not an exception in the client.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{definition.name}") as client:
            yield RunningService(definition=definition, settings=settings, client=client, app=app)


@contextlib.asynccontextmanager
async def serve_over_http(platform: Platform, definition: ServiceDefinition, **overrides: Any) -> AsyncIterator[str]:
    """A service served by uvicorn on a free local port in this event loop; yields its URL."""
    port = free_port()
    app = create_app(definition, platform.settings(definition.name, port=port, **overrides))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server, task), timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()  # a server that failed to start raises its error here
        raise RuntimeError("the server stopped while starting")
    return server.started
