"""The registry of Regionet services: names, default ports and where their parts live.

The platform library and the operator's tooling find a service's parts here, by module path,
and never import a service by name: its app (``services.<name>.app``), its durable consumers
and request–reply operations (``services.<name>.subscribers``), and, where it has them, its
CLI subcommands (``services.<name>.cli``) and demo loader (``services.<name>.demo``); and its
migrations (``services/<name>/migrations/``).

The operator's tooling (:mod:`shared.tooling`) relies on two conventions:

- ``services/<name>/cli.py`` defines ``app: typer.Typer``, a command group of ``regionet``
  (named by the ``Typer``'s own name, else by the service's);
- ``services/<name>/demo.py`` defines ``request_count(demo) -> int`` and
  ``async load(demo, api) -> None``, its part of ``regionet demo``
  (see :mod:`shared.tooling.demo.loader`).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.bus.consumer import Subscriber
    from shared.bus.rpc import Responder


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

    @property
    def migrations_dir(self) -> Path:
        """Where the service keeps its numbered SQL migrations."""
        return Path(str(resources.files(self.module) / "migrations"))

    def part(self, name: str) -> ModuleType | None:
        """The service's module ``name`` (``app``, ``subscribers``, ``cli``, ``demo``), or None if it has none."""
        qualified = f"{self.module}.{name}"
        if importlib.util.find_spec(qualified) is None:
            return None
        return importlib.import_module(qualified)


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("intake", 8001),
        ServiceSpec("vouchers", 8002),
        ServiceSpec("matching", 8003),
        ServiceSpec("notifications", 8004),
    )
}


@cache
def service_subscribers(name: str) -> tuple[Subscriber, ...]:
    """The durable consumers a service declares in its ``subscribers`` module (``SUBSCRIBERS``)."""
    module = SERVICES[name].part("subscribers")
    subscribers: tuple[Subscriber, ...] = tuple(getattr(module, "SUBSCRIBERS", ()))
    return subscribers


@cache
def service_responders(name: str) -> tuple[Responder, ...]:
    """The request–reply operations a service answers, from its ``subscribers`` module (``RESPONDERS``)."""
    module = SERVICES[name].part("subscribers")
    responders: tuple[Responder, ...] = tuple(getattr(module, "RESPONDERS", ()))
    return responders
