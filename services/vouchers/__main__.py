from services.vouchers.app import definition
from shared.service import run

run(definition)
