"""Wiring of the notifications service."""

from services.notifications.api import routers
from shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="notifications",
    title="Regionet notifications",
    description="Tells people what happened: the in-app feed, email and webhooks.",
    routers=routers,
)
