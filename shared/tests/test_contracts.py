"""Event contracts: naming, published schemas, compatibility, generated docs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import shared.events.contracts  # noqa: F401 - fills the catalogue
from shared.asyncapi import asyncapi_document, subject_matches
from shared.bus.topology import STREAMS
from shared.events import CATALOGUE, Envelope, EventData, event_type
from shared.events.compatibility import check_catalogue, incompatibilities
from shared.events.contracts.intake import ParticipantRegistered, Situation
from shared.events.contracts.vouchers import ProgrammePublished
from shared.events.docs import render_catalogue

ROOT = Path(__file__).resolve().parents[2]


def test_every_published_event_type_is_compatible_with_its_snapshot() -> None:
    assert check_catalogue() == {}


def test_event_catalogue_document_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "events.md").read_text()
    assert committed == render_catalogue(), "run `python -m shared.events` and commit docs/events.md"


OLD: dict[str, Any] = {
    "properties": {
        "participant_id": {"type": "string", "format": "uuid"},
        "situation": {"enum": ["a", "b"], "type": "string"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["participant_id", "situation"],
}


def changed(**props: Any) -> dict[str, Any]:
    new = {"properties": {**OLD["properties"], **props}, "required": list(OLD["required"])}
    return new


def test_adding_an_optional_field_is_compatible() -> None:
    assert incompatibilities(OLD, changed(extra={"anyOf": [{"type": "integer"}, {"type": "null"}]})) == []


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (
            {"properties": {k: v for k, v in OLD["properties"].items() if k != "note"}, "required": OLD["required"]},
            "field 'note' was removed",
        ),
        (changed(participant_id={"type": "integer"}), "field 'participant_id' changed type"),
        (changed(situation={"enum": ["a"], "type": "string"}), "field 'situation' no longer allows ['b']"),
        ({**changed(), "required": [*OLD["required"], "note"]}, "field 'note' became required"),
    ],
)
def test_breaking_changes_are_reported(new: dict[str, Any], reason: str) -> None:
    assert any(p.startswith(reason) for p in incompatibilities(OLD, new))


def test_envelope_subject_follows_region_service_entity_event_version() -> None:
    data = ParticipantRegistered(participant_id=uuid.uuid4(), situation=Situation.STUDENT)
    envelope = Envelope.wrap(data, region="ov", subject=str(data.participant_id))
    assert envelope.nats_subject == "ov.intake.participant.registered.v1"
    assert envelope.key == "intake.participant.registered.v1"
    assert Envelope.model_validate_json(envelope.to_bytes()) == envelope
    assert envelope.parse(ParticipantRegistered) == data


def test_event_names_must_be_entity_dot_event() -> None:
    with pytest.raises(ValueError, match=r"entity\.event"):

        @event_type("intake", "registered", 1, "bad")
        class Bad(EventData):
            pass


def test_subject_wildcards_match_like_nats() -> None:
    assert subject_matches("gld.intake.>", "gld.intake.participant.registered.v1")
    assert subject_matches("gld.*.participant.registered.v1", "gld.intake.participant.registered.v1")
    assert not subject_matches("gld.intake.>", "gld.intake")
    assert not subject_matches("gld.vouchers.>", "gld.intake.participant.registered.v1")


def test_asyncapi_lists_what_a_service_sends_and_receives() -> None:
    intake = asyncapi_document("intake", "gld", title="intake", version="1")
    notifications = asyncapi_document("notifications", "gld", title="notifications", version="1")
    key = ParticipantRegistered.spec.key.replace(".", "_")
    assert intake["operations"][f"send_{key}"]["action"] == "send"
    assert notifications["operations"][f"receive_{key}"]["action"] == "receive"
    assert intake["channels"][key]["address"] == "gld.intake.participant.registered.v1"
    payload = intake["components"]["messages"][key]["payload"]
    assert {"participant_id", "coach_id", "situation"} <= set(payload["properties"]["data"]["properties"])
    assert CATALOGUE.get(ParticipantRegistered.spec.key) is ParticipantRegistered.spec


def test_shared_events_go_to_the_shared_stream_of_their_region() -> None:
    published = ProgrammePublished.spec
    assert published.shared
    assert published.subject("gld") == "shared.gld.vouchers.programme.published.v1"
    shared_stream = next(s for s in STREAMS if s.name == "SHARED")
    assert any(subject_matches(f.format(region="gld"), published.subject("gld")) for f in shared_stream.subjects)
    vouchers = asyncapi_document("vouchers", "gld", title="vouchers", version="1")
    assert vouchers["channels"][published.key.replace(".", "_")]["address"] == published.subject("gld")
    assert not ParticipantRegistered.spec.shared


def test_shared_events_carry_no_person_application_or_organisation_ids() -> None:
    personal = {"participant_id", "application_id", "voucher_id", "employer_id", "provider_id", "course_id", "coach_id"}
    for spec in CATALOGUE.all():
        if spec.shared:
            fields = json.dumps(spec.json_schema())
            assert not [f for f in personal if f'"{f}"' in fields], spec.key
