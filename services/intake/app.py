"""Wiring of the intake service."""

from services.intake.api import routers
from services.intake.contact import serve_contact_requests
from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="intake",
    title="Regionet intake",
    description=(
        "Where every participant, employer, provider and coach enters Regionet; the only service with personal data."
    ),
    routers=routers,
    on_start=serve_contact_requests,
)
