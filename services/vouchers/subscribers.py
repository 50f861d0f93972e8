"""Event handlers of the vouchers service, and the durable consumers that feed them.

They keep vouchers' read model of intake: who may apply for what, and what officers' signals
group by. Only coarse, non-personal attributes arrive (situation, age group, declared target
groups, coach, employer size, provider, course price). On erasure the money trail stays,
re-keyed to a fresh pseudonym that links to nothing.
"""

from __future__ import annotations

from services.vouchers.db.applications import open_applications_of
from services.vouchers.db.read_model import (
    erase_participant,
    forget_target_groups,
    lock_participant,
    set_participant_field,
    upsert_course,
    upsert_employer,
    upsert_participant,
    upsert_provider,
)
from services.vouchers.handlers.decisions import cancel
from shared.accounts import registry_subscriber
from shared.bus.consumer import Subscriber
from shared.bus.topology import ConsumerSpec
from shared.db.uow import UnitOfWork
from shared.events.contracts.intake import (
    ConsentPurpose,
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
from shared.events.envelope import Envelope


async def on_participant_profile(uow: UnitOfWork, event: Envelope) -> None:
    """participant.registered / participant.updated: keep the current profile."""
    model = ParticipantRegistered if event.type == "participant.registered" else ParticipantUpdated
    data = event.parse(model)
    await upsert_participant(
        uow.conn,
        data.participant_id,
        situation=data.situation.value,
        age_group=data.age_group.value,
        target_groups=sorted(g.value for g in data.target_groups),
        coach_id=data.coach_id,
    )


async def on_situation_changed(uow: UnitOfWork, event: Envelope) -> None:
    """A new situation changes which categories the participant may apply in."""
    data = event.parse(ParticipantSituationChanged)
    await set_participant_field(uow.conn, data.participant_id, "situation", data.situation.value)


async def on_coach_assigned(uow: UnitOfWork, event: Envelope) -> None:
    """The new coach may apply on the participant's behalf."""
    data = event.parse(ParticipantCoachAssigned)
    await set_participant_field(uow.conn, data.participant_id, "coach_id", data.coach_id)


async def on_consent_withdrawn(uow: UnitOfWork, event: Envelope) -> None:
    """Without reporting consent, declared target groups are no longer used (quotas, signals).

    They go from the read model and from the person's applications too: signals count them,
    and an application waiting for the draw would still count for a quota. A draw already
    published keeps what it published (re-running it must give the same result).
    """
    data = event.parse(ParticipantConsentWithdrawn)
    if data.purpose in (ConsentPurpose.ANONYMOUS_REPORTING, ConsentPurpose.MATCHING):
        await forget_target_groups(uow.conn, data.participant_id)


async def on_participant_erased(uow: UnitOfWork, event: Envelope) -> None:
    """Withdraw the person's open applications, then keep every cent's trail and cut every link to them.

    A waiting or undrawn application of someone who left could never be checked for
    eligibility again, so it would sit in the queue for good; it is cancelled instead (no money
    was reserved for it). Issued vouchers stay: the course may be under way, and the provider
    can still claim for it.
    """
    data = event.parse(ParticipantErased)
    # First: a filing of this person that is in flight commits before we look (and is
    # anonymised with the rest); one that comes later finds them gone.
    await lock_participant(uow.conn, data.participant_id)
    for application_id in await open_applications_of(uow.conn, data.participant_id):
        await cancel(uow, application_id, by_role="erasure", actor="erasure", now=event.time)
    await erase_participant(uow.conn, data.participant_id)


async def on_employer(uow: UnitOfWork, event: Envelope) -> None:
    """employer.registered / employer.updated: size class (MKB or large) and sector."""
    model = EmployerRegistered if event.type == "employer.registered" else EmployerUpdated
    data = event.parse(model)
    await upsert_employer(uow.conn, data.employer_id, size_class=data.size_class.value, sector=data.sector)


async def on_provider_registered(uow: UnitOfWork, event: Envelope) -> None:
    """A provider whose courses vouchers may pay for."""
    data = event.parse(ProviderRegistered)
    await upsert_provider(uow.conn, data.provider_id, accredited=data.accredited)


async def on_course_published(uow: UnitOfWork, event: Envelope) -> None:
    """A course and its price: the most a voucher for it may be."""
    data = event.parse(CoursePublished)
    await upsert_course(
        uow.conn, data.course_id, provider_id=data.provider_id, title=data.title, price_cents=data.price_cents
    )


SUBSCRIBERS = (
    registry_subscriber("vouchers"),
    Subscriber(
        ConsumerSpec(
            service="vouchers",
            durable="vouchers-intake",
            stream="INTAKE",
            filter_subjects=("{region}.intake.>",),
            description="Keeps the vouchers read model of participants, employers, providers and courses",
        ),
        handlers={
            ParticipantRegistered.spec.key: on_participant_profile,
            ParticipantUpdated.spec.key: on_participant_profile,
            ParticipantSituationChanged.spec.key: on_situation_changed,
            ParticipantCoachAssigned.spec.key: on_coach_assigned,
            ParticipantConsentWithdrawn.spec.key: on_consent_withdrawn,
            ParticipantErased.spec.key: on_participant_erased,
            EmployerRegistered.spec.key: on_employer,
            EmployerUpdated.spec.key: on_employer,
            ProviderRegistered.spec.key: on_provider_registered,
            CoursePublished.spec.key: on_course_published,
        },
    ),
)
