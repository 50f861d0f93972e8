"""Wiring of the matching service: the web UI's sign-in so far; the engine's API comes next.

What comes, and which folder of the common skeleton each part goes into, is in services/README.md.
"""

from services.matching.web.pages import router as web
from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="matching",
    title="Regionet matching",
    description="Explainable, capacity-aware matching of candidates with employers and learning places.",
    routers=[web],
)
