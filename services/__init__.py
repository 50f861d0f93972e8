"""The four Regionet services; each is its own process with its own schema."""
