-- The in-app feed: one row per notification for one recipient (an account id, never a name).
CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    recipient    text NOT NULL,
    kind         text NOT NULL,
    subject_id   text NOT NULL,
    event_id     uuid NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz,
    UNIQUE (recipient, event_id)
);
CREATE INDEX notifications_recipient ON notifications (recipient, created_at DESC);
