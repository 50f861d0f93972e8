"""Published event schemas and the check that a change keeps them compatible.

Every event type's JSON schema is kept in ``shared/events/schemas/<key>.json`` once
published. A later schema of the same key and version may add optional fields, but may not
remove or retype a field, make a field required, or drop an allowed value: such a change
breaks consumers and must be a new version (a new key). ``python -m shared.events`` writes
snapshots of new event types and regenerates ``docs/events.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from shared.events.catalogue import CATALOGUE, EventSpec

SCHEMAS_DIR = Path(str(resources.files("shared.events") / "schemas"))


def snapshot_path(spec: EventSpec) -> Path:
    """Where the published schema of an event type is kept."""
    return SCHEMAS_DIR / f"{spec.key}.json"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return schema


def _shape(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """What a consumer relies on: types, enum values, nested shapes."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return sorted(json.dumps(_shape(s, root), sort_keys=True) for s in schema["anyOf"])
    shape: dict[str, Any] = {"type": schema.get("type"), "format": schema.get("format")}
    if "enum" in schema:
        shape["enum"] = sorted(map(str, schema["enum"]))
    if "items" in schema:
        shape["items"] = _shape(schema["items"], root)
    return shape


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why ``new`` would break a consumer written against ``old`` (empty when compatible)."""
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, old_field in old_props.items():
        if name not in new_props:
            problems.append(f"field {name!r} was removed")
            continue
        before, after = _shape(old_field, old), _shape(new_props[name], new)
        if isinstance(before, dict) and isinstance(after, dict) and "enum" in before and "enum" in after:
            dropped = set(before["enum"]) - set(after["enum"])
            if dropped:
                problems.append(f"field {name!r} no longer allows {sorted(dropped)}")
            before, after = {**before, "enum": None}, {**after, "enum": None}
        if before != after:
            problems.append(f"field {name!r} changed type from {before} to {after}")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"field {name!r} became required")
    return problems


def check_catalogue() -> dict[str, list[str]]:
    """Every event type whose current schema breaks its published snapshot, or has none."""
    found: dict[str, list[str]] = {}
    for spec in CATALOGUE.all():
        path = snapshot_path(spec)
        if not path.exists():
            found[spec.key] = ["no published schema snapshot; run `python -m shared.events`"]
            continue
        problems = incompatibilities(json.loads(path.read_text()), spec.json_schema())
        if problems:
            found[spec.key] = problems
    return found


def write_new_snapshots() -> list[str]:
    """Write snapshots for event types that have none; returns their keys."""
    SCHEMAS_DIR.mkdir(exist_ok=True)
    written = []
    for spec in CATALOGUE.all():
        path = snapshot_path(spec)
        if not path.exists():
            path.write_text(json.dumps(spec.json_schema(), indent=2, sort_keys=True) + "\n")
            written.append(spec.key)
    return written
