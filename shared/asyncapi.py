"""AsyncAPI 3.0 documents generated from the event catalogue and the topology."""

from __future__ import annotations

from typing import Any

from shared.bus.topology import consumers_of
from shared.events.catalogue import CATALOGUE, EventSpec
from shared.events.envelope import Envelope


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: ``*`` is one token, a final ``>`` one or more."""
    p_tokens, s_tokens = pattern.split("."), subject.split(".")
    for i, token in enumerate(p_tokens):
        if token == ">":
            return len(s_tokens) > i
        if i >= len(s_tokens) or (token != "*" and token != s_tokens[i]):
            return False
    return len(p_tokens) == len(s_tokens)


def consumed_events(service: str, region: str) -> list[EventSpec]:
    """The event types that reach a service through its durable consumers."""
    found: dict[str, EventSpec] = {}
    for consumer in consumers_of(service):
        for spec in CATALOGUE.all():
            if any(subject_matches(f, spec.subject(region)) for f in consumer.subjects(region)):
                found[spec.key] = spec
    return [found[k] for k in sorted(found)]


def _message(spec: EventSpec) -> dict[str, Any]:
    envelope = Envelope.model_json_schema()
    envelope["properties"]["data"] = spec.json_schema()
    return {
        "name": spec.key,
        "title": spec.name,
        "summary": spec.summary,
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {"Nats-Msg-Id": {"type": "string", "description": "The event id (deduplication)"}},
        },
        "payload": envelope,
    }


def asyncapi_document(service: str, region: str, *, title: str, version: str) -> dict[str, Any]:
    """The AsyncAPI document of one service: what it publishes and what it consumes."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for action, specs in (("send", CATALOGUE.of_service(service)), ("receive", consumed_events(service, region))):
        for spec in specs:
            channel_id = spec.key.replace(".", "_")
            messages[channel_id] = _message(spec)
            channels[channel_id] = {
                "address": spec.subject(region),
                "description": spec.summary,
                "messages": {channel_id: {"$ref": f"#/components/messages/{channel_id}"}},
            }
            operations[f"{action}_{channel_id}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": ("Publishes " if action == "send" else "Consumes ") + spec.name,
            }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version, "description": f"Events of the Regionet {service} service"},
        "defaultContentType": "application/json",
        "servers": {"nats": {"host": "nats:4222", "protocol": "nats", "description": "NATS JetStream"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
