-- A feed belongs to an account acting in a role: a token of another role with the same subject
-- must not read it. Every notification so far went to a coach.
ALTER TABLE notifications ADD COLUMN recipient_role text NOT NULL DEFAULT 'coach';
ALTER TABLE notifications ALTER COLUMN recipient_role DROP DEFAULT;
DROP INDEX notifications_recipient;
CREATE INDEX notifications_recipient ON notifications (recipient, recipient_role, created_at DESC);
