"""HTTP routes of the matching service, one module per resource."""

from fastapi import APIRouter

from services.matching.api import candidates, opportunities, proposals, suggestions, vocabulary

routers: list[APIRouter] = [
    vocabulary.router,
    opportunities.router,
    candidates.router,
    suggestions.router,
    proposals.router,
]

__all__ = ["routers"]
