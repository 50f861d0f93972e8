"""What the intake service answers on NATS: the contact lookup (intake consumes no events)."""

from services.intake.contact import CONTACT, answer_contact_request
from shared.bus.rpc import Responder

RESPONDERS = (Responder(CONTACT, answer_contact_request),)
