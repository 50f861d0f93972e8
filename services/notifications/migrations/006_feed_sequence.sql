-- Live updates resume where a client left off (Last-Event-ID): every feed entry gets a number
-- that only grows, in the order entries were written.
ALTER TABLE notifications ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX notifications_recipient_seq ON notifications (recipient, recipient_role, seq);
