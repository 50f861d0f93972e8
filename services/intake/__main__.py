from services.intake.app import definition
from shared.service import run

run(definition)
