-- Every read of a participant's personal data: who, in which role, what, when. No personal data.
CREATE TABLE access_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    participant_id  uuid NOT NULL,
    accessor        text NOT NULL,
    role            text NOT NULL,
    action          text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_participant ON access_log (participant_id, at);

-- Erasures: the pseudonym, when, and who asked (an administrator's account, or 'self').
CREATE TABLE erasures (
    participant_id  uuid PRIMARY KEY,
    requested_by    text NOT NULL,
    erased_at       timestamptz NOT NULL DEFAULT now()
);

-- Rows already imported from a CSV file, by a digest of their normalised content, so that
-- sending the same file again imports nothing twice. Erasure removes a participant's digest.
CREATE TABLE import_keys (
    kind         text NOT NULL,
    digest       text NOT NULL,
    entity_id    uuid NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, digest)
);
CREATE INDEX import_keys_entity ON import_keys (entity_id);
