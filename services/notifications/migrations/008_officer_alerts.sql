-- Alerts about the platform itself (dead letters waiting), sent as one summary rather than one per
-- letter: the count at the last alert and when it went out. Every replica checks; the row decides,
-- in the transaction that writes the feed entries, which one alerts (at most one per change).
CREATE TABLE officer_alerts (
    kind        text PRIMARY KEY,
    waiting     integer NOT NULL,
    alerted_at  timestamptz NOT NULL
);
