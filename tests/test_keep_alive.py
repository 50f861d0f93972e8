"""A 500 answer does not break the client's kept-alive connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import APIRouter

from shared.service import ServiceDefinition, create_app
from tests.support.platform import Platform
from tests.support.ports import free_port
from tests.support.waiting import eventually

broken = APIRouter()


@broken.get("/boom")
async def boom() -> None:
    raise RuntimeError("a bug on our side")


@contextlib.asynccontextmanager
async def serving(platform: Platform) -> AsyncIterator[int]:
    """The matching service with a broken route, served by uvicorn on a real port."""
    definition = ServiceDefinition(name="matching", title="broken", description="", routers=[broken])
    port = free_port()
    app = create_app(definition, platform.settings("matching"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started)
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, dict[str, str]]:
    """One HTTP/1.1 request on an open connection; the status and headers of its answer (body read)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status_line, *lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers


async def test_the_next_request_on_the_same_connection_is_answered_after_a_500(platform: Platform) -> None:
    async with serving(platform) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            status, headers = await _exchange(reader, writer, "/boom")
            assert status == 500
            assert headers.get("connection", "").lower() != "close", "a 500 should not cost the client its connection"
            assert (await _exchange(reader, writer, "/health"))[0] == 200
        finally:
            writer.close()
