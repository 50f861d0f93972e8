"""Which events the notifications service handles, per durable consumer."""

from services.notifications.handlers import on_participant_registered
from shared.bus.consumer import Handler
from shared.events.contracts.intake import ParticipantRegistered

CONSUMERS: dict[str, dict[str, Handler]] = {
    "notifications-intake": {ParticipantRegistered.spec.key: on_participant_registered},
}
