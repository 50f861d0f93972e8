-- Idempotent consumers: a handler's effects and this row commit in one transaction, so an
-- event delivered again (redelivery after a crash, a replay, a duplicate publish) is
-- recognised and acknowledged without effect.
CREATE TABLE {schema}.inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    event_type   text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
