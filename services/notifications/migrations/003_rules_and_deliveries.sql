-- Every notification is a sentence in its reader's language with a link to what it concerns.
-- Rows written before had neither; they keep an empty sentence.
ALTER TABLE notifications ADD COLUMN message text NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN link text;
ALTER TABLE notifications ADD COLUMN category text NOT NULL DEFAULT 'caseload';

-- Who coaches whom, from intake's events: a voucher decision about a participant also goes
-- to their coach, and vouchers' events do not name the coach.
CREATE TABLE caseload (
    participant_id  uuid PRIMARY KEY,
    coach_id        text NOT NULL
);

-- One row per event, recipient and channel that leaves the service (email now): written in
-- the transaction that handles the event, claimed by a sender with FOR UPDATE SKIP LOCKED and a
-- lease, marked sent after the server accepted it. No address is ever stored: the sender asks
-- intake for it at send time.
CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    event_id         uuid NOT NULL,
    event_key        text NOT NULL,
    rule             text NOT NULL,
    channel          text NOT NULL,
    recipient        text NOT NULL,          -- account id
    recipient_role   text NOT NULL,
    party            text,                   -- whom to look the address up for (a participant id)
    subject_id       text,                   -- the entity the event is about, for erasure
    payload          jsonb NOT NULL,         -- the event's data (pseudonymous ids, amounts, dates)
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'skipped', 'failed', 'cancelled')),
    outcome          text,                   -- why skipped or failed, in words without personal data
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    UNIQUE (event_id, recipient, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subject ON deliveries (subject_id);
CREATE INDEX deliveries_party ON deliveries (party);

CREATE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notifications_deliveries', '');
    RETURN NULL;
END $$;
CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION deliveries_notify();
