"""Event handlers of the matching service, and the durable consumers that feed them (with the copy
of the accounts registry and employer links every service keeps: ``shared.accounts``).

They keep matching's candidates (intake's non-personal profile of each participant: situation,
age group, postcode area, skills, desired occupations, education, consent) and employers.
Without matching consent a candidate is never suggested; withdrawing it takes them out of the
suggestions at once and withdraws their proposals that still hold a place. On erasure the
profile is deleted, open proposals close, and the figures that stay link to nobody.

Vouchers' events about a participant (application filed, waitlisted, rejected, voucher issued,
claimed, expired, ...) are kept as codes for the candidate's timeline on the coach's page.
"""

from __future__ import annotations

import uuid

from services.matching.db import candidates as candidate_store
from services.matching.db import employers as employer_store
from services.matching.db import plans as plan_store
from services.matching.db import proposals as proposal_store
from services.matching.db import saved_searches as saved_search_store
from services.matching.db import timeline as timeline_store
from services.matching.handlers.proposals import withdraw_all_of
from shared.accounts import registry_subscriber
from shared.bus.consumer import Subscriber
from shared.bus.topology import ConsumerSpec
from shared.db.uow import UnitOfWork
from shared.events.catalogue import CATALOGUE
from shared.events.contracts.intake import (
    ConsentPurpose,
    EmployerRegistered,
    EmployerUpdated,
    ParticipantCoachAssigned,
    ParticipantConsentGiven,
    ParticipantConsentWithdrawn,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantSituationChanged,
    ParticipantTrajectoryChanged,
    ParticipantUpdated,
)
from shared.events.contracts.matching import WithdrawReason
from shared.events.envelope import Envelope


async def on_participant_profile(uow: UnitOfWork, event: Envelope) -> None:
    """participant.registered / participant.updated: intake's current profile; what the coach added stays."""
    model = ParticipantRegistered if event.type == "participant.registered" else ParticipantUpdated
    data = event.parse(model)
    await candidate_store.upsert_profile(
        uow.conn,
        data.participant_id,
        coach_id=data.coach_id,
        situation=data.situation.value,
        age_group=data.age_group.value,
        postcode_area=data.postcode_area,
        education_level=data.education_level,
        skills=data.skills,
        desired_occupations=data.desired_occupations,
        target_groups=sorted(g.value for g in data.target_groups),
        trajectory_status=data.trajectory_status.value,
    )


async def on_situation_changed(uow: UnitOfWork, event: Envelope) -> None:
    data = event.parse(ParticipantSituationChanged)
    await candidate_store.set_field(uow.conn, data.participant_id, "situation", data.situation.value)


async def on_coach_assigned(uow: UnitOfWork, event: Envelope) -> None:
    """The new coach sees the candidate; the previous one no longer does."""
    data = event.parse(ParticipantCoachAssigned)
    await candidate_store.set_field(uow.conn, data.participant_id, "coach_id", data.coach_id)


async def on_trajectory_changed(uow: UnitOfWork, event: Envelope) -> None:
    """A trajectory that is over (placed or ended) takes the candidate out of the suggestions."""
    data = event.parse(ParticipantTrajectoryChanged)
    await candidate_store.set_field(uow.conn, data.participant_id, "trajectory_status", data.status.value)


async def on_consent_given(uow: UnitOfWork, event: Envelope) -> None:
    """Matching consent puts the candidate in the suggestions."""
    data = event.parse(ParticipantConsentGiven)
    if data.purpose is ConsentPurpose.MATCHING:
        await candidate_store.set_field(uow.conn, data.participant_id, "matching_consent", True)


async def on_consent_withdrawn(uow: UnitOfWork, event: Envelope) -> None:
    """Matching consent withdrawn: out of the suggestions at once, and proposals holding a place are withdrawn.

    Without consent for matching or reporting, declared target groups are forgotten as well, and so are
    the person's assignments in kept plans (which may name a reserved place or quota of their group).
    """
    data = event.parse(ParticipantConsentWithdrawn)
    if data.purpose is ConsentPurpose.MATCHING:
        await candidate_store.set_field(uow.conn, data.participant_id, "matching_consent", False)
        await withdraw_all_of(uow, data.participant_id, WithdrawReason.CONSENT_WITHDRAWN, event.time)
    if data.purpose in (ConsentPurpose.MATCHING, ConsentPurpose.ANONYMOUS_REPORTING):
        await candidate_store.forget_target_groups(uow.conn, data.participant_id)
        await plan_store.forget_participant(uow.conn, data.participant_id)


async def on_participant_erased(uow: UnitOfWork, event: Envelope) -> None:
    """Delete the profile, close the proposals still holding a place, and cut every link to the person."""
    data = event.parse(ParticipantErased)
    await candidate_store.get(uow.conn, data.participant_id, for_update=True)
    await withdraw_all_of(uow, data.participant_id, WithdrawReason.PARTICIPANT_ERASED, event.time)
    await proposal_store.unlink_participant(uow.conn, data.participant_id)
    await timeline_store.forget(uow.conn, data.participant_id)
    await saved_search_store.forget_participant(uow.conn, data.participant_id)
    await plan_store.forget_participant(uow.conn, data.participant_id)
    await candidate_store.delete(uow.conn, data.participant_id)


async def on_employer(uow: UnitOfWork, event: Envelope) -> None:
    """employer.registered / employer.updated: who may own opportunities."""
    model = EmployerRegistered if event.type == "employer.registered" else EmployerUpdated
    data = event.parse(model)
    await employer_store.upsert_employer(
        uow.conn,
        data.employer_id,
        name=data.name,
        postcode_area=data.postcode_area,
        accredited=data.accredited_learning_company,
    )


async def on_voucher_event(uow: UnitOfWork, event: Envelope) -> None:
    """A vouchers event about a participant: its type and reason code go on their timeline."""
    reason = event.data.get("reason")
    await timeline_store.add(
        uow.conn,
        event.id,
        uuid.UUID(str(event.data["participant_id"])),
        event.type,
        str(reason) if reason is not None else None,
        event.time,
    )


# Every event of vouchers that names a participant (applications and vouchers).
TIMELINE_EVENTS = tuple(
    spec.key
    for spec in CATALOGUE.of_service("vouchers")
    if not spec.shared and "participant_id" in spec.model.model_fields
)

SUBSCRIBERS = (
    Subscriber(
        ConsumerSpec(
            service="matching",
            durable="matching-intake",
            stream="INTAKE",
            filter_subjects=("{region}.intake.participant.>", "{region}.intake.employer.>"),
            description="Keeps matching's candidates and employers",
        ),
        handlers={
            ParticipantRegistered.spec.key: on_participant_profile,
            ParticipantUpdated.spec.key: on_participant_profile,
            ParticipantSituationChanged.spec.key: on_situation_changed,
            ParticipantCoachAssigned.spec.key: on_coach_assigned,
            ParticipantTrajectoryChanged.spec.key: on_trajectory_changed,
            ParticipantConsentGiven.spec.key: on_consent_given,
            ParticipantConsentWithdrawn.spec.key: on_consent_withdrawn,
            ParticipantErased.spec.key: on_participant_erased,
            EmployerRegistered.spec.key: on_employer,
            EmployerUpdated.spec.key: on_employer,
        },
    ),
    Subscriber(
        ConsumerSpec(
            service="matching",
            durable="matching-vouchers",
            stream="VOUCHERS",
            filter_subjects=("{region}.vouchers.application.>", "{region}.vouchers.voucher.>"),
            description="Keeps vouchers' events about each participant for the coach's timeline",
        ),
        handlers=dict.fromkeys(TIMELINE_EVENTS, on_voucher_event),
    ),
    registry_subscriber("matching"),
)
