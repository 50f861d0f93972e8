"""Wiring of the intake service."""

from services.intake.api import routers
from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="intake",
    title="Regionet intake",
    description=(
        "Where every participant, employer, provider and coach enters Regionet; the only service with personal data."
    ),
    routers=routers,
)
