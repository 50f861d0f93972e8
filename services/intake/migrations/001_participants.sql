-- Coaches: accounts (the token's sub) with a region; their caseload is the participants below.
CREATE TABLE coaches (
    id            text PRIMARY KEY,
    display_name  text,
    region        text NOT NULL,
    max_caseload  integer CHECK (max_caseload IS NULL OR max_caseload >= 0),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Participants: the only personal data in Regionet. `seq` orders lists and pages them by key.
CREATE TABLE participants (
    id                  uuid PRIMARY KEY,
    seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    account_id          text UNIQUE,
    name                text NOT NULL,
    email               text,
    phone               text,
    birth_date          date,
    postcode            text,
    postcode_area       text,
    preferred_language  text NOT NULL DEFAULT 'nl' CHECK (preferred_language IN ('nl', 'de', 'en')),
    situation           text NOT NULL,
    target_groups       text[] NOT NULL DEFAULT '{}',
    education_level     text,
    skills              text[] NOT NULL DEFAULT '{}',
    desired_occupations text[] NOT NULL DEFAULT '{}',
    coach_id            text REFERENCES coaches (id),
    status              text NOT NULL DEFAULT 'intake',
    registered_by       text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_coach ON participants (coach_id, seq);
CREATE INDEX participants_status ON participants (status, seq);
CREATE INDEX participants_situation ON participants (situation, seq);
CREATE INDEX participants_area ON participants (postcode_area, seq);
CREATE INDEX participants_target_groups ON participants USING gin (target_groups);

-- Consent is a history of recorded decisions; the latest per purpose (and employer) counts.
CREATE TABLE consent_records (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    participant_id  uuid NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    purpose         text NOT NULL,
    employer_id     uuid,
    given           boolean NOT NULL,
    source          text NOT NULL,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_records_participant ON consent_records (participant_id, purpose, recorded_at DESC, id DESC);

-- A coach's timeline per participant: notes and everything that happened, with who and when.
CREATE TABLE timeline (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    participant_id  uuid NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    details         jsonb NOT NULL DEFAULT '{}',
    note            text,
    actor           text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timeline_participant ON timeline (participant_id, id);
