-- What each account wants to receive: per channel and category (an opt-out), a daily digest of
-- email instead of one message each, and quiet hours in which no email goes out. A message a
-- rule marks must-send ignores opt-outs and the digest (it says why), not quiet hours.
CREATE TABLE preferences (
    account      text PRIMARY KEY,
    opted_out    jsonb NOT NULL DEFAULT '{}',     -- {"email": ["vouchers", ...], "feed": [...]}
    email_digest boolean NOT NULL DEFAULT false,
    quiet_from   time,                            -- local time (Europe/Amsterdam); both or neither
    quiet_until  time,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((quiet_from IS NULL) = (quiet_until IS NULL))
);

-- A delivery held for the recipient's daily digest goes out with the others of that day.
ALTER TABLE deliveries ADD COLUMN digest boolean NOT NULL DEFAULT false;
