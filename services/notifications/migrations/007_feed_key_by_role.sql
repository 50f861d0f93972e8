-- A feed belongs to an account in a role (migration 002), but an entry's key was (recipient,
-- event_id): one account id reached in two roles by the same event (a coach's id that is also a
-- provider's user, say) kept only the first role's entry and silently dropped the other. The key
-- now names the role too.
ALTER TABLE notifications DROP CONSTRAINT notifications_recipient_event_id_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_recipient_role_event_key
    UNIQUE (recipient, recipient_role, event_id);
