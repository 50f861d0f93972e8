-- Intake owns the accounts registry (the shared `accounts` table, published as events).
-- Accounts that existed as columns move into it; coaches' `active` becomes the account's.
INSERT INTO accounts (id, role, party, region, active)
SELECT id, 'coach', id, region, active FROM coaches
ON CONFLICT (id) DO NOTHING;

INSERT INTO accounts (id, role, party, region, active, language)
SELECT account_id, 'participant', id::text, current_setting('regionet.region'), true, preferred_language
FROM participants WHERE account_id IS NOT NULL
ON CONFLICT (id) DO NOTHING;

INSERT INTO accounts (id, role, party, region, active)
SELECT account_id, 'provider', id::text, current_setting('regionet.region'), true
FROM providers WHERE account_id IS NOT NULL
ON CONFLICT (id) DO NOTHING;

ALTER TABLE participants DROP COLUMN account_id;
ALTER TABLE providers DROP COLUMN account_id;
ALTER TABLE coaches DROP COLUMN active;

-- A participant's employer (an employer may act for its employees).
ALTER TABLE participants ADD COLUMN employer_id uuid REFERENCES employers (id);

-- Invitations: a one-time code that turns whoever signs in with it into an account.
-- Only a hash of the code is kept; the code itself is shown once, to the inviter.
CREATE TABLE invitations (
    id          uuid PRIMARY KEY,
    code_hash   text NOT NULL UNIQUE,
    role        text NOT NULL,
    party       text,                      -- null for staff: their account id becomes their party
    language    text CHECK (language IN ('nl', 'de', 'en')),
    invited_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    claimed_by  text,
    claimed_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX invitations_party ON invitations (role, party, created_at);
