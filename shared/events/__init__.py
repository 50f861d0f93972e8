"""Event contracts: the envelope every event travels in, and the catalogue of event types."""

from shared.events.catalogue import CATALOGUE, EventSpec
from shared.events.envelope import Envelope, EventData, event_type

__all__ = ["CATALOGUE", "Envelope", "EventData", "EventSpec", "event_type"]
