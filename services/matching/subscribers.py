"""The durable consumers of the matching service: so far, its copy of the accounts registry."""

from __future__ import annotations

from shared.accounts import registry_subscriber

SUBSCRIBERS = (registry_subscriber("matching"),)
