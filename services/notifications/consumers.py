"""Which events the notifications service handles, per durable consumer."""

from services.notifications.handlers import forget_erased_participants, notify_coaches_of_registrations
from shared.bus.consumer import BatchHandler, Handler
from shared.events.contracts.intake import ParticipantErased, ParticipantRegistered

CONSUMERS: dict[str, dict[str, Handler]] = {
    "notifications-intake": {
        ParticipantRegistered.spec.key: BatchHandler(notify_coaches_of_registrations),
        ParticipantErased.spec.key: BatchHandler(forget_erased_participants),
    },
}
