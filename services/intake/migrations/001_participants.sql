CREATE TABLE participants (
    id            uuid PRIMARY KEY,
    name          text NOT NULL,
    email         text,
    situation     text NOT NULL,
    coach_id      text,
    registered_by text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_coach ON participants (coach_id);
