"""Idempotent event consumers on FastStream: a batch pull subscriber bound to the topology's durable.

The same contract as :class:`shared.bus.consumer.EventConsumer` (same inbox transaction,
retries, back-off and dead letters, shared through :class:`~shared.bus.consumer.InboxBatches`);
only the fetching is FastStream's: ``PullSub(batch=True)`` with manual acknowledgement, so
FastStream never acks, naks or terminates a message itself. The stream is bound with
``declare=False`` and the durable must already exist (declared by ``shared.bus.topology``):
the consumer waits for it instead of letting FastStream create one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

import asyncpg
import nats.errors
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.security import BaseSecurity
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.bus.consumer import ConsumerConfig, Handler, InboxBatches
from shared.bus.topology import ConsumerSpec
from shared.events.envelope import Envelope

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


async def _raw_batch(message: StreamMessage[list[Msg]]) -> list[Msg]:
    """The fetched nats-py messages as they are: the envelopes are decoded (once) by the handling."""
    return message.raw_message


class FastStreamConsumer(InboxBatches):
    """Runs one durable pull consumer of one service against its handlers, fetching with FastStream."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        spec: ConsumerSpec,
        region: str,
        handlers: Mapping[str, Handler],
        servers: str | Sequence[str],
        security: BaseSecurity | None = None,
        inbox_prefix: str = "_INBOX",
        config: ConsumerConfig | None = None,
        on_committed: Callable[[Sequence[Envelope]], None] | None = None,
    ) -> None:
        """As :class:`~shared.bus.consumer.EventConsumer`; FastStream opens its own connection.

        ``js`` is used to check that the durable exists and to publish dead letters;
        ``servers``, ``security`` and ``inbox_prefix`` are the service's NATS connection
        settings for FastStream's broker.
        """
        super().__init__(
            pool=pool, js=js, spec=spec, region=region, handlers=handlers, config=config, on_committed=on_committed
        )
        self._broker = NatsBroker(
            servers,
            security=security,
            name=f"regionet-{spec.service}-{spec.durable}",
            inbox_prefix=inbox_prefix,
            max_reconnect_attempts=-1,
            apply_types=False,
            logger=log,
            # One line per batch received and processed: debug detail, not worth a formatted INFO record.
            log_level=logging.DEBUG,
        )
        cfg = self._config
        subscriber = self._broker.subscriber(
            # Used only to create a missing consumer, which run() never lets happen.
            config=spec.config(region),
            stream=JStream(spec.stream, declare=False),
            durable=spec.durable,
            pull_sub=PullSub(batch_size=cfg.batch_size, timeout=cfg.fetch_timeout, batch=True),
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_batch,
            inbox_prefix=f"{inbox_prefix}.".encode(),
            include_in_schema=False,
        )
        subscriber(self.handle_fetched)

    async def run(self, stop: asyncio.Event) -> None:
        """Handle batches until ``stop`` is set; waits for the durable and for NATS if they are missing."""
        while not stop.is_set():
            try:
                await self._js.consumer_info(self.spec.stream, self.spec.durable)
                await self._broker.start()
                break
            except NotFoundError:
                log.warning("durable consumer not declared yet; waiting", extra={"consumer": self._name})
            except (nats.errors.Error, OSError) as exc:
                log.warning("cannot start; retrying", extra={"consumer": self._name, "error": repr(exc)})
            await asyncio.sleep(RETRY_SECONDS)
        try:
            await stop.wait()
        finally:
            # Waits for the batch in hand; a fetch cut short is not acked and comes back after ack_wait.
            await self._broker.stop()
