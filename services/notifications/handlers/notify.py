"""Events in, notifications out: the feed entries and delivery intents an event's rules call for.

Everything an event causes is written in the consumer's transaction, together with its inbox
row: a feed entry per recipient, and a delivery intent per recipient and outgoing channel that
a sender (``sender.py``) works off afterwards. A batch is resolved with one query per audience,
not one per event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services.notifications import db, live, rendering
from services.notifications.db.recipients import Recipient
from services.notifications.domain import Audience, Channel, Preferences, Rule, rules_for
from shared.auth import Role
from shared.db import Connection
from shared.db.uow import UnitOfWork
from shared.events.envelope import Envelope

# An account that never set preferences wants everything, at once.
NO_PREFERENCES = Preferences()

# Audiences found through the party their accounts act for: the role, and the event field naming the party.
PARTIES: dict[Audience, tuple[Role, str]] = {
    Audience.PARTICIPANT: (Role.PARTICIPANT, "participant_id"),
    Audience.PROVIDER: (Role.PROVIDER, "provider_id"),
    Audience.EMPLOYER: (Role.EMPLOYER, "employer_id"),
}


@dataclass(frozen=True)
class _Match:
    event: Envelope
    rule: Rule


async def notify(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """Write the feed entries and delivery intents of a batch of events of one type."""
    matches = [_Match(e, rule) for e in events for rule in rules_for(e.key) if rule.applies_to(e.data)]
    if not matches:
        return
    recipients = await _recipients(uow.conn, matches)
    preferences = await db.preferences.of_accounts(uow.conn, [r.account for found in recipients for r in found])
    now = datetime.now(UTC)
    # Each event's data is stored with every entry and intent it causes: encoded once.
    payloads = {e.id: json.dumps(e.data) for e in events}
    entries: list[db.feed.NewNotification] = []
    intents: list[db.deliveries.NewDelivery] = []
    for match, found in zip(matches, recipients, strict=True):
        rule, event = match.rule, match.event
        for recipient in found:
            wanted = preferences.get(recipient.account, NO_PREFERENCES)
            if Channel.FEED in rule.channels and wanted.wants(rule, Channel.FEED):
                said = rendering.sentence(rule, event.data, rendering.language_of(recipient.language))
                entries.append(
                    db.feed.NewNotification(
                        recipient=recipient.account,
                        recipient_role=recipient.role,
                        kind=event.type,
                        subject_id=rule.subject_of(event.data),
                        event_id=event.id,
                        payload=payloads[event.id],
                        message=said,
                        link=rule.link_for(event.data),
                        category=rule.category.value,
                    )
                )
            if (
                Channel.EMAIL in rule.channels
                and recipient.role is Role.PARTICIPANT
                and wanted.wants(rule, Channel.EMAIL)
            ):
                intents.append(
                    db.deliveries.NewDelivery(
                        event_id=event.id,
                        event_key=event.key,
                        rule=rule.name,
                        channel=Channel.EMAIL.value,
                        recipient=recipient.account,
                        recipient_role=recipient.role.value,
                        party=recipient.party,
                        subject_id=rule.subject_of(event.data),
                        payload=payloads[event.id],
                        due_at=wanted.email_due(rule, now),
                        digest=wanted.digests(rule),
                    )
                )
    if entries:
        await db.feed.add_notifications(uow.conn, entries)
        live.announce_after_commit(uow, [(e.recipient, e.recipient_role.value) for e in entries])
    if intents:
        await db.deliveries.add_deliveries(uow.conn, intents)


async def _recipients(conn: Connection, matches: Sequence[_Match]) -> list[list[Recipient]]:
    """Each match's recipients, in order, looked up with one query per audience in the batch."""
    audiences = {m.rule.audience for m in matches}

    def named(audience: Audience, field: str) -> list[str]:
        return [str(m.event.data[field]) for m in matches if m.rule.audience is audience and m.event.data.get(field)]

    by_party: dict[Audience, dict[str, list[Recipient]]] = {}
    for audience, (role, field) in PARTIES.items():
        if audience in audiences:
            by_party[audience] = await db.recipients.accounts_acting_for(conn, role, named(audience, field))
    caseload: dict[uuid.UUID, str] = {}
    if Audience.CASELOAD_COACH in audiences:
        caseload = await db.recipients.coaches_of(
            conn, [uuid.UUID(p) for p in named(Audience.CASELOAD_COACH, "participant_id")]
        )
    coach_ids = named(Audience.COACH, "coach_id") + list(caseload.values())
    coaches = await db.recipients.coaches(conn, coach_ids) if coach_ids else {}
    officers = await db.recipients.programme_officers(conn) if Audience.PROGRAMME_OFFICERS in audiences else []

    found: list[list[Recipient]] = []
    for m in matches:
        audience, data = m.rule.audience, m.event.data
        if audience in PARTIES:
            found.append(by_party[audience].get(str(data.get(PARTIES[audience][1])), []))
        elif audience is Audience.COACH:
            coach = coaches.get(str(data.get("coach_id")))
            found.append([coach] if coach else [])
        elif audience is Audience.CASELOAD_COACH:
            coach_id = caseload.get(uuid.UUID(str(data["participant_id"])))
            coach = coaches.get(coach_id) if coach_id else None
            found.append([coach] if coach else [])
        else:
            found.append(officers)
    return found
