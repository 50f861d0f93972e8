"""HTTP routes of the intake service, one module per resource."""

from fastapi import APIRouter

from services.intake.api import accounts, coaches, imports, organisations, participants, self_service, statistics

# The participant's own routes come first: /participants/me must not be read as an id.
routers: list[APIRouter] = [
    self_service.router,
    accounts.router,
    participants.router,
    coaches.router,
    organisations.router,
    imports.router,
    statistics.router,
]
