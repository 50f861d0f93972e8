"""HTTP routes of the notifications service, one module per resource."""

from fastapi import APIRouter

from services.notifications.api import feed, preferences, webhooks

routers: list[APIRouter] = [feed.router, preferences.router, webhooks.router]
