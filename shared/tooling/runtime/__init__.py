"""Running Regionet on one machine: embedded NATS and Postgres, and a supervisor for the services."""
