"""Wiring of the vouchers service."""

from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="vouchers",
    title="Regionet vouchers",
    description="Training vouchers paid from limited programme budgets, allocated fairly, with a ledger of every cent.",
)
