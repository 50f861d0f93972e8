"""Commands of the intake service, as plain async functions over a unit of work."""
