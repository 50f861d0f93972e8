"""Inspecting and replaying dead letters (``regionet dlq list|replay``).

A replay publishes the original event again on its original subject under a new message id
and removes it from the dead-letter stream. Other consumers of that subject see the event id
in their inbox and acknowledge it without effect; the consumer that gave up handles it anew.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.bus.consumer import H_ATTEMPTS, H_CONSUMER, H_ERROR, H_EVENT_ID, H_ORIGINAL_SUBJECT

DLQ_STREAM = "DLQ"


@dataclass(frozen=True)
class DeadLetter:
    """One message a consumer gave up on."""

    sequence: int
    consumer: str
    original_subject: str
    event_id: str
    attempts: int
    error: str
    data: bytes


async def list_dead_letters(js: JetStreamContext, *, consumer: str | None = None) -> list[DeadLetter]:
    """Every dead letter still in the stream, oldest first (optionally of one consumer)."""
    info = await js.stream_info(DLQ_STREAM)
    found: list[DeadLetter] = []
    if info.state.messages == 0:
        return found
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            raw = await js.get_msg(DLQ_STREAM, seq)
        except NotFoundError:
            continue  # replayed and deleted
        headers = raw.headers or {}
        letter = DeadLetter(
            sequence=seq,
            consumer=headers.get(H_CONSUMER, ""),
            original_subject=headers.get(H_ORIGINAL_SUBJECT, ""),
            event_id=headers.get(H_EVENT_ID, ""),
            attempts=int(headers.get(H_ATTEMPTS, "0") or 0),
            error=headers.get(H_ERROR, ""),
            data=raw.data or b"",
        )
        if consumer is None or letter.consumer == consumer:
            found.append(letter)
    return found


class ReplayError(RuntimeError):
    """A dead letter cannot be replayed."""


async def replay(js: JetStreamContext, sequence: int) -> DeadLetter:
    """Publish dead letter ``sequence`` again on its original subject, then delete it."""
    letters = {d.sequence: d for d in await list_dead_letters(js)}
    letter = letters.get(sequence)
    if letter is None:
        raise ReplayError(f"there is no dead letter with sequence {sequence}; 'regionet dlq list' shows them")
    if not letter.original_subject:
        raise ReplayError(f"dead letter {sequence} does not say where it came from; it cannot be replayed")
    await js.publish(
        letter.original_subject,
        letter.data,
        headers={"Nats-Msg-Id": f"replay:{sequence}:{letter.event_id}"},
    )
    await js.delete_msg(DLQ_STREAM, sequence)
    return letter
