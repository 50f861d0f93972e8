"""Who may do what in vouchers, and whose applications and vouchers a caller sees."""

from __future__ import annotations

from typing import Annotated, Any

from shared.auth import Principal, Role, require_roles

# Who decides on applications and vouchers, and so reads officers' notes on the decisions.
DECIDERS = (Role.PROGRAMME_OFFICER, Role.ADMIN)
Officer = Annotated[Principal, require_roles(*DECIDERS)]
Provider = Annotated[Principal, require_roles(Role.PROVIDER)]

# Who may apply for a voucher: the participant, their coach, or an employer for an employee.
APPLICANT_ROLES = (Role.PARTICIPANT, Role.COACH, Role.EMPLOYER)


def may_see(principal: Principal, row: Any) -> bool:
    """Officers see every application; a participant their own; a provider's users vouchers for its courses; coaches
    and employers' users what they filed."""
    if principal.has(*DECIDERS):
        return True
    if principal.role is Role.PARTICIPANT:
        return str(row["participant_id"]) == principal.party
    if principal.role is Role.PROVIDER:
        return row["voucher_id"] is not None and str(row["provider_id"]) == principal.party
    return bool(row["submitted_by"] == principal.sub)
