"""The caller's own notification preferences."""

from __future__ import annotations

from fastapi import APIRouter

from services.notifications import db, rendering
from services.notifications.api.schemas import AlwaysSent, PreferencesOut
from services.notifications.domain import DIGEST_AT, Preferences, always_sent
from services.notifications.handlers import preferences as handle
from services.notifications.handlers.commands import QuietHours, SetPreferences
from shared.auth import CurrentPrincipal
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["preferences"])


def _out(preferences: Preferences, language: rendering.Language) -> PreferencesOut:
    quiet = (
        QuietHours(start=preferences.quiet_from, end=preferences.quiet_until)
        if preferences.quiet_from is not None and preferences.quiet_until is not None
        else None
    )
    return PreferencesOut(
        opted_out={channel: sorted(categories) for channel, categories in preferences.opted_out.items()},
        email_digest=preferences.email_digest,
        quiet_hours=quiet,
        digest_at=DIGEST_AT.strftime("%H:%M"),
        always_sent=[
            AlwaysSent(event=event, audience=audience, why=rendering.reason(why, language))
            for event, audience, why in always_sent()
        ],
    )


async def _language(runtime: RuntimeDep, account: str) -> rendering.Language:
    async with runtime.pool.acquire() as conn:
        states = await db.recipients.account_states(conn, [account])
    return rendering.language_of(states.get(account, (True, None))[1])


@router.get("/preferences", response_model=PreferencesOut)
async def get_preferences(principal: CurrentPrincipal, runtime: RuntimeDep) -> PreferencesOut:
    """What the caller receives; an account that set nothing receives everything, at once."""
    async with runtime.pool.acquire() as conn:
        found = await db.preferences.of_accounts(conn, [principal.sub])
    return _out(found.get(principal.sub, Preferences()), await _language(runtime, principal.sub))


@router.put("/preferences", response_model=PreferencesOut)
async def put_preferences(
    body: SetPreferences, principal: CurrentPrincipal, runtime: RuntimeDep, uow: UnitOfWorkDep
) -> PreferencesOut:
    """Replace the caller's preferences (messages marked always-sent ignore opt-outs and the digest)."""
    saved = await handle.set_preferences(uow, principal, body)
    return _out(saved, await _language(runtime, principal.sub))
