"""Wiring of the matching service."""

from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="matching",
    title="Regionet matching",
    description="Explainable, capacity-aware matching of candidates with employers and learning places.",
)
