"""SQL of the intake service, one module per topic (tables are found on the service role's search path).

Callers import the package and name the topic: ``db.participants.get_participant(conn, id)``.
"""

from services.intake.db import (
    accounts,
    audit,
    coaches,
    consents,
    employers,
    imports,
    participants,
    providers,
    statistics,
    timeline,
)
from services.intake.db.rows import Row

__all__ = [
    "Row",
    "accounts",
    "audit",
    "coaches",
    "consents",
    "employers",
    "imports",
    "participants",
    "providers",
    "statistics",
    "timeline",
]
