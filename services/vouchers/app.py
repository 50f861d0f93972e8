"""Wiring of the vouchers service."""

from services.vouchers import housekeeping
from services.vouchers.api import hot_routes, routers
from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="vouchers",
    title="Regionet vouchers",
    description="Training vouchers paid from limited programme budgets, allocated fairly, with a ledger of every cent.",
    routers=routers,
    on_start=housekeeping.start,
    hot_routes=hot_routes,
)
