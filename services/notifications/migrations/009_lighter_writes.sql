-- Every index is paid for on each of the thousands of rows a second the event consumer writes,
-- and every sender round reads the due ones.
--
-- Three indexes answered no query:
-- * a feed page is read newest first by entry number (notifications_recipient_seq), so the
--   index by creation time is not needed;
-- * erasure finds deliveries by party, subject or the event's participant_id in one condition,
--   which no combination of the party and subject indexes can answer: it reads the table either way.
DROP INDEX notifications_recipient;
DROP INDEX deliveries_subject;
DROP INDEX deliveries_party;

-- A sender claims single emails and digests separately. With one index over every pending
-- delivery, looking for due digests visited every pending single email first, once per round:
-- each kind now has its own partial index (a row is in exactly one of them).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (channel, next_attempt_at) WHERE status = 'pending' AND NOT digest;
CREATE INDEX deliveries_digests_due ON deliveries (channel, next_attempt_at) WHERE status = 'pending' AND digest;
