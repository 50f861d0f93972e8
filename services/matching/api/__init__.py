"""HTTP routes of the matching service, one module per resource."""

from fastapi import APIRouter

from services.matching.api import (
    candidates,
    housekeeping,
    inflow,
    opportunities,
    proposals,
    reports,
    saved_searches,
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
    saved_searches.router,
    inflow.router,
    housekeeping.router,
]

__all__ = ["routers"]
