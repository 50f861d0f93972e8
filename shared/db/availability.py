"""What it looks like when the database cannot be reached, as opposed to a bug or a refused change.

A request that meets one of these gets ``503 Service Unavailable`` with ``Retry-After`` (the
client may send it again: nothing was committed), and an event consumer that meets one leaves
its batch to be redelivered without counting it against the event (an outage must never send
events to the dead-letter stream).
"""

from __future__ import annotations

import asyncpg

DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    # Refused or reset connections, and TimeoutError: a connect or statement that took longer
    # than the settings allow (a frozen or overloaded server).
    OSError,
    # A connection that closed under the caller, or was used after it closed.
    asyncpg.InterfaceError,
    # "the database system is starting up / shutting down", "too many connections", an
    # administrator's shutdown or a cancelled statement.
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.OperatorInterventionError,
)

# How long a client should wait before sending the request again.
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the database could not be reached in time."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DATABASE_UNAVAILABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
