-- Who may act, in every service: the accounts registry and the links between participants
-- and employers. Intake owns both and publishes every change (account.activated,
-- account.deactivated, participant.employer_linked, participant.employer_unlinked); every
-- other service keeps this copy, filled by the shared subscriber (shared/accounts.py).
CREATE TABLE {schema}.accounts (
    id          text PRIMARY KEY,          -- the token's subject (sub)
    role        text NOT NULL,             -- participant, coach, employer, provider, programme_officer, admin
    party       text NOT NULL,             -- the participant, employer or provider id; own id for staff
    region      text NOT NULL,
    active      boolean NOT NULL,
    language    text CHECK (language IN ('nl', 'de', 'en')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_party ON {schema}.accounts (party);

-- An employer may act for a participant who is its employee, or who consented to share with it.
CREATE TABLE {schema}.employer_links (
    participant_id  uuid NOT NULL,
    employer_id     uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('employee', 'consent')),
    since           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (participant_id, employer_id, kind)
);
CREATE INDEX employer_links_employer ON {schema}.employer_links (employer_id);
