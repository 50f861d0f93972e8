"""Wiring of the matching service: a stub so far, with no routes, consumers or tables of its own.

What comes, and which folder of the common skeleton each part goes into, is in services/README.md.
"""

from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="matching",
    title="Regionet matching",
    description="Explainable, capacity-aware matching of candidates with employers and learning places.",
)
