"""HTTP routes of the notifications service, one module per resource."""

from fastapi import APIRouter

from services.notifications.api import feed, webhooks

routers: list[APIRouter] = [feed.router, webhooks.router]
