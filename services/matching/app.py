"""Wiring of the matching service."""

from services.matching import housekeeping
from services.matching.api import routers
from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="matching",
    title="Regionet matching",
    description="Explainable, capacity-aware matching of candidates with employers and learning places.",
    routers=routers,
    on_start=housekeeping.start,
)
