"""Free local ports for servers a test starts.

A port the kernel hands out with ``bind(0)`` lies in the range it also uses as the source port
of outgoing connections: between picking it and the server binding it (seconds, for initdb),
or between a server stopping and starting again on it, any connection on this shared machine
may take it ("address already in use"). Ports below that range are never taken by accident.
Every port handed out in this process is remembered, so two picks never collide either.
"""

from __future__ import annotations

import contextlib
import random
import socket
from pathlib import Path

_handed_out: set[int] = set()
_random = random.Random()


def _ephemeral_start() -> int:
    """Where the kernel starts picking ports for outgoing connections (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_run(count: int) -> int:
    """The first of ``count`` consecutive free ports below the ephemeral range, never handed out before."""
    for _ in range(500):
        base = _random.randrange(10_000, _ephemeral_start() - count)
        ports = set(range(base, base + count))
        if ports & _handed_out:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for port in sorted(ports):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        _handed_out.update(ports)
        return base
    raise RuntimeError(f"no {count} consecutive free ports found")


def free_port() -> int:
    """One free port below the ephemeral range, never handed out before in this process."""
    return free_port_run(1)
