from services.notifications.app import definition
from shared.service import run

run(definition)
