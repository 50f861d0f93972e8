"""The catalogue of every event type, from which docs and AsyncAPI are generated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.events.envelope import EventData


@dataclass(frozen=True)
class EventSpec:
    """One registered event type."""

    service: str
    name: str
    version: int
    summary: str
    model: type[EventData]
    shared: bool = False  # published for other regions, on the SHARED stream

    @property
    def key(self) -> str:
        """``<service>.<entity>.<event>.v<N>``."""
        return f"{self.service}.{self.name}.v{self.version}"

    def subject(self, region: str) -> str:
        """The NATS subject of this event in ``region``: ``shared.<region>.<key>`` for a shared event."""
        return f"shared.{region}.{self.key}" if self.shared else f"{region}.{self.key}"

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the event's data."""
        return self.model.model_json_schema()


class Catalogue:
    """All event types known to this code base."""

    def __init__(self) -> None:
        self._specs: dict[str, EventSpec] = {}

    def register(self, spec: EventSpec) -> None:
        """Add an event type; a second registration of the same key is a programming error."""
        if spec.key in self._specs and self._specs[spec.key].model is not spec.model:
            raise ValueError(f"event type {spec.key} is registered twice")
        self._specs[spec.key] = spec

    def get(self, key: str) -> EventSpec | None:
        """The spec of ``<service>.<entity>.<event>.v<N>``, if known."""
        return self._specs.get(key)

    def all(self) -> list[EventSpec]:
        """Every event type, sorted by key."""
        return [self._specs[k] for k in sorted(self._specs)]

    def of_service(self, service: str) -> list[EventSpec]:
        """The event types a service publishes."""
        return [s for s in self.all() if s.service == service]


CATALOGUE = Catalogue()
