"""Wiring of the matching service: its API, its housekeeping and the web UI."""

from services.matching import housekeeping
from services.matching.api import routers
from services.matching.web.routes import routers as web
from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="matching",
    title="Regionet matching",
    description="Explainable, capacity-aware matching of candidates with employers and learning places.",
    routers=[*routers, *web],
    on_start=housekeeping.start,
)
