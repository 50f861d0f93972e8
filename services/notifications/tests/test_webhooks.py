"""Webhooks to a real HTTP receiver that verifies every request with the Standard Webhooks library."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.app import service_definition
from services.notifications.secrets import SecretBox
from services.notifications.settings import NotificationSettings
from services.notifications.tests.conftest import Feeds
from services.notifications.webhooks import RETRY_SCHEDULE, unsafe_target
from shared.events.contracts.vouchers import AllocationMode, ProgrammePublished
from tests.support.platform import Platform, run_service
from tests.support.ports import free_port
from tests.support.waiting import eventually

SHARED_TYPE = ProgrammePublished.spec.key


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A partner's HTTP endpoint: answers from a script (then 200), keeps every request."""

    port: int
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(dict(request.headers), await request.read()))
        status, headers = self.script.pop(0) if self.script else (200, {})
        if status in (301, 302, 307):
            headers = {"location": f"http://127.0.0.1:{self.port}/elsewhere"}
        return web.Response(status=status, headers=headers)

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Every request's body, verified with ``secret`` as a receiver would (raises if one fails)."""
        return [Webhook(secret).verify(r.body, r.headers) for r in self.requests]


@contextlib.asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver(free_port())
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    app.router.add_post("/elsewhere", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
    try:
        yield receiver
    finally:
        await runner.cleanup()


def published() -> ProgrammePublished:
    """A shared event: a programme's design, for other regions."""
    now = datetime.now(UTC)
    return ProgrammePublished(
        programme_id=uuid.uuid4(),
        name="Gelders Vakmanschap",
        mode=AllocationMode.FIRST_COME_FIRST_SERVED,
        opens_at=now,
        closes_at=now + timedelta(days=30),
        redeem_by=now + timedelta(days=365),
        budget_cents=100_000_00,
        categories=[],
        auto_approve=True,
        max_vouchers_per_person=1,
        attendance_threshold_pct=80,
        below_threshold="reject",
        quotas={},
        weights={},
    )


@dataclass
class Hooks:
    """The notifications service, an administrator's calls to its webhooks API, and a receiver."""

    feeds: Feeds
    receiver: Receiver

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = await self.feeds.service.client.request(
            method, path, headers=self.feeds.platform.auth("admin", "admin-1"), **kwargs
        )
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else None

    async def subscribe(self, types: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"url": self.receiver.url, "event_types": types or [SHARED_TYPE], **extra}
        created: dict[str, Any] = await self.call("POST", "/webhooks/endpoints", json=body)
        return created

    async def deliveries(self) -> list[dict[str, Any]]:
        rows = await self.feeds.query("SELECT * FROM notifications.webhook_deliveries ORDER BY created_at")
        return [dict(r) for r in rows]

    async def attempts(self, endpoint_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.call("GET", f"/webhooks/endpoints/{endpoint_id}/attempts")
        return found

    async def requests(self, count: int) -> list[Received]:
        async def arrived() -> list[Received]:
            return self.receiver.requests if len(self.receiver.requests) >= count else []

        return await eventually(arrived)

    async def due_now(self) -> None:
        """Skip the wait the schedule set: the pending deliveries are due, the endpoints may be sent to."""
        await self.feeds.query(
            "WITH d AS (UPDATE notifications.webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending')"
            " UPDATE notifications.webhook_endpoints SET send_after = now()"
        )


@pytest.fixture
async def hooks(platform: Platform) -> AsyncIterator[Hooks]:
    async with receiving() as receiver, run_service(platform, service_definition(NotificationSettings())) as service:
        await platform.enrol("admin", "admin-1")
        yield Hooks(Feeds(platform, service), receiver)


async def test_a_subscribed_shared_event_arrives_signed_with_the_endpoints_secret_once(hooks: Hooks) -> None:
    endpoint = await hooks.subscribe()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["status"] == "active"
    event = await hooks.feeds.send(published())
    await hooks.feeds.resend(event, msg_id=f"{event.id}-again")  # a duplicate sends nothing more
    (request,) = await hooks.requests(1)
    await hooks.feeds.handled()

    (body,) = hooks.receiver.verified(endpoint["secret"])
    assert (body["id"], body["type"]) == (str(event.id), "programme.published")
    (delivery,) = await hooks.deliveries()
    assert request.headers["webhook-id"] == str(delivery["id"])
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(request.body, request.headers)

    async def logged() -> list[dict[str, Any]]:
        return await hooks.attempts(endpoint["id"])

    (attempt,) = await eventually(logged)
    assert (attempt["status_code"], attempt["delivery_status"], attempt["error"]) == (200, "delivered", None)
    listed = await hooks.call("GET", "/webhooks/endpoints")
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert "secret" not in listed[0]


async def test_back_off_and_retry_after_are_followed_with_the_same_webhook_id(hooks: Hooks) -> None:
    hooks.receiver.script = [(500, {}), (429, {"retry-after": "7200"})]
    endpoint = await hooks.subscribe()
    await hooks.feeds.send(published())
    await hooks.requests(1)

    async def attempted(n: int) -> list[dict[str, Any]]:
        rows = await hooks.attempts(endpoint["id"])
        return rows if len(rows) >= n else []

    (first,) = await eventually(lambda: attempted(1))
    (delivery,) = await hooks.deliveries()
    wait = delivery["next_attempt_at"] - first_time(first)
    assert RETRY_SCHEDULE[0] * 0.85 <= wait <= RETRY_SCHEDULE[0] * 1.15 + timedelta(seconds=1)

    await hooks.due_now()
    second, _ = await eventually(lambda: attempted(2))
    assert second["status_code"] == 429
    (delivery,) = await hooks.deliveries()
    asked = delivery["next_attempt_at"] - first_time(second)
    assert timedelta(seconds=7190) <= asked <= timedelta(seconds=7210)  # Retry-After beats the 5-minute step
    (slowed,) = await hooks.feeds.query("SELECT send_after FROM notifications.webhook_endpoints")
    assert slowed["send_after"] - first_time(second) >= timedelta(seconds=7190)

    await hooks.due_now()
    third, _, _ = await eventually(lambda: attempted(3))
    assert third["status_code"] == 200
    ids = {r.headers["webhook-id"] for r in hooks.receiver.requests}
    assert ids == {str(delivery["id"])}
    assert len(hooks.receiver.verified(endpoint["secret"])) == 3


def first_time(attempt: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(attempt["attempted_at"])


async def test_410_disables_the_endpoint_and_tells_its_owner(hooks: Hooks) -> None:
    await hooks.feeds.enrol("admin-1", "admin", language="en")
    hooks.receiver.script = [(410, {})]
    endpoint = await hooks.subscribe()
    await hooks.feeds.send(published())
    await hooks.requests(1)

    async def disabled() -> dict[str, Any] | None:
        found: dict[str, Any] = await hooks.call("GET", f"/webhooks/endpoints/{endpoint['id']}")
        return found if found["status"] == "disabled" else None

    after = await eventually(disabled)
    assert after is not None
    assert after["disabled_reason"] == "the receiver answered 410 Gone"
    (told,) = await hooks.feeds.of("admin-1", "admin")
    assert told["message"].startswith(f"Webhook endpoint {hooks.receiver.url} was disabled because it answered 410")
    (delivery,) = await hooks.deliveries()
    assert delivery["status"] == "failed"

    await hooks.feeds.send(published())
    await hooks.feeds.handled()
    assert len(hooks.receiver.requests) == 1  # nothing more goes to a disabled endpoint


async def test_a_redirect_is_not_followed(hooks: Hooks) -> None:
    hooks.receiver.script = [(302, {})]
    endpoint = await hooks.subscribe()
    await hooks.feeds.send(published())

    async def failed_once() -> list[dict[str, Any]]:
        return await hooks.attempts(endpoint["id"])

    (attempt,) = await eventually(failed_once)
    assert attempt["status_code"] == 302
    assert attempt["delivery_status"] == "pending"
    assert len(hooks.receiver.requests) == 1  # /elsewhere was never called


async def test_a_rotated_secret_signs_beside_the_old_one_during_the_overlap(hooks: Hooks) -> None:
    endpoint = await hooks.subscribe()
    rotated = await hooks.call("POST", f"/webhooks/endpoints/{endpoint['id']}/secret", json={"overlap_hours": 1})
    assert rotated["secret"] != endpoint["secret"]
    await hooks.feeds.send(published())
    (request,) = await hooks.requests(1)

    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert hooks.receiver.verified(endpoint["secret"]) == hooks.receiver.verified(rotated["secret"])

    gone = await hooks.call("POST", f"/webhooks/endpoints/{endpoint['id']}/secret", json={"overlap_hours": 0})
    await hooks.feeds.send(published())
    await hooks.requests(2)
    latest = hooks.receiver.requests[-1]
    Webhook(gone["secret"]).verify(latest.body, latest.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(latest.body, latest.headers)
    stored = [r["secret"] for r in await hooks.feeds.query("SELECT secret FROM notifications.webhook_secrets")]
    assert len(stored) == 3
    assert all(s.startswith("fernet:") for s in stored)
    for secret in (endpoint["secret"], rotated["secret"], gone["secret"]):
        assert await hooks.feeds.rows_mentioning(secret.removeprefix("whsec_"), "webhook_secrets") == 0


async def test_secrets_in_clear_text_or_under_an_old_key_are_encrypted_again_at_start(platform: Platform) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    async with receiving() as receiver:
        async with run_service(platform, service_definition(NotificationSettings(webhook_secret_keys=old_key))) as s:
            hooks = Hooks(Feeds(platform, s), receiver)
            await platform.enrol("admin", "admin-1")
            encrypted = await hooks.subscribe()
            clear = await hooks.subscribe()
            # As an earlier version stored it: the secret itself.
            await hooks.feeds.query(
                "UPDATE notifications.webhook_secrets SET secret = $1 WHERE endpoint_id = $2",
                clear["secret"],
                uuid.UUID(clear["id"]),
            )
        both = NotificationSettings(webhook_secret_keys=f"{new_key}, {old_key}")
        async with run_service(platform, service_definition(both)) as s:
            hooks = Hooks(Feeds(platform, s), receiver)
            await hooks.feeds.send(published())
            await hooks.requests(2)
            rows = await hooks.feeds.query("SELECT endpoint_id::text, secret FROM notifications.webhook_secrets")
    by_endpoint = {r["endpoint_id"]: r["secret"] for r in rows}
    newest = SecretBox([new_key])
    assert newest.open(by_endpoint[encrypted["id"]]) == encrypted["secret"]
    assert newest.open(by_endpoint[clear["id"]]) == clear["secret"]
    secrets = (encrypted["secret"], clear["secret"])
    assert {secret for r in receiver.requests for secret in secrets if _verifies(secret, r)} == set(secrets)


def _verifies(secret: str, request: Received) -> bool:
    try:
        Webhook(secret).verify(request.body, request.headers)
    except WebhookVerificationError:
        return False
    return True


def test_production_refuses_to_start_without_a_key_for_the_secrets() -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET_KEYS"):
        NotificationSettings(environment="production")
    with pytest.raises(ValueError, match="Fernet keys"):
        NotificationSettings(webhook_secret_keys="not-a-key")


async def test_a_paused_endpoint_gets_its_events_on_resume_and_a_delivery_can_be_replayed(hooks: Hooks) -> None:
    endpoint = await hooks.subscribe()
    paused = await hooks.call("POST", f"/webhooks/endpoints/{endpoint['id']}/pause")
    assert paused["status"] == "paused"
    await hooks.feeds.send(published())
    await hooks.feeds.handled()
    assert [d["status"] for d in await hooks.deliveries()] == ["pending"]
    assert hooks.receiver.requests == []

    await hooks.call("POST", f"/webhooks/endpoints/{endpoint['id']}/resume")
    (first,) = await hooks.requests(1)
    (delivery,) = await hooks.deliveries()

    replayed = await hooks.call(
        "POST", f"/webhooks/endpoints/{endpoint['id']}/replay", json={"delivery_id": str(delivery["id"])}
    )
    assert replayed == {"replayed": 1}
    _, again = await hooks.requests(2)
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    assert again.body == first.body

    since = await hooks.call(
        "POST", f"/webhooks/endpoints/{endpoint['id']}/replay", json={"since": "2020-01-01T00:00:00Z"}
    )
    assert since == {"replayed": 1}
    await hooks.requests(3)

    await hooks.call("DELETE", f"/webhooks/endpoints/{endpoint['id']}")
    assert await hooks.call("GET", "/webhooks/endpoints") == []


async def test_bad_subscriptions_are_refused_with_a_reason_and_change_nothing(hooks: Hooks) -> None:
    client, admin = hooks.feeds.service.client, hooks.feeds.platform.auth("admin", "admin-1")
    cases = [
        ({"url": hooks.receiver.url, "event_types": ["vouchers.voucher.issued.v1"]}, "one of the region's own events"),
        ({"url": hooks.receiver.url, "event_types": ["nothing.like.this.v1"]}, "there is no event type"),
        ({"url": "ftp://example.org/x", "event_types": [SHARED_TYPE]}, "must be http(s)"),
        ({"url": hooks.receiver.url, "event_types": []}, ""),
    ]
    for body, reason in cases:
        answer = await client.post("/webhooks/endpoints", json=body, headers=admin)
        assert answer.status_code == 422, answer.text
        assert reason in answer.text
    coach = await client.post(
        "/webhooks/endpoints", json={"url": hooks.receiver.url, "event_types": [SHARED_TYPE]},
        headers=hooks.feeds.platform.auth("coach", "coach-anna"),
    )  # fmt: skip
    assert coach.status_code == 403
    unknown = await client.post(f"/webhooks/endpoints/{uuid.uuid4()}/pause", headers=admin)
    assert unknown.status_code == 404
    assert await hooks.call("GET", "/webhooks/endpoints") == []

    internal = await hooks.subscribe(["vouchers.voucher.issued.v1"], internal=True)
    assert internal["internal"] is True


async def test_outside_development_private_and_plain_http_targets_are_refused(platform: Platform) -> None:
    settings = NotificationSettings(
        environment="production", webhooks_allow_private=None, webhook_secret_keys=Fernet.generate_key().decode()
    )
    async with receiving() as receiver, run_service(platform, service_definition(settings)) as service:
        admin = await platform.login("admin", "admin-1")
        for url, reason in [
            ("http://partner.example/hooks", "only https"),
            ("https://127.0.0.1/hooks", "non-public"),
            ("https://localhost/hooks", "non-public"),
        ]:
            answer = await service.client.post(
                "/webhooks/endpoints", json={"url": url, "event_types": [SHARED_TYPE]}, headers=admin
            )
            assert answer.status_code == 422, answer.text
            assert reason in answer.text

        # A name that resolved to a public address when it subscribed and to a private one now
        # (DNS rebinding): the sender's resolver checks the address it connects to.
        feeds = Feeds(platform, service)
        endpoint_id = uuid.uuid4()
        await feeds.query(
            "INSERT INTO notifications.webhook_endpoints (id, url, event_types, internal, owner)"
            " VALUES ($1, $2, $3, false, 'admin-1')",
            endpoint_id,
            f"https://localhost:{receiver.port}/hooks",
            [SHARED_TYPE],
        )
        await feeds.query(
            "INSERT INTO notifications.webhook_secrets (endpoint_id, secret) VALUES ($1, 'whsec_c2VjcmV0')",
            endpoint_id,
        )
        await feeds.send(published())

        async def refused() -> list[asyncpg.Record]:
            return await feeds.query("SELECT error FROM notifications.webhook_attempts")

        (attempt,) = await eventually(refused)
    assert "localhost resolves to a private, loopback or other non-public address" in attempt["error"]
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://0.0.0.0/x",
        "https://224.0.0.1/x",
    ],
)
async def test_non_public_addresses_are_refused(url: str) -> None:
    assert await unsafe_target(url, allow_private=False) is not None


async def test_a_public_address_is_allowed() -> None:
    assert await unsafe_target("https://93.184.215.14/x", allow_private=False) is None


@pytest.mark.parametrize("url", ["http://[", "http://host:99999/x", "https://", "mailto:someone@example.org"])
async def test_an_unreadable_url_is_refused_even_in_development(url: str) -> None:
    assert await unsafe_target(url, allow_private=True) is not None
