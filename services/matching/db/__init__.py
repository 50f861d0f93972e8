"""SQL of the matching service, one module per topic."""
