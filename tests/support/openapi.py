"""The services' OpenAPI documents, read from their apps without starting them."""

from __future__ import annotations

from typing import Any

from shared.service import ServiceDefinition, create_app
from shared.settings import ServiceSettings

# What ``/openapi.json`` answers; each route of the registered services is an operation in it.
HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def openapi_document(definition: ServiceDefinition) -> dict[str, Any]:
    """The service's OpenAPI document, as ``/openapi.json`` answers it (nothing is connected)."""
    offline = ServiceSettings.model_validate(
        {
            "service": definition.name,
            "region": "gld",
            "database_url": "postgresql://offline/regionet",
            "nats_url": "nats://offline:4222",
            "jwt_secret": "offline-secret-long-enough-for-hs256-signing",
        }
    )
    document: dict[str, Any] = create_app(definition, offline).openapi()
    return document


def operations(definition: ServiceDefinition) -> list[tuple[str, str]]:
    """Every operation of the service's API as (method, path template), in the document's order."""
    return [
        (method.upper(), path)
        for path, item in openapi_document(definition)["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]
