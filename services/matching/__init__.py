"""Matching: opportunities, candidate profiles, ranking, assignment and the coaches' web UI."""
