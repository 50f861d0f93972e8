"""The registry of Regionet services: names, default ports and entry modules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its name (also its schema, NATS user and subject token) and default port."""

    name: str
    default_port: int

    @property
    def module(self) -> str:
        """The module that `python -m` runs to start this service."""
        return f"services.{self.name}"

    @property
    def db_role(self) -> str:
        """The Postgres login role that owns this service's schema."""
        return f"regionet_{self.name}"


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("intake", 8001),
        ServiceSpec("vouchers", 8002),
        ServiceSpec("matching", 8003),
        ServiceSpec("notifications", 8004),
    )
}
