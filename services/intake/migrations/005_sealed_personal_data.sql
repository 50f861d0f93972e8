-- Crypto-shredding (services/intake/vault.py): a participant's name, email, phone, birth date,
-- full postcode and the coaches' notes are stored only sealed (AES-GCM) with a data key of
-- their own; the data key is stored wrapped with the deployment's key-encryption key.
-- Erasure deletes the key row, so every copy of the sealed fields (dead rows, WAL, backups)
-- is left without its key.
CREATE TABLE participant_keys (
    participant_id  uuid PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    kek_id          text NOT NULL,               -- which key-encryption key wrapped it (rotation)
    wrapped_key     bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participant_keys_kek ON participant_keys (kek_id);

-- The id of the key-encryption key the stored data keys are wrapped with: a service started
-- with another key refuses to start instead of failing on every read.
CREATE TABLE data_key_check (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    kek_id    text NOT NULL
);

-- What earlier versions stored in plain text waits here until the service, at its next start,
-- seals it with the key-encryption key (which SQL does not know) and drops these tables.
CREATE TABLE unsealed_participants AS
    SELECT id, name, email, phone, birth_date, postcode FROM participants;
CREATE TABLE unsealed_notes AS
    SELECT id, participant_id, note FROM timeline WHERE note IS NOT NULL;
-- Import digests were plain SHA-256 of the row (a guessed row could be confirmed); they become
-- HMACs under the key-encryption key.
CREATE TABLE unsealed_import_keys AS
    SELECT kind, digest, entity_id, imported_at FROM import_keys;
DELETE FROM import_keys;

ALTER TABLE participants
    DROP COLUMN name,
    DROP COLUMN email,
    DROP COLUMN phone,
    DROP COLUMN birth_date,
    DROP COLUMN postcode,
    ADD COLUMN name_sealed bytea,
    ADD COLUMN email_sealed bytea,
    ADD COLUMN phone_sealed bytea,
    ADD COLUMN birth_date_sealed bytea,
    ADD COLUMN postcode_sealed bytea;

ALTER TABLE timeline
    DROP COLUMN note,
    ADD COLUMN note_sealed bytea;
