"""Regionet's own library: event contracts, bus, outbox/inbox, database, auth, settings, runtime."""
