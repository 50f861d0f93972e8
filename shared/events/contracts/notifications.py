"""Events published by the notifications service: what it tells about the platform itself.

They name consumers and counts, never a person or the content of a message.
"""

from __future__ import annotations

from pydantic import Field

from shared.events.envelope import EventData, event_type

SERVICE = "notifications"


class WaitingLetters(EventData):
    """Dead letters of one durable consumer."""

    consumer: str = Field(description="The durable consumer that gave up on them, e.g. notifications-vouchers")
    waiting: int = Field(ge=1)


@event_type(
    SERVICE,
    "dead_letters.waiting",
    1,
    "Dead letters wait for an operator (a summary when they first arrive, and when more have come since)",
)
class DeadLettersWaiting(EventData):
    """Events consumers gave up on wait in the dead-letter stream (``regionet dlq list``)."""

    stream: str = Field(default="DLQ", description="The stream they wait in")
    waiting: int = Field(ge=1, description="Dead letters waiting in the region, of every consumer")
    consumers: list[WaitingLetters]
