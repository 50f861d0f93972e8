"""Which events the notifications service handles, per durable consumer."""

from services.notifications.handlers import notify_coaches_of_registrations
from shared.bus.consumer import BatchHandler, Handler
from shared.events.contracts.intake import ParticipantRegistered

CONSUMERS: dict[str, dict[str, Handler]] = {
    "notifications-intake": {ParticipantRegistered.spec.key: BatchHandler(notify_coaches_of_registrations)},
}
