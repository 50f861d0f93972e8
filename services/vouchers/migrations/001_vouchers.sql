-- Vouchers: programmes, their category budgets, applications (which become vouchers), the
-- append-only ledger, idempotency keys, per-person holdings and the read model of intake.

-- Read model, filled from intake's events only. No names or contact data ever reach it.
CREATE TABLE participants (
    id            uuid PRIMARY KEY,
    situation     text NOT NULL,
    age_group     text NOT NULL DEFAULT 'unknown',
    target_groups text[] NOT NULL DEFAULT '{}',
    coach_id      text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_coach ON participants (coach_id);

CREATE TABLE employers (
    id         uuid PRIMARY KEY,
    size_class text NOT NULL,
    sector     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE providers (
    id         uuid PRIMARY KEY,
    accredited boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE courses (
    id          uuid PRIMARY KEY,
    provider_id uuid NOT NULL,
    title       text NOT NULL,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Programmes (regelingen). Rules are fixed at creation; only budgets change afterwards, and
-- every change goes through the ledger.
CREATE TABLE programmes (
    id                       uuid PRIMARY KEY,
    region                   text NOT NULL,
    name                     text NOT NULL,
    mode                     text NOT NULL CHECK (mode IN ('fcfs', 'lottery')),
    opens_at                 timestamptz NOT NULL,
    closes_at                timestamptz NOT NULL CHECK (closes_at > opens_at),
    redeem_by                timestamptz NOT NULL CHECK (redeem_by > opens_at),
    auto_approve             boolean NOT NULL,
    max_vouchers_per_person  integer NOT NULL CHECK (max_vouchers_per_person >= 1),
    max_cents_per_person     bigint CHECK (max_cents_per_person > 0),
    attendance_threshold_pct integer NOT NULL CHECK (attendance_threshold_pct BETWEEN 0 AND 100),
    below_threshold          text NOT NULL CHECK (below_threshold IN ('reject', 'partial')),
    quotas                   jsonb NOT NULL DEFAULT '{}',
    weights                  jsonb NOT NULL DEFAULT '{}',
    seed                     text NOT NULL,
    seed_commitment          text NOT NULL,
    drawn_at                 timestamptz,
    draw                     jsonb,
    created_by               text NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now()
);

-- One row per programme and category holds its money. The CHECKs are the last line of
-- defence: whatever the code does, no category can be overspent or lose a cent.
CREATE TABLE categories (
    programme_id        uuid NOT NULL REFERENCES programmes (id),
    code                text NOT NULL,
    name                text NOT NULL,
    position            integer NOT NULL,
    voucher_amount_cents bigint NOT NULL CHECK (voucher_amount_cents > 0),
    eligible_situations text[] NOT NULL,
    budget_cents        bigint NOT NULL CHECK (budget_cents >= 0),
    reserved_cents      bigint NOT NULL DEFAULT 0 CHECK (reserved_cents >= 0),
    redeemed_cents      bigint NOT NULL DEFAULT 0 CHECK (redeemed_cents >= 0),
    settled_cents       bigint NOT NULL DEFAULT 0 CHECK (settled_cents >= 0 AND settled_cents <= redeemed_cents),
    available_cents     bigint NOT NULL CHECK (available_cents >= 0),
    alerted_pct         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (programme_id, code),
    CONSTRAINT categories_balance CHECK (reserved_cents + redeemed_cents + available_cents = budget_cents)
);

-- Applications become vouchers when approved; one row follows the whole life cycle.
CREATE TABLE applications (
    id                uuid PRIMARY KEY,
    seq               bigserial NOT NULL UNIQUE,
    programme_id      uuid NOT NULL REFERENCES programmes (id),
    category          text NOT NULL,
    participant_id    uuid NOT NULL,
    course_id         uuid NOT NULL,
    provider_id       uuid NOT NULL,
    amount_cents      bigint NOT NULL CHECK (amount_cents > 0),
    submitted_by_role text NOT NULL CHECK (submitted_by_role IN ('participant', 'coach', 'employer')),
    submitted_by      text,
    employer_id       uuid,
    employer_size     text,
    target_groups     text[] NOT NULL DEFAULT '{}',
    initial_status    text NOT NULL,
    initial_reserved  boolean NOT NULL DEFAULT false,
    status            text NOT NULL CHECK (status IN (
        'submitted', 'waitlisted', 'rejected', 'voucher_issued', 'redeemed', 'claim_rejected',
        'settled', 'clawed_back', 'cancelled', 'expired')),
    reserved          boolean NOT NULL DEFAULT false,
    draw_rank         integer,
    reason            text,
    voucher_id        uuid UNIQUE,
    issued_at         timestamptz,
    attendance_pct    integer,
    completed         boolean,
    paid_cents        bigint NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
    submitted_at      timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (programme_id, category) REFERENCES categories (programme_id, code)
);
CREATE INDEX applications_programme_status ON applications (programme_id, category, status, seq);
CREATE INDEX applications_participant ON applications (participant_id);
CREATE INDEX applications_provider ON applications (provider_id) WHERE voucher_id IS NOT NULL;

-- How many vouchers (and cents) one person holds in one programme; the conditional upsert on
-- this row enforces per-person limits under concurrency.
CREATE TABLE holdings (
    programme_id   uuid NOT NULL REFERENCES programmes (id),
    participant_id uuid NOT NULL,
    count          integer NOT NULL CHECK (count >= 0),
    cents          bigint NOT NULL CHECK (cents >= 0),
    PRIMARY KEY (programme_id, participant_id)
);

-- Idempotency-Key: the first request with a key decides the answer to every resend.
CREATE TABLE idempotency_keys (
    principal      text NOT NULL,
    key            text NOT NULL,
    request_hash   text NOT NULL,
    application_id uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

-- The ledger: every cent that moves, append-only. Each row's deltas keep the balance
-- (available + reserved + redeemed = budget) and carries the balances after it.
CREATE TABLE ledger (
    seq             bigserial PRIMARY KEY,
    programme_id    uuid NOT NULL,
    category        text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('budget', 'reserve', 'release', 'redeem', 'settle', 'clawback')),
    application_id  uuid,
    amount_cents    bigint NOT NULL CHECK (amount_cents >= 0),
    d_budget        bigint NOT NULL,
    d_available     bigint NOT NULL,
    d_reserved      bigint NOT NULL,
    d_redeemed      bigint NOT NULL,
    d_settled       bigint NOT NULL DEFAULT 0,
    budget_after    bigint NOT NULL,
    available_after bigint NOT NULL,
    note            text,
    actor           text,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT ledger_row_balances CHECK (d_available + d_reserved + d_redeemed = d_budget)
);
CREATE INDEX ledger_programme ON ledger (programme_id, category, seq);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: correct a mistake with a new entry';
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();
