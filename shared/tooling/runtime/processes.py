"""Small process, port and log helpers shared by the embedded servers and the supervisor."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path

LOCALHOST = "127.0.0.1"


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (zombies of our own children count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # It exists but belongs to another user (e.g. postgres running as embedded_postgres).
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            # A zombie has exited; only its parent has not collected it yet.
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    return True


def pid_runs(pid: int, *needles: str) -> bool:
    """True when ``pid`` is alive and its command line contains every one of ``needles``.

    Guards against pid reuse: a pid recorded in a file may belong to an unrelated process
    after a reboot. Where ``/proc`` is missing (macOS) only liveness is checked.
    """
    if not pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return True
    try:
        command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return all(needle in command for needle in needles)


def port_in_use(port: int, host: str = LOCALHOST) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def terminate(pid: int, timeout: float = 15.0) -> bool:
    """Send SIGTERM, wait up to ``timeout`` seconds, then SIGKILL. False if it was not running."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):  # it may exit on its own at the last moment
        os.kill(pid, signal.SIGKILL)
    return True


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file, or a note that it does not exist."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover temp file from a crash may have kept another mode
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
