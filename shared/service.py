"""What every service shares at run time: settings, pool, NATS, relay, consumers and HTTP.

A service describes itself with a :class:`ServiceDefinition` (its routers and start-up work)
and declares its durable consumers in its ``subscribers`` module; :func:`create_app` wires
that into a FastAPI application whose lifespan connects to Postgres (applying the service's
migrations) and NATS, runs the outbox relay and the consumers, and adds ``/health``,
``/ready``, ``/metrics`` and ``/asyncapi.json``; ``/docs`` and ``/redoc`` serve their viewers'
scripts and styles from the service itself (the ``fastapi-offline`` package), never from a CDN.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import asyncpg
import nats
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import shared.events.contracts  # noqa: F401 - fills the event catalogue
from shared.accounts import AccountRegistry
from shared.asyncapi import asyncapi_document
from shared.auth import TokenVerifier
from shared.bus.consumer import ConsumerConfig, EventConsumer
from shared.bus.outbox import OutboxRelay, RelayConfig
from shared.bus.rpc import NOT_ALLOWED, Responder, caller_of, inbox_prefix
from shared.db.availability import RETRY_AFTER_SECONDS
from shared.db.migrations import is_migrated, migrate
from shared.db.pool import create_pool
from shared.db.uow import UnitOfWork, UnitOfWorkFactory, current_traceparent
from shared.hot import HotRoute, add_to_openapi, starlette_route
from shared.http_errors import document_errors, error_response, install_error_handlers
from shared.logging import configure_logging, request_id_var
from shared.services import SERVICES, service_responders, service_subscribers
from shared.settings import ServiceSettings
from shared.text_input import RefuseControlCharacters

log = logging.getLogger(__name__)

REQUESTS = Counter("regionet_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("regionet_http_request_seconds", "HTTP request duration", ["service", "method", "route"])


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes one service different from the others."""

    name: str
    title: str
    description: str
    routers: Sequence[APIRouter] = ()
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    hot_routes: Sequence[HotRoute] = ()


@dataclass
class Runtime:
    """The live connections of a running service (``request.app.state.runtime``)."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    nc: NatsClient
    js: JetStreamContext
    uow: UnitOfWorkFactory
    relay: OutboxRelay
    migrated: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # What a service keeps for the life of the process beside the connections, by name.
    extensions: dict[str, Any] = field(default_factory=dict)
    # What to close when the service stops (after its background work, before NATS and the pool).
    closing: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def get_runtime(request: Request) -> Runtime:
    """FastAPI dependency: the service's runtime (async: a plain function would cost a thread hop)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def unit_of_work(runtime: RuntimeDep) -> AsyncIterator[UnitOfWork]:
    """FastAPI dependency: the request's unit of work, committed when the endpoint returns.

    If the endpoint raises (a :class:`ClientError` included), everything it wrote and every
    event it emitted is rolled back.
    """
    async with runtime.uow() as uow:
        yield uow
        await uow.commit()


# scope="function": commit before the response is sent, so a 2xx always means committed.
UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]


async def _retry(what: str, attempt: Callable[[], Awaitable[Any]], timeout: float = 60.0) -> Any:
    """Try ``attempt`` until it succeeds or ``timeout`` passes: servers may start after us."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await attempt()
        except (OSError, asyncpg.PostgresError, nats.errors.Error, TimeoutError) as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not reach {what} within {timeout:.0f} s: {exc}") from exc
            log.warning("waiting for %s", what, extra={"error": str(exc)})
            await asyncio.sleep(1.0)


async def connect_nats(settings: ServiceSettings) -> NatsClient:
    """A NATS connection as the service's own user, reconnecting forever."""
    password = settings.nats_password.get_secret_value() if settings.nats_password else None
    return await nats.connect(
        servers=[settings.nats_url],
        user=settings.nats_user,
        password=password,
        name=f"regionet-{settings.service}",
        inbox_prefix=inbox_prefix(settings.service),
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
    )


async def start_runtime(definition: ServiceDefinition, settings: ServiceSettings) -> Runtime:
    """Connect, migrate and start the relay and consumers of a service."""
    # Migrations on a connection of their own: a long one must not meet the pool's statement limit.
    migrating: asyncpg.Connection = await _retry("Postgres", lambda: asyncpg.connect(settings.database_url))
    try:
        applied = await migrate(migrating, settings.service, region=settings.region)
    finally:
        await migrating.close()
    pool = await _retry(
        "Postgres",
        lambda: create_pool(
            settings.database_url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            connect_timeout=settings.db_connect_timeout,
            command_timeout=settings.db_command_timeout,
        ),
    )
    if applied:
        log.info("migrations applied", extra={"migrations": applied})
    nc: NatsClient = await _retry("NATS", lambda: connect_nats(settings))
    js = nc.jetstream(publish_async_max_pending=settings.relay_batch_size * 2)
    relay = OutboxRelay(
        js,
        schema=settings.service,
        dsn=settings.database_url,
        config=RelayConfig(batch_size=settings.relay_batch_size),
    )
    runtime = Runtime(
        settings=settings,
        pool=pool,
        nc=nc,
        js=js,
        uow=UnitOfWorkFactory(pool, schema=settings.service, region=settings.region),
        relay=relay,
        migrated=True,
    )
    runtime.tasks.append(asyncio.create_task(relay.run(runtime.stop), name="outbox-relay"))
    consumer_config = ConsumerConfig(
        batch_size=settings.consumer_batch_size, max_attempts=settings.consumer_max_attempts
    )
    for subscriber in service_subscribers(definition.name):
        consumer = EventConsumer(
            pool=pool,
            js=js,
            spec=subscriber.spec,
            region=settings.region,
            handlers=subscriber.handlers,
            config=consumer_config,
        )
        runtime.tasks.append(
            asyncio.create_task(consumer.run(runtime.stop), name=f"consumer-{subscriber.spec.durable}")
        )
    if definition.on_start is not None:
        try:
            await definition.on_start(runtime)
        except BaseException:
            await stop_runtime(runtime)  # a service that cannot start leaves nothing running
            raise
    # After the start-up work: an answer may need what it prepared (intake's vault).
    for responder in service_responders(definition.name):
        await _serve_requests(runtime, responder)
    return runtime


async def _serve_requests(runtime: Runtime, responder: Responder) -> None:
    """Answer one request–reply operation; the service's instances share the requests (a queue group)."""
    spec = responder.spec

    async def answer(msg: Msg) -> None:
        caller = caller_of(msg.reply)
        if caller not in spec.callers:
            log.warning("request refused", extra={"operation": spec.operation, "caller": caller or "unknown"})
            await msg.respond(NOT_ALLOWED)
            return
        assert caller is not None  # callers lists service names only
        await msg.respond(await responder.answer(runtime, msg.data, caller))

    await runtime.nc.subscribe(spec.subject(runtime.settings.region), queue=spec.service, cb=answer)


async def stop_runtime(runtime: Runtime) -> None:
    """Stop background work, then close NATS and the pool."""
    runtime.stop.set()
    for task in runtime.tasks:
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5.0)
    for close in runtime.closing:
        with contextlib.suppress(Exception):
            await close()
    # Everything relayed was already acknowledged by JetStream; acks of handled messages are
    # flushed here, and anything not acked is redelivered to the next instance.
    with contextlib.suppress(Exception):
        await runtime.nc.flush(timeout=2)
    await runtime.nc.close()
    await runtime.pool.close()


class ObserveRequests:
    """Request id, trace context, metrics, one log line per request, and the 500 answer.

    Unexpected errors are answered here rather than by Starlette's outermost error middleware, so
    that a 500 carries the request id header like every other answer.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per
    request, which shows under load.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one request (other ASGI traffic passes through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        traceparent = headers.get("traceparent") or f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
        rid_token = request_id_var.set(request_id)
        tp_token = current_traceparent.set(traceparent)
        scope.setdefault("state", {})["request_id"] = request_id  # for the error handlers
        started = time.perf_counter()
        status = 500
        started_answer = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_answer
            if message["type"] == "http.response.start":
                status = message["status"]
                started_answer = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answered here rather than by Starlette's outermost error middleware, which re-raises
            # to the server: uvicorn would then drop the kept-alive connection without a word.
            if started_answer:
                raise
            await error_response(exc, request_id)(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            REQUESTS.labels(self.service, method, route, str(status)).inc()
            LATENCY.labels(self.service, method, route).observe(elapsed)
            if route not in ("/health", "/ready", "/metrics"):
                log.info(
                    "request",
                    extra={"method": method, "route": route, "status": status, "ms": round(elapsed * 1000, 2)},
                )
            request_id_var.reset(rid_token)
            current_traceparent.reset(tp_token)


def create_app(definition: ServiceDefinition, settings: ServiceSettings) -> FastAPI:
    """The FastAPI application of a service."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(definition, settings)
        app.state.runtime = runtime
        app.state.accounts.pool = runtime.pool
        try:
            yield
        finally:
            await stop_runtime(runtime)

    # /docs and /redoc load their viewers from the service itself: no CDN on a province's network.
    app = FastAPIOffline(title=definition.title, description=definition.description, version="1.0.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(settings)
    app.state.accounts = AccountRegistry(settings.region, settings.accounts_cache_seconds)
    for router in definition.routers:
        app.include_router(router)
    if definition.hot_routes:
        # First in the router: matched before any FastAPI route, without FastAPI's dependency resolution.
        app.router.routes[:0] = [starlette_route(route) for route in definition.hot_routes]
    documented = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document, plus the hot routes, plus every route's error answers in Regionet's shape."""
        return document_errors(add_to_openapi(documented(), definition.hot_routes))

    app.openapi = openapi  # type: ignore[method-assign]
    # Outside the hot routes, so that they are guarded too; inside ObserveRequests, so refusals are counted.
    app.add_middleware(RefuseControlCharacters)
    app.add_middleware(ObserveRequests, service=settings.service)
    install_error_handlers(app)

    @app.get("/health", tags=["operations"], summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": settings.service}

    @app.get("/ready", tags=["operations"], summary="Readiness: Postgres and NATS reachable, migrations done")
    async def ready(request: Request) -> JSONResponse:
        runtime: Runtime | None = getattr(request.app.state, "runtime", None)
        checks = {"postgres": False, "migrations": False, "nats": False, "jetstream": False}
        if runtime is not None:
            with contextlib.suppress(Exception):
                async with runtime.pool.acquire(timeout=2.0) as conn:
                    checks["postgres"] = await conn.fetchval("SELECT true", timeout=2.0)
                    checks["migrations"] = await is_migrated(conn, settings.service)
            checks["nats"] = runtime.nc.is_connected
            with contextlib.suppress(Exception):
                await runtime.js.account_info()
                checks["jetstream"] = True
        ok = all(checks.values())
        retry = {} if ok else {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse(status_code=200 if ok else 503, content={"ready": ok, "checks": checks}, headers=retry)

    # Documented as the text it is (FastAPI would say JSON).
    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI document of this service's events")
    async def asyncapi() -> dict[str, Any]:
        return asyncapi_document(settings.service, settings.region, title=definition.title, version="1.0.0")

    return app


SERVICE_ENV = "REGIONET_SERVICE"


def app_from_environment() -> FastAPI:
    """Application factory for uvicorn's worker processes: the service named by ``REGIONET_SERVICE``."""
    name = os.environ[SERVICE_ENV]
    definition: ServiceDefinition = importlib.import_module(f"{SERVICES[name].module}.app").definition
    settings = ServiceSettings.load(name)
    configure_logging(name, settings.log_level)
    return create_app(definition, settings)


def run(definition: ServiceDefinition) -> None:
    """Entry point of ``python -m services.<name>``: settings from the environment, then serve.

    With ``WORKERS`` above 1, uvicorn runs that many processes on the one port; each is a full
    replica (its own pool, relay and consumers), which the outbox and the durable pull
    consumers are built for.
    """
    settings = ServiceSettings.load(definition.name)
    configure_logging(definition.name, settings.log_level)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
    }
    if settings.workers > 1:
        os.environ[SERVICE_ENV] = definition.name
        uvicorn.run("shared.service:app_from_environment", factory=True, workers=settings.workers, **options)
    else:
        uvicorn.run(create_app(definition, settings), **options)
