-- Transactional outbox: a handler's events are written here in the handler's transaction.
-- The relay claims rows with a lease (so no row lock is held across the network call),
-- publishes them to JetStream with Nats-Msg-Id = id, and deletes them once the PubAck arrived.
-- There is no "last published id" cursor: a row that commits late is simply found on the
-- next pass, so it is never skipped.
CREATE TABLE {schema}.outbox (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    subject     text NOT NULL,
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_until timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);

CREATE FUNCTION {schema}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{schema}_outbox', '');
    RETURN NULL;
END $$;

-- One notification per statement, not per row: the relay only needs to be woken.
CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.outbox_notify();
