"""HTTP routes of the vouchers service, one module per resource."""

from fastapi import APIRouter

from services.vouchers.api import (
    allocation,
    applications,
    budgets,
    filing,
    ledger,
    programmes,
    sharing,
    signals,
    vouchers,
)
from shared.hot import HotRoute

routers: list[APIRouter] = [
    programmes.router,
    budgets.router,
    ledger.router,
    sharing.router,
    signals.router,
    allocation.router,
    applications.router,
    vouchers.router,
]

hot_routes: list[HotRoute] = [filing.APPLY]

__all__ = ["hot_routes", "routers"]
