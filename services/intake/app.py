"""Wiring of the intake service."""

from services.intake.api import routers
from services.intake.handlers.accounts import ensure_first_admin
from services.intake.shredding import open_vault
from shared.service import Runtime, ServiceDefinition


async def make_first_admin(runtime: Runtime) -> None:
    """With ``REGIONET_FIRST_ADMIN`` set and no active administrator, that subject becomes one.

    Someone has to invite the first coach: on a new deployment this is the operator's own sign-in.
    """
    subject = runtime.settings.first_admin
    if subject is None:
        return
    async with runtime.uow() as uow:
        if await ensure_first_admin(uow, subject):
            await uow.commit()


async def start(runtime: Runtime) -> None:
    """Open the vault of personal data (refusing a wrong key), then make the first administrator."""
    await open_vault(runtime)
    await make_first_admin(runtime)


definition = ServiceDefinition(
    name="intake",
    title="Regionet intake",
    description=(
        "Where every participant, employer, provider and coach enters Regionet; the only service with personal data."
        " It also owns the accounts registry: who may sign in, as whom."
    ),
    routers=routers,
    on_start=start,
)
