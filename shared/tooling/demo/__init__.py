"""``regionet demo``: a realistic demo region, loaded through the public APIs."""
