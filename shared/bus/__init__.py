"""The event bus: JetStream topology, connections, the outbox relay and idempotent consumers."""
