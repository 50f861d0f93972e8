"""Wiring of the vouchers service."""

from services.vouchers import db
from services.vouchers.api import router
from services.vouchers.consumers import CONSUMERS
from services.vouchers.handlers import announce_thresholds
from shared.service import Runtime, ServiceDefinition


async def catch_up_thresholds(runtime: Runtime) -> None:
    """Announce any 80/90/100% threshold whose announcement a crash interrupted."""
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch("SELECT programme_id, code FROM categories")
    for row in rows:
        async with runtime.uow() as uow:
            money = await db.lock_category(uow.conn, row["programme_id"], row["code"])
            if money is not None:
                await announce_thresholds(uow, row["programme_id"], row["code"], money)
            await uow.commit()


definition = ServiceDefinition(
    name="vouchers",
    title="Regionet vouchers",
    description="Training vouchers paid from limited programme budgets, allocated fairly, with a ledger of every cent.",
    routers=[router],
    consumers=CONSUMERS,
    on_start=catch_up_thresholds,
)
