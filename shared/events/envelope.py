"""The CloudEvents-style envelope and the base of every event's data.

An event type is a pydantic model derived from :class:`EventData` and registered with
:func:`event_type`, which names the producing service, the type (``entity.event``) and the
schema version. On the wire an event is the JSON of an :class:`Envelope` published on the
subject ``<region>.<service>.<entity>.<event>.v<N>``.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.catalogue import CATALOGUE, EventSpec


class EventData(BaseModel):
    """The payload of one event type. Carries pseudonymous ids only, never personal data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: ClassVar[EventSpec]


T = TypeVar("T", bound=type[EventData])
D = TypeVar("D", bound=EventData)


def event_type(service: str, name: str, version: int, summary: str, *, shared: bool = False) -> Callable[[T], T]:
    """Register an :class:`EventData` subclass as the contract of ``<service>.<name>.v<version>``.

    A ``shared`` event is for other regions: it goes to ``shared.<region>.<service>...`` (the
    SHARED stream, which other regions source through federation) and must be anonymised or
    aggregated so that no person can be singled out.
    """
    if name.count(".") != 1:
        raise ValueError(f"event name must be 'entity.event', not {name!r}")

    def register(cls: T) -> T:
        spec = EventSpec(service=service, name=name, version=version, summary=summary, model=cls, shared=shared)
        CATALOGUE.register(spec)
        cls.spec = spec
        return cls

    return register


class Envelope(BaseModel):
    """What travels on the bus: metadata around one event's data."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(description="Unique event id; also the JetStream Nats-Msg-Id and the inbox key")
    type: str = Field(description="'entity.event', e.g. 'participant.registered'")
    version: int = Field(ge=1, description="Schema version of data")
    source: str = Field(description="The producing service")
    region: str = Field(description="The region (deployment) that produced it")
    time: datetime
    subject: str = Field(description="Id of the entity the event is about (pseudonymous)")
    data: dict[str, Any]
    traceparent: str | None = Field(default=None, description="W3C trace context of the cause")

    @classmethod
    def wrap(cls, data: EventData, *, region: str, subject: str, traceparent: str | None = None) -> Envelope:
        """A new envelope around ``data``."""
        spec = data.spec
        return cls(
            id=uuid.uuid4(),
            type=spec.name,
            version=spec.version,
            source=spec.service,
            region=region,
            time=datetime.now(UTC),
            subject=subject,
            data=data.model_dump(mode="json"),
            traceparent=traceparent,
        )

    @property
    def nats_subject(self) -> str:
        """``<region>.<service>.<entity>.<event>.v<N>``, with ``shared.`` in front for a shared event."""
        spec = CATALOGUE.get(self.key)
        prefix = "shared." if spec is not None and spec.shared else ""
        return f"{prefix}{self.region}.{self.source}.{self.type}.v{self.version}"

    @property
    def key(self) -> str:
        """The catalogue key of this event's type."""
        return f"{self.source}.{self.type}.v{self.version}"

    def parse(self, model: builtins.type[D]) -> D:
        """The data as its contract model (validated)."""
        return model.model_validate(self.data)

    def to_bytes(self) -> bytes:
        """The wire form."""
        return self.model_dump_json().encode()
