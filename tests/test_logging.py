"""Logs are JSON lines with request and trace ids, and never carry personal data."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from services.intake.app import definition as intake
from services.notifications.app import definition as notifications
from shared.logging import JsonFormatter
from tests.support.platform import Platform, run_service
from tests.support.waiting import eventually


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter("test"))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the test's own client, as in configure_logging
    yield buffer
    root.removeHandler(handler)
    root.setLevel(previous_level)


async def test_request_logs_are_json_with_ids_and_without_personal_data(
    platform: Platform, json_log: io.StringIO
) -> None:
    async with run_service(platform, intake) as i, run_service(platform, notifications) as n:
        coach = await platform.login("coach", "coach-log")
        response = await i.client.post(
            "/participants?name=Fatima",
            json={"name": "Fatima El Amrani", "email": "fatima@example.org", "situation": "looking_for_work"},
            headers={**coach, "x-request-id": "req-123", "traceparent": f"00-{'a' * 32}-{'b' * 16}-01"},
        )
        assert response.status_code == 201
        assert response.headers["x-request-id"] == "req-123"

        async def notified() -> bool:
            return bool((await n.client.get("/notifications", headers=coach)).json())

        await eventually(notified)
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line.strip()]
    requests = [e for e in lines if e["message"] == "request" and e.get("request_id") == "req-123"]
    assert requests, lines
    assert requests[0]["route"] == "/participants"
    assert requests[0]["status"] == 201
    assert requests[0]["trace_id"] == "a" * 32
    text = json_log.getvalue()
    for personal in ("Fatima", "El Amrani", "fatima@example.org"):
        assert personal not in text


def test_logged_exceptions_keep_their_type_and_stack_but_not_their_message() -> None:
    formatter = JsonFormatter("test")
    try:
        raise ValueError("postcode of Jan Jansen is 6811 AB")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(formatter.format(record))
    assert entry["exception"]["type"] == "ValueError"
    assert "test_logging.py" in entry["exception"]["stack"][-1]
    assert "Jan Jansen" not in formatter.format(record)
