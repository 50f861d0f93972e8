"""Who may see and do what in matching.

- Employers manage their own opportunities (owner = the employer their account acts for,
  ``principal.party``); coaches, programme officers and administrators may manage any, on an
  employer's behalf.
- A coach sees their own caseload's candidates (intake's ``coach_id`` is the coach's party, their
  own account id), and their part of a kept plan; administrators see every candidate; programme
  officers see aggregates (plan, fairness) and set the nightly plan's policy.
- An employer sees candidates only as anonymous profiles, and a participant's id only once the
  participant shares their profile with that employer (``employer_links``: an employee, or
  consent to share).
- A participant sees only their own proposals (their account's party is intake's participant
  id, which is the candidate's id here), and of those only what concerns them, not the coach's
  working material.
Someone else's candidate, opportunity or proposal is reported as not found, so nobody learns
what exists outside their reach.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends

from shared.auth import Principal, Role, require_roles
from shared.errors import Forbidden, NotFound

STAFF = (Role.COACH, Role.PROGRAMME_OFFICER, Role.ADMIN)
OWNERS = (Role.EMPLOYER, *STAFF)

CoachOrAdmin = Annotated[Principal, require_roles(Role.COACH, Role.ADMIN)]
Officer = Annotated[Principal, require_roles(Role.PROGRAMME_OFFICER, Role.ADMIN)]
Admin = Annotated[Principal, require_roles(Role.ADMIN)]
Participant = Annotated[Principal, require_roles(Role.PARTICIPANT)]
# Who reads kept plans: officers and administrators all of it, a coach their own caseload's part.
PlanReader = Annotated[Principal, require_roles(*STAFF)]


def employer_of(principal: Principal) -> uuid.UUID:
    """The employer an employer's account acts for; 403 when the account names none."""
    try:
        return uuid.UUID(principal.party or "")
    except ValueError:
        raise Forbidden("your account is not linked to an employer; ask an administrator") from None


def caseload_of(principal: Principal) -> str:
    """A coach's party, the id intake's events name the coach by (``coach_id``)."""
    if principal.party is None:
        raise Forbidden("your account acts for nobody; ask an administrator")
    return principal.party


def _with_employer(*roles: Role) -> Any:
    """A dependency: the caller holds one of ``roles``, and an employer's account names its employer (else 403)."""

    caller = require_roles(*roles)

    async def check(principal: Principal = caller) -> Principal:
        if principal.role is Role.EMPLOYER:
            employer_of(principal)
        return principal

    return Depends(check)


Owner = Annotated[Principal, _with_employer(*OWNERS)]
FlowParty = Annotated[Principal, _with_employer(Role.EMPLOYER, Role.COACH, Role.ADMIN)]


def may_manage(principal: Principal, employer_id: uuid.UUID) -> bool:
    """True when the caller may change an opportunity of ``employer_id`` (staff on the employer's behalf)."""
    if principal.role is Role.EMPLOYER:
        return employer_of(principal) == employer_id
    return principal.has(*STAFF)


def reachable_opportunity(principal: Principal, row: Any) -> Any:
    """The opportunity when the caller may see it; 404 otherwise."""
    if row is None or not may_manage(principal, row["employer_id"]):
        raise NotFound("There is no such opportunity that you may see; list yours with GET /opportunities.")
    return row


def may_see_candidate(principal: Principal, row: Any) -> bool:
    """A coach their own caseload; an administrator everyone."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.COACH and bool(row["coach_id"] == principal.party)


def reachable_candidate(principal: Principal, row: Any) -> Any:
    """The candidate when the caller may see them; 404 otherwise."""
    if row is None or not may_see_candidate(principal, row):
        raise NotFound("There is no such candidate in your caseload.")
    return row


def may_see_proposal(principal: Principal, row: Any) -> bool:
    """The employer it is for, the candidate's coach, officers and administrators."""
    if principal.has(Role.ADMIN, Role.PROGRAMME_OFFICER):
        return True
    if principal.role is Role.EMPLOYER:
        return bool(employer_of(principal) == row["employer_id"])
    return principal.role is Role.COACH and bool(row["coach_id"] == principal.party)


def reachable_proposal(principal: Principal, row: Any) -> Any:
    """The proposal when the caller may see it; 404 otherwise."""
    if row is None or not may_see_proposal(principal, row):
        raise NotFound("There is no such proposal that you may see; list yours with GET /proposals.")
    return row
