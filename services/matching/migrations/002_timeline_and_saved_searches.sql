-- The coaches' pages: a timeline of what other services did for a participant, and saved searches.

-- Vouchers' events about a participant (application filed, voucher issued, claim accepted, ...),
-- kept for the candidate's timeline beside matching's own proposal steps. Codes only: the event
-- type and, where the event has one, its reason code. Removed on participant.erased.
CREATE TABLE timeline (
    event_id        uuid PRIMARY KEY,
    participant_id  uuid NOT NULL,
    kind            text NOT NULL,          -- the event type, e.g. voucher.issued
    reason          text,                   -- a reason code of the event, if any
    at              timestamptz NOT NULL
);
CREATE INDEX timeline_participant ON timeline (participant_id, at);

-- A coach's saved search: what kind of place they look for. Every criterion is optional (at least
-- one is given); no free text, so no name can end up here. Checked when an opportunity opens.
CREATE TABLE saved_searches (
    id              uuid PRIMARY KEY,
    owner           text NOT NULL,          -- the account that saved it
    participant_id  uuid,                   -- fits this candidate of the owner's caseload (every filter)
    occupation      text,
    kind            text CHECK (kind IN ('vacancy', 'bbl', 'internship', 'hybrid_teacher')),
    area            text,                   -- an area key (NL-6811), with radius_km
    radius_km       integer CHECK (radius_km BETWEEN 1 AND 300),
    created_at      timestamptz NOT NULL,
    CHECK ((area IS NULL) = (radius_km IS NULL)),
    CHECK (participant_id IS NOT NULL OR occupation IS NOT NULL OR kind IS NOT NULL OR area IS NOT NULL)
);
CREATE INDEX saved_searches_owner ON saved_searches (owner, created_at);
CREATE INDEX saved_searches_participant ON saved_searches (participant_id) WHERE participant_id IS NOT NULL;

-- Each opportunity a saved search found, once.
CREATE TABLE saved_search_hits (
    search_id       uuid NOT NULL REFERENCES saved_searches (id) ON DELETE CASCADE,
    opportunity_id  uuid NOT NULL REFERENCES opportunities (id),
    at              timestamptz NOT NULL,
    PRIMARY KEY (search_id, opportunity_id)
);

-- The caseload page reads a coach's proposals by candidate.
CREATE INDEX proposals_coach ON proposals (coach_id, participant_id);
