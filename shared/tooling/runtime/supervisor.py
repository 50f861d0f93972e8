"""``regionet up`` / ``down`` / ``status``: start the servers, provision them, run every service.

Embedded mode starts (or reuses) NATS and Postgres with their data under ``<root>``; external
mode takes their addresses and credentials from the environment. Either way the database and
the JetStream topology are provisioned, then each service of ``shared.services.SERVICES``
runs as its own process (``python -m services.<name>``) and applies its own migrations.
What runs where is recorded in ``<root>/endpoints.json`` so ``down`` and ``status`` find it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import asyncpg
import httpx
import nats
import nats.errors

import shared
from shared.bus.topology import declare_topology
from shared.db.migrations import MigrationError, migrate
from shared.db.provision import provision_database, service_dsn
from shared.services import SERVICES
from shared.settings import DEV_ADMIN
from shared.tooling.runtime.credentials import load_or_create_secrets, load_secrets, secrets_path
from shared.tooling.runtime.embedded_nats import ADMIN_USER as NATS_ADMIN_USER
from shared.tooling.runtime.embedded_nats import DEFAULT_NATS_MONITOR_PORT, DEFAULT_NATS_PORT, EmbeddedNats, nats_dir
from shared.tooling.runtime.embedded_postgres import DEFAULT_POSTGRES_PORT, EmbeddedPostgres
from shared.tooling.runtime.embedded_postgres import data_dir as postgres_data_dir
from shared.tooling.runtime.errors import StartupError
from shared.tooling.runtime.mail_sink import DEFAULT_SMTP_PORT, MailSink, mail_dir
from shared.tooling.runtime.processes import LOCALHOST, pid_runs, port_in_use, tail, terminate, write_private

READY_TIMEOUT_SECONDS = 120.0
# The folder that holds the `shared` and `services` packages, so service processes import the
# same code as this supervisor wherever `regionet` is started from.
PROJECT_DIR = Path(shared.__file__).resolve().parents[1]

Report = Callable[[str], None]


def endpoints_path(root: Path) -> Path:
    """Where ``up`` records what it started."""
    return root / "endpoints.json"


def service_log_path(root: Path, service: str) -> Path:
    """A service's log file."""
    return root / "logs" / f"{service}.log"


def default_service_ports(base: int | None = None) -> dict[str, int]:
    """Each service's HTTP port: its registered default, or consecutive ports from ``base``."""
    if base is None:
        return {name: spec.default_port for name, spec in SERVICES.items()}
    return {name: base + offset for offset, name in enumerate(SERVICES)}


@dataclass(frozen=True)
class UpOptions:
    """What ``regionet up`` was asked to do."""

    root: Path
    region: str = "gld"
    external: bool = False
    nats_port: int = DEFAULT_NATS_PORT
    nats_monitor_port: int = DEFAULT_NATS_MONITOR_PORT
    postgres_port: int = DEFAULT_POSTGRES_PORT
    smtp_port: int = DEFAULT_SMTP_PORT
    service_ports: Mapping[str, int] = field(default_factory=default_service_ports)
    ready_timeout: float = READY_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Infrastructure:
    """Where NATS and Postgres are and the credentials for them."""

    admin_dsn: str
    nats_url: str
    nats_admin_user: str
    nats_admin_password: str
    db_passwords: dict[str, str]
    nats_credentials: dict[str, tuple[str, str]]


def infrastructure_from_env(environ: Mapping[str, str]) -> Infrastructure:
    """External mode: NATS and Postgres addresses and credentials from environment variables.

    Reads ``REGIONET_ADMIN_DATABASE_URL``, ``REGIONET_NATS_URL``, ``REGIONET_NATS_ADMIN_USER``,
    ``REGIONET_NATS_ADMIN_PASSWORD`` and, per service, ``REGIONET_<SVC>_DB_PASSWORD``,
    ``REGIONET_<SVC>_NATS_PASSWORD`` and optionally ``REGIONET_<SVC>_NATS_USER`` (default: the
    service's name).
    """
    needed = [
        "REGIONET_ADMIN_DATABASE_URL",
        "REGIONET_NATS_URL",
        "REGIONET_NATS_ADMIN_USER",
        "REGIONET_NATS_ADMIN_PASSWORD",
    ]
    for service in SERVICES:
        needed += [f"REGIONET_{service.upper()}_DB_PASSWORD", f"REGIONET_{service.upper()}_NATS_PASSWORD"]
    missing = [name for name in needed if not environ.get(name)]
    if missing:
        raise StartupError(f"external mode needs these environment variables, which are not set: {', '.join(missing)}")
    return Infrastructure(
        admin_dsn=environ["REGIONET_ADMIN_DATABASE_URL"],
        nats_url=environ["REGIONET_NATS_URL"],
        nats_admin_user=environ["REGIONET_NATS_ADMIN_USER"],
        nats_admin_password=environ["REGIONET_NATS_ADMIN_PASSWORD"],
        db_passwords={s: environ[f"REGIONET_{s.upper()}_DB_PASSWORD"] for s in SERVICES},
        nats_credentials={
            s: (environ.get(f"REGIONET_{s.upper()}_NATS_USER") or s, environ[f"REGIONET_{s.upper()}_NATS_PASSWORD"])
            for s in SERVICES
        },
    )


def jwt_secret(root: Path, environ: Mapping[str, str]) -> str:
    """The secret development tokens are signed with: ``REGIONET_JWT_SECRET``, else the one in ``<root>``."""
    return environ.get("REGIONET_JWT_SECRET") or load_secrets(root).jwt_secret


def _where(dsn: str) -> str:
    # Host and port only: error messages must not show the password in the URL.
    parts = urlsplit(dsn)
    return f"{parts.hostname}:{parts.port or 5432}"


def _describe(exc: BaseException) -> str:
    # Some client errors (timeouts) have no message; their type still says what happened.
    return str(exc) or type(exc).__name__


async def _swallow_nats_error(exc: Exception) -> None:
    """nats-py's default error callback logs every failed connect attempt; the raised error says it once."""


async def provision(infra: Infrastructure, region: str, replicas: int = 1) -> None:
    """Create the database, roles and schemas, and declare the region's streams and consumers.

    Safe to run again; raises ``StartupError`` when Postgres or NATS cannot be reached.
    """
    try:
        await provision_database(infra.admin_dsn, infra.db_passwords)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StartupError(f"cannot provision the database at {_where(infra.admin_dsn)}: {_describe(exc)}") from exc
    try:
        nc = await nats.connect(
            infra.nats_url,
            user=infra.nats_admin_user,
            password=infra.nats_admin_password,
            allow_reconnect=False,
            connect_timeout=5,
            error_cb=_swallow_nats_error,
        )
    except (OSError, nats.errors.Error) as exc:  # TimeoutError is an OSError
        raise StartupError(
            f"cannot connect to NATS at {infra.nats_url} as {infra.nats_admin_user}: {_describe(exc)}"
        ) from exc
    try:
        await declare_topology(nc.jetstream(), region, replicas)
    except (TimeoutError, nats.errors.Error) as exc:
        raise StartupError(f"cannot declare the JetStream streams on {infra.nats_url}: {_describe(exc)}") from exc
    finally:
        await nc.close()


@dataclass(frozen=True)
class ServiceEndpoint:
    """One running service; ``restarts`` counts how often the supervisor started it again after a crash."""

    url: str
    port: int
    pid: int
    docs: str
    log: str
    restarts: int = 0
    gave_up: bool = False


@dataclass(frozen=True)
class Endpoints:
    """What ``up`` started, as recorded in ``<root>/endpoints.json``."""

    region: str
    mode: str
    nats_url: str
    postgres_admin_url: str
    services: dict[str, ServiceEndpoint]
    started_at: str
    nats_monitor_url: str | None = None
    supervisor_pid: int | None = None

    def save(self, root: Path) -> None:
        """Write the record (mode 0600: it holds the database admin's password)."""
        write_private(endpoints_path(root), json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, root: Path) -> Endpoints:
        """Read the record of ``root``; raises ``StartupError`` if nothing was started there."""
        path = endpoints_path(root)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            raw["services"] = {name: ServiceEndpoint(**svc) for name, svc in raw["services"].items()}
            return cls(**raw)
        except FileNotFoundError as exc:
            raise StartupError(
                f"nothing is running from {root} ({path} does not exist); start it with 'regionet up'"
            ) from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise StartupError(
                f"{path} is damaged ({exc}); stop leftovers with 'regionet down' and start again"
            ) from exc


def _child_env(
    infra: Infrastructure,
    secret: str,
    region: str,
    service: str,
    port: int,
    extra: Mapping[str, str] | None = None,
    urls: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A service's environment: the caller's, minus every credential but the service's own, plus its own.

    A service's own settings (``REGIONET_<SERVICE>_…``, such as notifications' SMTP password)
    stay, except the infrastructure credentials this function sets itself; ``extra`` is added
    last (the embedded mail sink's address), after where every service's API is
    (``REGIONET_<NAME>_URL``, from ``urls``).
    """
    secret_words = ("PASSWORD", "ADMIN", "DATABASE_URL", "SECRET")
    prefix = f"REGIONET_{service.upper()}_"
    infrastructure = {f"{prefix}{name}" for name in ("DB_PASSWORD", "NATS_PASSWORD", "DATABASE_URL")}
    env = {
        key: value
        for key, value in os.environ.items()
        if not (key.startswith("REGIONET_") and any(word in key for word in secret_words))
        or (key.startswith(prefix) and key not in infrastructure)
    }
    user, password = infra.nats_credentials[service]
    env.update(
        {
            f"{prefix}DATABASE_URL": service_dsn(infra.admin_dsn, service, infra.db_passwords[service]),
            f"{prefix}NATS_USER": user,
            f"{prefix}NATS_PASSWORD": password,
            f"{prefix}PORT": str(port),
            "REGIONET_NATS_URL": infra.nats_url,
            "REGIONET_REGION": region,
            "REGIONET_JWT_SECRET": secret,
            "REGIONET_ENVIRONMENT": "development",
            "REGIONET_FIRST_ADMIN": env.get("REGIONET_FIRST_ADMIN", DEV_ADMIN),
            "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_DIR), env.get("PYTHONPATH", "")) if p),
        }
    )
    env.update({f"REGIONET_{name.upper()}_URL": url for name, url in (urls or {}).items()})
    env.update(extra or {})
    return env


def _start_mail_sink(root: Path, port: int, report: Report) -> MailSink:
    """The embedded default's SMTP server: keeps every message under ``<root>/mail``, sends none."""
    if port_in_use(port):
        raise StartupError(f"port {port} for the local mail sink is in use; choose another with --smtp-port")
    sink = MailSink(mail_dir(root), port)
    sink.start()
    report(f"mail sink on {LOCALHOST}:{port} keeps every email in {mail_dir(root)} ('regionet mail list')")
    return sink


def _mail_sink_env(sink: MailSink | None) -> dict[str, dict[str, str]]:
    """Notifications' settings that point it at the sink, by service."""
    if sink is None:
        return {}
    return {
        "notifications": {
            "REGIONET_NOTIFICATIONS_SMTP_HOST": LOCALHOST,
            "REGIONET_NOTIFICATIONS_SMTP_PORT": str(sink.port),
            "REGIONET_NOTIFICATIONS_SMTP_SECURITY": "none",
        }
    }


def _start_service(root: Path, service: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = service_log_path(root, service)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        # A marker, so each run's lines can be told apart in the appended log.
        handle.write(f"\n=== regionet up {datetime.now(UTC).isoformat()} ===\n".encode())
        handle.flush()
        return subprocess.Popen(  # noqa: S603 -- this Python running a module of ours, no shell
            [sys.executable, "-m", SERVICES[service].module],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches only `regionet up`, which stops services first.
            start_new_session=True,
        )


def _wait_ready(
    root: Path, processes: Mapping[str, subprocess.Popen[bytes]], ports: Mapping[str, int], timeout: float
) -> None:
    """Wait until every service answers ``GET /ready`` with 200; fail fast if one exits."""
    pending = dict(processes)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for service, process in list(pending.items()):
                log = service_log_path(root, service)
                if process.poll() is not None:
                    raise StartupError(
                        f"the {service} service exited with code {process.returncode} while starting; see {log}",
                        tail(log),
                    )
                try:
                    if client.get(f"http://{LOCALHOST}:{ports[service]}/ready").status_code == 200:
                        del pending[service]
                except httpx.TransportError:
                    pass  # not listening yet
            if pending and time.monotonic() > deadline:
                first = next(iter(pending))
                raise StartupError(
                    f"the {', '.join(pending)} service(s) did not become ready within {timeout:.0f} s; "
                    f"see {service_log_path(root, first)}",
                    tail(service_log_path(root, first)),
                )
            time.sleep(0.2)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Make SIGINT and SIGTERM raise ``KeyboardInterrupt``, so both lead to the same orderly shutdown.

    SIGINT too, because a process started in the background by a shell inherits it ignored.
    """
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_services(services: Mapping[str, int]) -> list[str]:
    """Stop services (pid by name) in parallel; each gets a graceful SIGTERM first."""
    live = {name: pid for name, pid in services.items() if pid_runs(pid, SERVICES[name].module)}
    threads = [threading.Thread(target=terminate, args=(pid,)) for pid in live.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return list(live)


def _stop_embedded(root: Path) -> list[str]:
    stopped = []
    # Ports do not matter for stopping: both find their running server from files in root.
    if EmbeddedNats(root).stop():
        stopped.append("nats")
    if EmbeddedPostgres(root).stop():
        stopped.append("postgres")
    return stopped


# A crashed service is started again after 1, 2, 4, ... seconds (at most 30); after more than
# MAX_CRASHES crashes within CRASH_WINDOW_SECONDS the supervisor gives up on it and says so.
RESTART_DELAYS_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
MAX_CRASHES = 5
CRASH_WINDOW_SECONDS = 300.0


class Deployment:
    """A started Regionet: its services' processes and the record of what runs where."""

    def __init__(
        self,
        root: Path,
        endpoints: Endpoints,
        processes: dict[str, subprocess.Popen[bytes]],
        environments: Mapping[str, dict[str, str]],
        restart_delays: Sequence[float] = RESTART_DELAYS_SECONDS,
        mail_sink: MailSink | None = None,
    ) -> None:
        self.root = root
        self._mail_sink = mail_sink
        self.endpoints = endpoints
        self._processes = processes
        self._environments = dict(environments)
        self._restart_delays = tuple(restart_delays)
        self._crashes: dict[str, list[float]] = {name: [] for name in processes}
        self._restart_at: dict[str, float] = {}

    def wait(self, report: Report) -> None:
        """Keep the services running until Ctrl-C / SIGTERM; a crashed service is started again.

        Each crash is reported with the service's exit code and log; the restart waits a
        growing delay. A service that crashes more than ``MAX_CRASHES`` times within
        ``CRASH_WINDOW_SECONDS`` is given up on (reported, and shown by ``regionet status``);
        the others keep running.
        """
        with _signals_interrupt():
            try:
                while True:
                    self.supervise_once(report, time.monotonic())
                    time.sleep(0.5)
            except KeyboardInterrupt:
                return

    def supervise_once(self, report: Report, now: float) -> None:
        """Notice services that exited and start those whose back-off has passed."""
        for service, process in self._processes.items():
            if self.endpoints.services[service].gave_up or service in self._restart_at:
                continue
            if process.poll() is None:
                continue
            log = service_log_path(self.root, service)
            crashes = [t for t in self._crashes[service] if now - t < CRASH_WINDOW_SECONDS] + [now]
            self._crashes[service] = crashes
            if len(crashes) > MAX_CRASHES:
                self._record(service, gave_up=True)
                report(
                    f"GIVING UP on the {service} service: it crashed {len(crashes)} times within"
                    f" {CRASH_WINDOW_SECONDS:.0f} s (last exit code {process.returncode}); see {log}."
                    f" Fix it, then run 'regionet down' and 'regionet up'."
                )
                continue
            delay = self._restart_delays[min(len(crashes), len(self._restart_delays)) - 1]
            self._restart_at[service] = now + delay
            report(
                f"the {service} service exited with code {process.returncode}; starting it again in"
                f" {delay:.0f} s (crash {len(crashes)} of at most {MAX_CRASHES} in {CRASH_WINDOW_SECONDS:.0f} s);"
                f" see {log}"
            )
        for service, due in list(self._restart_at.items()):
            if now >= due:
                del self._restart_at[service]
                self._processes[service] = _start_service(self.root, service, self._environments[service])
                self._record(service, restarted=True)
                report(f"started the {service} service again (pid {self._processes[service].pid})")

    def _record(self, service: str, *, restarted: bool = False, gave_up: bool = False) -> None:
        before = self.endpoints.services[service]
        after = replace(
            before,
            pid=self._processes[service].pid,
            restarts=before.restarts + (1 if restarted else 0),
            gave_up=before.gave_up or gave_up,
        )
        self.endpoints = replace(self.endpoints, services={**self.endpoints.services, service: after})
        self.endpoints.save(self.root)

    def stop(self) -> list[str]:
        """Stop the services, then (embedded mode) NATS and Postgres. Returns what was stopped."""
        pids = {name: process.pid for name, process in self._processes.items()}
        stopped = _shutdown(self.root, pids, embedded=self.endpoints.mode == "embedded")
        if self._mail_sink is not None:
            self._mail_sink.stop()
            stopped.append("mail sink")
        return stopped


def _shutdown(root: Path, services: Mapping[str, int], embedded: bool) -> list[str]:
    # A second Ctrl-C must not cut the shutdown short and leave servers half stopped.
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stopped = _stop_services(services)
        if embedded:
            stopped += _stop_embedded(root)
        endpoints_path(root).unlink(missing_ok=True)
        return stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _refuse_if_running(root: Path, ports: Mapping[str, int]) -> None:
    if endpoints_path(root).exists():
        try:
            current = Endpoints.load(root)
        except StartupError:
            current = None
        if current is not None and (
            (current.supervisor_pid is not None and pid_runs(current.supervisor_pid))
            or any(
                pid_runs(svc.pid, SERVICES[name].module) for name, svc in current.services.items() if name in SERVICES
            )
        ):
            raise StartupError(
                f"Regionet is already running from {root}; stop it first with 'regionet down --root {root}'"
            )
    for service, port in ports.items():
        if port_in_use(port):
            raise StartupError(
                f"port {port} for the {service} service is already in use; choose others with --service-port-base"
            )


def start(options: UpOptions, *, report: Report) -> Deployment:
    """Start (or reuse) NATS and Postgres, provision them, start every service and wait until ready.

    This process is the supervisor that ``down`` signals (recorded as ``supervisor_pid``). On
    any failure everything started is stopped again before the ``StartupError`` (or
    ``KeyboardInterrupt``) propagates.
    """
    root = options.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    ports = dict(options.service_ports)
    _refuse_if_running(root, ports)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    environments: dict[str, dict[str, str]] = {}
    sink: MailSink | None = None
    try:
        with _signals_interrupt():
            nats_monitor_url: str | None = None
            if options.external:
                infra = infrastructure_from_env(os.environ)
                if not secrets_path(root).exists() and "REGIONET_JWT_SECRET" not in os.environ:
                    load_or_create_secrets(root)  # a dev JWT secret for `regionet token`
            else:
                secrets = load_or_create_secrets(root)
                postgres = EmbeddedPostgres(root, options.postgres_port, secrets.postgres_password)
                report(f"starting Postgres (data in {postgres_data_dir(root)})")
                admin_dsn = postgres.start()
                nats_server = EmbeddedNats(root, options.nats_port, options.nats_monitor_port, options.region)
                report(f"starting NATS (data in {nats_dir(root)})")
                nats_url = nats_server.start()
                nats_monitor_url = f"http://{LOCALHOST}:{nats_server.monitor_port}"
                infra = Infrastructure(
                    admin_dsn=admin_dsn,
                    nats_url=nats_url,
                    nats_admin_user=NATS_ADMIN_USER,
                    nats_admin_password=secrets.nats_admin_password,
                    db_passwords=secrets.db_passwords,
                    nats_credentials={s: (s, secrets.nats_passwords[s]) for s in SERVICES},
                )
                sink = _start_mail_sink(root, options.smtp_port, report)
            report("provisioning the database and JetStream streams")
            asyncio.run(provision(infra, options.region))
            secret = jwt_secret(root, os.environ)
            sink_env = _mail_sink_env(sink)
            urls = {name: f"http://{LOCALHOST}:{ports[name]}" for name in SERVICES}
            for service in SERVICES:
                environments[service] = _child_env(
                    infra, secret, options.region, service, ports[service], sink_env.get(service), urls
                )
                processes[service] = _start_service(root, service, environments[service])
            report(f"starting {', '.join(SERVICES)}; waiting until each is ready")
            _wait_ready(root, processes, ports, options.ready_timeout)
            endpoints = Endpoints(
                region=options.region,
                mode="external" if options.external else "embedded",
                nats_url=infra.nats_url,
                nats_monitor_url=nats_monitor_url,
                postgres_admin_url=infra.admin_dsn,
                services={
                    name: ServiceEndpoint(
                        url=f"http://{LOCALHOST}:{ports[name]}",
                        port=ports[name],
                        pid=process.pid,
                        docs=f"http://{LOCALHOST}:{ports[name]}/docs",
                        log=str(service_log_path(root, name)),
                    )
                    for name, process in processes.items()
                },
                started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                supervisor_pid=os.getpid(),
            )
            endpoints.save(root)
            return Deployment(root, endpoints, processes, environments, mail_sink=sink)
    except BaseException:
        _shutdown(root, {name: p.pid for name, p in processes.items()}, embedded=not options.external)
        if sink is not None:
            sink.stop()
        raise


def supervisor_log_path(root: Path) -> Path:
    """Where a supervisor started in the background (``up --detach``) writes what it reports."""
    return root / "logs" / "supervisor.log"


def start_in_background(root: Path, up_args: Sequence[str], ready_timeout: float) -> Endpoints:
    """Run the supervisor (``regionet up`` with ``up_args``) as a background process; return once all is ready.

    ``up --detach`` uses this, so a detached deployment is supervised (crashed services are
    started again) exactly like one in the foreground; ``down`` stops the supervisor, which
    stops the rest.
    """
    root = root.resolve()
    log = supervisor_log_path(root)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        handle.write(f"\n=== regionet up --detach {datetime.now(UTC).isoformat()} ===\n".encode())
        handle.flush()
        process = subprocess.Popen(  # noqa: S603 -- this Python running our own CLI, no shell
            [sys.executable, "-m", "shared.tooling.cli", "up", *up_args],
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            # Its own session: closing the terminal that ran `up --detach` must not stop it.
            start_new_session=True,
        )
    # Initialising Postgres and NATS comes before the services' own ready_timeout.
    deadline = time.monotonic() + 2 * ready_timeout + 120.0
    while True:
        if process.poll() is not None:
            raise StartupError(
                f"regionet up stopped while starting (exit code {process.returncode}); see {log}", tail(log)
            )
        try:
            endpoints = Endpoints.load(root)
        except StartupError:
            endpoints = None  # not written yet
        if endpoints is not None and endpoints.supervisor_pid == process.pid:
            return endpoints
        if time.monotonic() > deadline:
            terminate(process.pid, timeout=90.0)
            raise StartupError(f"regionet up did not become ready in time; see {log}", tail(log))
        time.sleep(0.2)


def down(root: Path) -> list[str]:
    """Stop everything ``up`` started from ``root``; returns the names of what was stopped.

    A foreground ``regionet up`` is asked to shut down itself (it owns its services); leftovers
    of a crashed run (servers still running on ``root``'s data) are stopped too.
    """
    root = root.resolve()
    try:
        endpoints: Endpoints | None = Endpoints.load(root)
    except StartupError:
        endpoints = None
    stopped: list[str] = []
    if endpoints is not None and endpoints.supervisor_pid is not None and pid_runs(endpoints.supervisor_pid):
        terminate(endpoints.supervisor_pid, timeout=90.0)
        stopped.append("supervisor")
    services = {name: svc.pid for name, svc in endpoints.services.items() if name in SERVICES} if endpoints else {}
    return stopped + _shutdown(root, services, embedded=endpoints is None or endpoints.mode == "embedded")


@dataclass(frozen=True)
class ServiceStatus:
    """One service as ``status`` sees it."""

    name: str
    url: str
    pid: int
    running: bool
    healthy: bool
    ready: bool
    restarts: int = 0
    gave_up: bool = False


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.TransportError:
        return False


@dataclass(frozen=True)
class StatusReport:
    """What ``up`` recorded and what answers now."""

    endpoints: Endpoints
    services: list[ServiceStatus]
    nats_reachable: bool
    postgres_reachable: bool

    @property
    def all_ready(self) -> bool:
        """True when every service and both servers answer."""
        return self.nats_reachable and self.postgres_reachable and all(s.ready for s in self.services)


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    if parts.hostname is None:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        try:
            return sock.connect_ex((parts.hostname, parts.port or default_port)) == 0
        except OSError:  # e.g. a host name that does not resolve
            return False


def status(root: Path) -> StatusReport:
    """What ``up`` recorded for ``root``; whether the servers and each service's ``/health`` and ``/ready`` answer."""
    endpoints = Endpoints.load(root.resolve())
    with httpx.Client(timeout=2.0) as client:
        services = [
            ServiceStatus(
                name=name,
                url=svc.url,
                pid=svc.pid,
                running=name in SERVICES and pid_runs(svc.pid, SERVICES[name].module),
                healthy=_answers(client, f"{svc.url}/health"),
                ready=_answers(client, f"{svc.url}/ready"),
                restarts=svc.restarts,
                gave_up=svc.gave_up,
            )
            for name, svc in endpoints.services.items()
        ]
    return StatusReport(
        endpoints=endpoints,
        services=services,
        nats_reachable=_reachable(endpoints.nats_url, 4222),
        postgres_reachable=_reachable(endpoints.postgres_admin_url, 5432),
    )


async def migrate_services(infra: Infrastructure, region: str) -> None:
    """Apply every service's pending migrations, each logged in as the service's own role."""
    for service, password in infra.db_passwords.items():
        try:
            conn = await asyncpg.connect(service_dsn(infra.admin_dsn, service, password))
            try:
                await migrate(conn, service, region=region)
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, MigrationError) as exc:
            raise StartupError(
                f"cannot migrate the {service} schema at {_where(infra.admin_dsn)}: {_describe(exc)}"
            ) from exc


def run_provision(region: str, replicas: int, environ: Mapping[str, str]) -> None:
    """External mode's one-off provisioning (e.g. a docker-compose init container).

    Unlike ``up`` it also applies the migrations, so services of a new release start on a
    ready schema; doing it again at their own startup is a no-op.
    """
    infra = infrastructure_from_env(environ)

    async def run() -> None:
        await provision(infra, region, replicas)
        await migrate_services(infra, region)

    asyncio.run(run())
