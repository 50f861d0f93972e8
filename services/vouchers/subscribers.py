"""The durable consumers of the vouchers service and the events each one handles."""

from services.vouchers import read_model
from shared.bus.consumer import Subscriber
from shared.bus.topology import ConsumerSpec
from shared.events.contracts.intake import (
    CoursePublished,
    EmployerRegistered,
    EmployerUpdated,
    ParticipantCoachAssigned,
    ParticipantConsentWithdrawn,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantSituationChanged,
    ParticipantUpdated,
    ProviderRegistered,
)

SUBSCRIBERS = (
    Subscriber(
        ConsumerSpec(
            service="vouchers",
            durable="vouchers-intake",
            stream="INTAKE",
            filter_subjects=("{region}.intake.>",),
            description="Keeps the vouchers read model of participants, employers, providers and courses",
        ),
        handlers={
            ParticipantRegistered.spec.key: read_model.on_participant_profile,
            ParticipantUpdated.spec.key: read_model.on_participant_profile,
            ParticipantSituationChanged.spec.key: read_model.on_situation_changed,
            ParticipantCoachAssigned.spec.key: read_model.on_coach_assigned,
            ParticipantConsentWithdrawn.spec.key: read_model.on_consent_withdrawn,
            ParticipantErased.spec.key: read_model.on_participant_erased,
            EmployerRegistered.spec.key: read_model.on_employer,
            EmployerUpdated.spec.key: read_model.on_employer,
            ProviderRegistered.spec.key: read_model.on_provider_registered,
            CoursePublished.spec.key: read_model.on_course_published,
        },
    ),
)
