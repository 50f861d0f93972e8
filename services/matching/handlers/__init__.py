"""Command handlers of the matching service: plain async functions over the unit of work."""
