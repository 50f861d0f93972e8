"""The one declaration of JetStream streams, durable consumers and NATS permissions.

Services never declare streams themselves: ``regionet up`` (embedded) and ``regionet
provision`` (production) apply this declaration with an admin connection, and the NATS
server configuration grants each service's user exactly the subjects listed here.

Subjects:
- events: ``<region>.<service>.<entity>.<event>.v<N>``, captured by the service's stream;
- dead letters: ``<region>.dlq.<service>.<durable>``, captured by ``DLQ``;
- shared (anonymised, for other regions): ``shared.<region>.<service>.<entity>.<event>.v<N>``;
- request–reply between services: ``rpc.<region>.<service>.<operation>`` (never stored);
- live updates between a service's own replicas: ``live.<region>.<service>.…`` (core NATS,
  never stored: a replica tells the others that something changed, they read what from Postgres).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from shared.bus.rpc import RpcSpec, inbox_prefix
from shared.services import SERVICES, service_responders, service_subscribers

# Outbox leases are 30 s; the duplicate window must outlast a lease so that a row published
# by a relay that died before marking it is dropped by the stream when it is published again.
DUPLICATE_WINDOW_SECONDS = 600.0
ACK_WAIT_SECONDS = 30.0
MAX_ACK_PENDING = 2000


@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream and the subjects it captures (``{region}`` is filled in)."""

    name: str
    subjects: tuple[str, ...]
    description: str

    def config(self, region: str, replicas: int = 1) -> StreamConfig:
        """The stream's configuration for one region."""
        return StreamConfig(
            name=self.name,
            description=self.description,
            subjects=[s.format(region=region) for s in self.subjects],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            num_replicas=replicas,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer owned by one service."""

    service: str
    durable: str
    stream: str
    filter_subjects: tuple[str, ...]
    description: str = ""

    def subjects(self, region: str) -> list[str]:
        """The filter subjects for one region."""
        return [s.format(region=region) for s in self.filter_subjects]

    def config(self, region: str) -> ConsumerConfig:
        """The consumer's configuration; retries and dead-lettering are the runner's job."""
        subjects = self.subjects(region)
        return ConsumerConfig(
            durable_name=self.durable,
            description=self.description or None,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=-1,
            max_ack_pending=MAX_ACK_PENDING,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
            filter_subjects=subjects if len(subjects) > 1 else None,
        )


STREAMS: tuple[StreamSpec, ...] = (
    *tuple(
        StreamSpec(
            name=name.upper(), subjects=(f"{{region}}.{name}.>",), description=f"Events published by the {name} service"
        )
        for name in SERVICES
    ),
    StreamSpec("DLQ", ("{region}.dlq.>",), "Messages a consumer gave up on, with the error"),
    StreamSpec("SHARED", ("shared.{region}.>",), "Anonymised events other regions may subscribe to"),
)


def declared_consumers() -> tuple[ConsumerSpec, ...]:
    """Every durable consumer of the region, collected from the services' ``subscribers`` modules.

    Each service declares its own consumers (stream, filter subjects, handlers) next to its
    event handlers; the registry says where to find them, so nothing here names a service.
    """
    return tuple(subscriber.spec for name in SERVICES for subscriber in service_subscribers(name))


def consumers_of(service: str) -> list[ConsumerSpec]:
    """The durable consumers a service runs."""
    return [c for c in declared_consumers() if c.service == service]


def consumer_spec(durable: str) -> ConsumerSpec:
    """The declaration of one durable consumer, by name."""
    declared = declared_consumers()
    for spec in declared:
        if spec.durable == durable:
            return spec
    raise KeyError(f"no consumer named {durable!r}; declared: {', '.join(c.durable for c in declared)}")


def dlq_subject(region: str, service: str, durable: str) -> str:
    """Where a consumer's dead letters go."""
    return f"{region}.dlq.{service}.{durable}"


def declared_rpcs() -> tuple[RpcSpec, ...]:
    """Every request–reply operation of the region, collected from the services that answer them."""
    return tuple(responder.spec for name in SERVICES for responder in service_responders(name))


@dataclass(frozen=True)
class Permissions:
    """NATS publish/subscribe permissions of one service user."""

    publish: list[str] = field(default_factory=list)
    subscribe: list[str] = field(default_factory=list)


def service_permissions(service: str, region: str) -> Permissions:
    """The least a service's NATS user needs: its own subjects, its consumers, its inbox, the RPCs it may call."""
    durables = consumers_of(service)
    publish = [
        f"{region}.{service}.>",
        f"{region}.dlq.{service}.>",
        f"shared.{region}.{service}.>",
        f"live.{region}.{service}.>",
        "$JS.API.INFO",
        "$JS.API.STREAM.INFO.*",
    ]
    for c in durables:
        publish += [
            f"$JS.API.CONSUMER.INFO.{c.stream}.{c.durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.{c.stream}.{c.durable}",
            f"$JS.ACK.{c.stream}.{c.durable}.>",
        ]
    publish += [rpc.subject(region) for rpc in declared_rpcs() if service in rpc.callers]
    subscribe = [f"{inbox_prefix(service)}.>", f"rpc.{region}.{service}.>", f"live.{region}.{service}.>"]
    return Permissions(publish=publish, subscribe=subscribe)


async def declare_topology(js: JetStreamContext, region: str, replicas: int = 1) -> None:
    """Create or update every stream and durable consumer of a region (idempotent)."""
    for stream in STREAMS:
        config = stream.config(region, replicas)
        try:
            await js.stream_info(stream.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
    for consumer in declared_consumers():
        await js.add_consumer(consumer.stream, consumer.config(region))
