"""HTTP routes of the matching service, one module per resource."""

from fastapi import APIRouter

from services.matching.api import (
    candidates,
    housekeeping,
    opportunities,
    proposals,
    reports,
    suggestions,
    vocabulary,
)

routers: list[APIRouter] = [
    vocabulary.router,
    opportunities.router,
    candidates.router,
    suggestions.router,
    proposals.router,
    reports.router,
    housekeeping.router,
]

__all__ = ["routers"]
