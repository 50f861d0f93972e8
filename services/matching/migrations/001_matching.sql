-- Matching: employers and candidates from intake's events (plus what coaches add), opportunities
-- with their capacity, and proposals with every step they went through. No names or contact
-- data ever reach this schema; target groups are kept for the fairness report only.

-- Each table the suggestion engine reads has a generation, and each of its rows the generation
-- of the statement that last wrote it (gen). A writing statement first bumps the generation
-- (BEFORE STATEMENT), which locks that row until the writer commits, so writers take
-- generations in commit order; each row it writes is stamped with it (BEFORE ROW). A reader that
-- sees generation G in its snapshot has seen every row with gen <= G, and finds what changed
-- since in the rows with gen > G; a DELETE also bumps `removed`, after which it reads the table
-- whole (services/matching/snapshot.py).
CREATE TABLE generations (
    what     text PRIMARY KEY,
    n        bigint NOT NULL DEFAULT 0,
    removed  bigint NOT NULL DEFAULT 0
);
INSERT INTO generations (what) VALUES ('candidates'), ('opportunities');

CREATE FUNCTION bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current bigint;
BEGIN
    -- the table's own schema, whatever the writer's search_path
    EXECUTE format(
        'UPDATE %I.generations SET n = n + 1, removed = removed + $2 WHERE what = $1 RETURNING n', TG_TABLE_SCHEMA
    ) INTO current USING TG_ARGV[0], CASE WHEN TG_OP = 'DELETE' THEN 1 ELSE 0 END;
    PERFORM set_config(format('regionet.gen_%s_%s', TG_TABLE_SCHEMA, TG_ARGV[0]), current::text, true);
    RETURN NULL;
END
$$;

CREATE FUNCTION stamp_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.gen := current_setting(format('regionet.gen_%s_%s', TG_TABLE_SCHEMA, TG_ARGV[0]))::bigint;
    RETURN NEW;
END
$$;

-- Read model of intake's employers: what an opportunity's owner must be.
CREATE TABLE employers (
    id                          uuid PRIMARY KEY,
    postcode_area               text,
    accredited_learning_company boolean NOT NULL,
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE candidates (
    participant_id      uuid PRIMARY KEY,
    -- from intake's events
    coach_id            text,
    situation           text NOT NULL,
    age_group           text NOT NULL DEFAULT 'unknown',
    postcode_area       text,
    education_level     text,
    skills              text[] NOT NULL DEFAULT '{}',
    desired_occupations text[] NOT NULL DEFAULT '{}',
    target_groups       text[] NOT NULL DEFAULT '{}',   -- monitoring only, never read by the score
    trajectory_status   text NOT NULL DEFAULT 'intake',
    matching_consent    boolean NOT NULL DEFAULT false,
    -- added by the coach
    hours_min           integer NOT NULL DEFAULT 0 CHECK (hours_min BETWEEN 0 AND 60),
    hours_max           integer NOT NULL DEFAULT 40 CHECK (hours_max BETWEEN 1 AND 60),
    available_from      date,
    travel_radius_km    integer NOT NULL DEFAULT 25 CHECK (travel_radius_km BETWEEN 1 AND 300),
    driving_licence     boolean,
    language_level      text CHECK (language_level IN ('A1', 'A2', 'B1', 'B2', 'C1', 'C2')),
    preferred_kinds     text[] NOT NULL DEFAULT '{}',
    registered_at       timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    gen                 bigint NOT NULL DEFAULT 0,
    CHECK (hours_min <= hours_max)
);
CREATE INDEX candidates_coach ON candidates (coach_id);
CREATE INDEX candidates_gen ON candidates (gen);
CREATE TRIGGER candidates_generation BEFORE INSERT OR UPDATE OR DELETE ON candidates
    FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('candidates');
CREATE TRIGGER candidates_stamp BEFORE INSERT OR UPDATE ON candidates
    FOR EACH ROW EXECUTE FUNCTION stamp_generation('candidates');

CREATE TABLE opportunities (
    id                         uuid PRIMARY KEY,
    employer_id                uuid NOT NULL,
    kind                       text NOT NULL CHECK (kind IN ('vacancy', 'bbl', 'internship', 'hybrid_teacher')),
    title                      text NOT NULL,
    occupation                 text NOT NULL,
    essential_skills           text[] NOT NULL DEFAULT '{}',
    optional_skills            text[] NOT NULL DEFAULT '{}',
    hours                      integer NOT NULL CHECK (hours BETWEEN 1 AND 60),
    start_date                 date NOT NULL,
    country                    text NOT NULL CHECK (country IN ('NL', 'DE')),
    postcode                   text NOT NULL,
    open_until                 date NOT NULL,
    places_total               integer NOT NULL CHECK (places_total >= 1),
    places_held                integer NOT NULL DEFAULT 0 CHECK (places_held >= 0),
    places_filled              integer NOT NULL DEFAULT 0 CHECK (places_filled >= 0),
    crebo                      text,
    recognised                 boolean NOT NULL DEFAULT false,
    recognition_checked_on     date,
    partner_school             text,
    language_required          text CHECK (language_required IN ('A1', 'A2', 'B1', 'B2', 'C1', 'C2')),
    closed_at                  timestamptz,
    last_confirmed_at          timestamptz NOT NULL,
    confirmation_requested_at  timestamptz,
    stale_since                timestamptz,
    created_by                 text NOT NULL,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    gen                        bigint NOT NULL DEFAULT 0,
    -- a place is never promised twice: holds and placements together fit in the capacity
    CHECK (places_held + places_filled <= places_total)
);
CREATE INDEX opportunities_employer ON opportunities (employer_id);
CREATE INDEX opportunities_unconfirmed ON opportunities (last_confirmed_at) WHERE closed_at IS NULL;
CREATE INDEX opportunities_gen ON opportunities (gen);
CREATE TRIGGER opportunities_generation BEFORE INSERT OR UPDATE OR DELETE ON opportunities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('opportunities');
CREATE TRIGGER opportunities_stamp BEFORE INSERT OR UPDATE ON opportunities
    FOR EACH ROW EXECUTE FUNCTION stamp_generation('opportunities');

CREATE TABLE proposals (
    id               uuid PRIMARY KEY,
    opportunity_id   uuid NOT NULL REFERENCES opportunities (id),
    employer_id      uuid NOT NULL,
    participant_id   uuid NOT NULL,   -- replaced by a fresh random id when the person is erased
    coach_id         text,
    proposed_by      text NOT NULL,
    status           text NOT NULL CHECK (status IN (
                         'proposed', 'interested', 'interview', 'placed', 'retained',
                         'declined', 'withdrawn', 'expired', 'ended')),
    holds_place      boolean NOT NULL,
    hold_until       timestamptz,
    reason           text,
    retained_months  integer CHECK (retained_months IN (3, 6, 12)),
    score            numeric(6, 2) NOT NULL,
    weights_version  text NOT NULL,
    explanation      jsonb NOT NULL,   -- {"nl": ..., "de": ..., "en": ...}, as made with weights_version
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    placed_at        timestamptz
);
-- one open proposal per person and opportunity
CREATE UNIQUE INDEX proposals_open_pair ON proposals (participant_id, opportunity_id)
    WHERE status IN ('proposed', 'interested', 'interview', 'placed', 'retained');
CREATE INDEX proposals_participant ON proposals (participant_id);
CREATE INDEX proposals_opportunity ON proposals (opportunity_id);
CREATE INDEX proposals_hold ON proposals (hold_until) WHERE holds_place;

CREATE TABLE proposal_steps (
    proposal_id  uuid NOT NULL REFERENCES proposals (id),
    status       text NOT NULL,
    reason       text,
    by_role      text NOT NULL,
    at           timestamptz NOT NULL
);
CREATE INDEX proposal_steps_proposal ON proposal_steps (proposal_id);
