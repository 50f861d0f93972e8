"""Every router of the web UI, in the order they are matched."""

from fastapi import APIRouter

from services.matching.web.coach import router as coach
from services.matching.web.employer import router as employer
from services.matching.web.notifications import router as notifications
from services.matching.web.officer import router as officer
from services.matching.web.pages import router as frame
from services.matching.web.people import router as people

routers: list[APIRouter] = [frame, coach, employer, officer, people, notifications]
