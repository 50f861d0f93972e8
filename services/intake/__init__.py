"""Intake: participants, employers, providers, coaches, consent and erasure. Holds personal data."""
