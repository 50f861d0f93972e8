from services.matching.app import definition
from shared.service import run

run(definition)
