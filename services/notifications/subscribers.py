"""The durable consumers of the notifications service and the events each one handles."""

from services.notifications.handlers import forget_erased_participants, notify_coaches_of_registrations
from shared.bus.consumer import BatchHandler, Subscriber
from shared.bus.topology import ConsumerSpec
from shared.events.contracts.intake import ParticipantErased, ParticipantRegistered

SUBSCRIBERS = (
    Subscriber(
        ConsumerSpec(
            service="notifications",
            durable="notifications-intake",
            stream="INTAKE",
            filter_subjects=("{region}.intake.participant.>",),
            description="Notifies coaches about their participants",
        ),
        handlers={
            ParticipantRegistered.spec.key: BatchHandler(notify_coaches_of_registrations),
            ParticipantErased.spec.key: BatchHandler(forget_erased_participants),
        },
    ),
)
