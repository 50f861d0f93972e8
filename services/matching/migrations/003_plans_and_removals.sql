-- The nightly region plan and the standing policy it applies, fairness flags said once a month,
-- and deletions the suggestion engine can patch its copy with instead of reading a table whole.

-- The policy a programme officer set for the nightly plans: places reserved per opportunity and
-- region-wide quotas per target group (handlers/commands.py: PlanRequest). One row.
CREATE TABLE plan_policy (
    only_one  boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    policy    jsonb NOT NULL,
    set_by    text NOT NULL,
    set_at    timestamptz NOT NULL
);

-- Plans kept for coaches and officers to read; a nightly one names its night (the region's date),
-- and a night has one plan however many replicas try.
CREATE TABLE plans (
    id               uuid PRIMARY KEY,
    night            date UNIQUE,
    made_at          timestamptz NOT NULL,
    weights_version  text NOT NULL,
    candidates       integer NOT NULL,
    places           integer NOT NULL,
    total_score      numeric(14, 2) NOT NULL,
    unassigned       integer NOT NULL,
    -- the policy applied, with how much of each quota was met
    reserved         jsonb NOT NULL,
    quotas           jsonb NOT NULL
);
CREATE INDEX plans_made_at ON plans (made_at);

CREATE TABLE plan_assignments (
    plan_id         uuid NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    participant_id  uuid NOT NULL,   -- deleted on erasure and on withdrawn consent
    opportunity_id  uuid NOT NULL,
    score           numeric(6, 2) NOT NULL,
    reserved_for    text,
    quota_for       text,
    explanation     jsonb NOT NULL,  -- {"nl": ..., "de": ..., "en": ...}
    PRIMARY KEY (plan_id, participant_id)
);
CREATE INDEX plan_assignments_participant ON plan_assignments (participant_id);

-- A group's fairness flag is raised once per period (a month in the region).
CREATE TABLE fairness_flags (
    group_name  text NOT NULL,
    period      text NOT NULL,
    metrics     text[] NOT NULL,
    flagged_at  timestamptz NOT NULL,
    PRIMARY KEY (group_name, period)
);

-- Deleted rows (an erasure) leave their id and generation here for a while, so a reader patches
-- its copy like after any other change (services/matching/snapshot.py). Housekeeping forgets them
-- after `removals_kept_minutes`; `forgotten` is the highest generation forgotten, and a copy older
-- than that is read whole.
CREATE TABLE removals (
    what  text NOT NULL,
    id    uuid NOT NULL,
    gen   bigint NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX removals_gen ON removals (what, gen);
CREATE INDEX removals_at ON removals (at);

ALTER TABLE generations ADD COLUMN forgotten bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current bigint;
BEGIN
    -- the table's own schema, whatever the writer's search_path
    EXECUTE format('UPDATE %I.generations SET n = n + 1 WHERE what = $1 RETURNING n', TG_TABLE_SCHEMA)
        INTO current USING TG_ARGV[0];
    PERFORM set_config(format('regionet.gen_%s_%s', TG_TABLE_SCHEMA, TG_ARGV[0]), current::text, true);
    RETURN NULL;
END
$$;

ALTER TABLE generations DROP COLUMN removed;

CREATE FUNCTION record_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %I.removals (what, id, gen) VALUES ($1, $2, $3)', TG_TABLE_SCHEMA)
        USING TG_ARGV[0], (to_jsonb(OLD) ->> TG_ARGV[1])::uuid,
              current_setting(format('regionet.gen_%s_%s', TG_TABLE_SCHEMA, TG_ARGV[0]))::bigint;
    RETURN NULL;
END
$$;

CREATE TRIGGER candidates_removal AFTER DELETE ON candidates
    FOR EACH ROW EXECUTE FUNCTION record_removal('candidates', 'participant_id');
CREATE TRIGGER opportunities_removal AFTER DELETE ON opportunities
    FOR EACH ROW EXECUTE FUNCTION record_removal('opportunities', 'id');
