"""``regionet import participants|employers FILE`` against a real intake service over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from typer.testing import CliRunner

from services.intake.app import definition as intake
from services.intake.cli import app as import_app
from shared.service import create_app
from tests.support.platform import Platform
from tests.support.ports import free_port

DATA = Path(__file__).parent / "data"


@contextlib.asynccontextmanager
async def serving(platform: Platform) -> AsyncIterator[str]:
    """The intake service on a free local port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(intake, platform.settings("intake")), host="127.0.0.1", port=port, log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):  # a server that cannot start fails here, not at pytest's timeout
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_the_import_command_imports_once_and_lists_rejected_rows(platform: Platform) -> None:
    token = platform.token("admin", "admin-1")
    args = ["participants", str(DATA / "deelnemers_export.csv"), "--token", token]
    async with serving(platform) as url:
        await platform.enrol("admin", "admin-1")
        first = await asyncio.to_thread(CliRunner().invoke, import_app, [*args, "--url", url])
        second = await asyncio.to_thread(CliRunner().invoke, import_app, [*args, "--url", url])
        clean = await asyncio.to_thread(
            CliRunner().invoke,
            import_app,
            ["employers", str(DATA / "werkgevers_export.csv"), "--token", token, "--url", url],
        )
    assert first.exit_code == 1, first.output
    assert "4 imported now, 0 imported before, 5 rejected." in first.output
    assert "not a Dutch postcode" in first.output
    assert "4 imported before" in second.output
    assert "3 imported now" in clean.output


async def test_the_import_command_explains_a_refused_token(platform: Platform) -> None:
    async with serving(platform) as url:
        await platform.enrol("coach", "c")
        result = await asyncio.to_thread(
            CliRunner().invoke,
            import_app,
            ["employers", str(DATA / "werkgevers_export.csv"), "--token", platform.token("coach", "c"), "--url", url],
        )
    assert result.exit_code == 1
    assert "refused (403)" in result.output
