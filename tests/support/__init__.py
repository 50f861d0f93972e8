"""Test support: real Postgres and NATS servers, and services run against them."""
