-- The SQL functions of vouchers and the types they take.
--
-- A repeatable migration (shared/db/migrations.py): applied after the numbered ones, and again
-- whenever this file changes, so it first drops what it creates. Edit it in place.

DROP FUNCTION IF EXISTS apply_batch;
DROP FUNCTION IF EXISTS move_money;
DROP TYPE IF EXISTS filing;
DROP TYPE IF EXISTS filing_event;
DROP TYPE IF EXISTS money_move;

-- One move of money in one category: a reservation, release, redemption, settlement,
-- clawback or budget change (a move between categories is two of them). The deltas follow the
-- ledger's columns; need_available makes the move conditional (first come, first served).
CREATE TYPE money_move AS (
    programme_id   uuid,
    category       text,
    kind           text,
    amount_cents   bigint,
    application_id uuid,
    d_budget       bigint,
    d_available    bigint,
    d_reserved     bigint,
    d_redeemed     bigint,
    d_settled      bigint,
    need_available bigint,
    note           text,
    actor          text
);

-- The one way money moves: the category row changes and the ledger row is appended together,
-- and the category's balances after the move come back. No row comes back, and nothing
-- changes, when the category has less than need_available available. The CHECKs on
-- categories refuse any move that would unbalance a category or make a balance negative; the
-- ledger refuses UPDATE and DELETE.
CREATE FUNCTION move_money(m money_move) RETURNS SETOF categories LANGUAGE plpgsql AS $$
DECLARE
    c categories;
BEGIN
    UPDATE categories
       SET budget_cents = budget_cents + m.d_budget, available_cents = available_cents + m.d_available,
           reserved_cents = reserved_cents + m.d_reserved, redeemed_cents = redeemed_cents + m.d_redeemed,
           settled_cents = settled_cents + m.d_settled
     WHERE programme_id = m.programme_id AND code = m.category AND available_cents >= m.need_available
    RETURNING * INTO c;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO ledger (programme_id, category, kind, application_id, amount_cents, d_budget, d_available,
        d_reserved, d_redeemed, d_settled, budget_after, available_after, note, actor)
    VALUES (m.programme_id, m.category, m.kind, m.application_id, m.amount_cents, m.d_budget, m.d_available,
        m.d_reserved, m.d_redeemed, m.d_settled, c.budget_cents, c.available_cents, m.note, m.actor);
    RETURN NEXT c;
END $$;

-- An application event the service computed before filing, for one of the two outcomes
-- (money reserved or not); the filing writes the ones of the outcome that happened.
CREATE TYPE filing_event AS (
    id            uuid,
    subject       text,
    payload       bytea,
    when_reserved boolean
);

-- One application, checked by the service and ready to be filed.
CREATE TYPE filing AS (
    principal                      text,
    idempotency_key                text,
    request_hash                   text,
    id                             uuid,
    programme_id                   uuid,
    participant_id                 uuid,
    amount_cents                   bigint,
    max_vouchers_per_person        integer,
    max_cents_per_person           bigint,
    max_cents_per_person_per_year  bigint,
    category                       text,
    first_come_first_served        boolean,
    course_id                      uuid,
    provider_id                    uuid,
    submitted_by_role              text,
    employer_id                    uuid,
    employer_size                  text,
    target_groups                  text[],
    voucher_id                     uuid,
    reserved_status                text,
    unreserved_status              text,
    at                             timestamptz,
    events                         filing_event[]
);

-- Applications filed together: group commit for the opening rush.
--
-- The service gathers the applications that arrive while the previous group is being written
-- and files them with one call: one round trip, one transaction, one WAL flush for the whole
-- group. Each application is still decided on its own, in the order given, by these steps:
--
--   0. the participant must still be in the read model, and stays there until the group
--      commits (FOR KEY SHARE): an erasure that arrived after the service's look-up waits for
--      this group, then finds and anonymises what it filed; after the erasure, known = false;
--   1. the Idempotency-Key is claimed; a key already taken (even by an earlier application of
--      this same group) makes the application a resend, and nothing else happens;
--   2. the person's money this year (capped if the programme has a cap), then the per-programme
--      limits: each a conditional upsert, so concurrent applications of one person cannot both
--      slip through; a refusal here files nothing (the key stays taken: a resend gets the same
--      refusal);
--   3. first come, first served: money is reserved through move_money, only if enough is
--      available;
--   4. the application row and the events of what happened (the service computes both
--      outcomes' events; the right ones are kept).
--
-- One row comes back per application, n being its position in the array.
CREATE FUNCTION apply_batch(filings filing[]) RETURNS TABLE (
    n integer, known boolean, fresh boolean, held boolean, budget_cents bigint, available_cents bigint,
    reserved_cents bigint, redeemed_cents bigint, voucher_amount_cents bigint, alerted_pct integer
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    f filing;
    v_year integer;
    v_money categories;
    v_reserved boolean;
    v_status text;
BEGIN
    -- Every participant of the group first, in one order, before any money row: an erasure
    -- (which locks its participant, then releases money) waits for the group or the group for
    -- it, and never both for each other.
    PERFORM 1 FROM participants p WHERE p.id IN (SELECT g.participant_id FROM unnest(filings) g)
     ORDER BY p.id FOR KEY SHARE;
    n := 0;
    FOREACH f IN ARRAY filings LOOP
        n := n + 1;
        known := true;
        fresh := true;
        held := false;
        budget_cents := NULL; available_cents := NULL; reserved_cents := NULL; redeemed_cents := NULL;
        voucher_amount_cents := NULL; alerted_pct := NULL;

        PERFORM 1 FROM participants p WHERE p.id = f.participant_id FOR KEY SHARE;
        IF NOT FOUND THEN
            known := false;
            RETURN NEXT;
            CONTINUE;
        END IF;

        IF f.idempotency_key IS NOT NULL THEN
            INSERT INTO idempotency_keys (principal, key, request_hash, application_id)
            VALUES (f.principal, f.idempotency_key, f.request_hash, f.id)
            ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                fresh := false;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        v_year := extract(year FROM f.at AT TIME ZONE 'Europe/Amsterdam')::integer;
        INSERT INTO yearly_holdings AS y (participant_id, year, cents)
        SELECT f.participant_id, v_year, f.amount_cents
         WHERE f.max_cents_per_person_per_year IS NULL OR f.amount_cents <= f.max_cents_per_person_per_year
        ON CONFLICT (participant_id, year) DO UPDATE SET cents = y.cents + EXCLUDED.cents
            WHERE f.max_cents_per_person_per_year IS NULL
               OR y.cents + EXCLUDED.cents <= f.max_cents_per_person_per_year;
        IF NOT FOUND THEN
            RETURN NEXT;
            CONTINUE;
        END IF;

        INSERT INTO holdings AS h (programme_id, participant_id, count, cents)
        SELECT f.programme_id, f.participant_id, 1, f.amount_cents
         WHERE 1 <= f.max_vouchers_per_person
           AND (f.max_cents_per_person IS NULL OR f.amount_cents <= f.max_cents_per_person)
        ON CONFLICT (programme_id, participant_id) DO UPDATE
            SET count = h.count + 1, cents = h.cents + EXCLUDED.cents
            WHERE h.count + 1 <= f.max_vouchers_per_person
              AND (f.max_cents_per_person IS NULL OR h.cents + EXCLUDED.cents <= f.max_cents_per_person);
        IF NOT FOUND THEN  -- give back what step 2 took for the year
            UPDATE yearly_holdings y SET cents = y.cents - f.amount_cents
             WHERE y.participant_id = f.participant_id AND y.year = v_year;
            RETURN NEXT;
            CONTINUE;
        END IF;
        held := true;

        v_reserved := false;
        IF f.first_come_first_served THEN
            SELECT * INTO v_money
              FROM move_money(ROW(f.programme_id, f.category, 'reserve', f.amount_cents, f.id,
                                  0, -f.amount_cents, f.amount_cents, 0, 0, f.amount_cents,
                                  NULL, f.submitted_by_role)::money_move);
            v_reserved := FOUND;
        END IF;
        IF v_reserved THEN
            budget_cents := v_money.budget_cents;
            available_cents := v_money.available_cents;
            reserved_cents := v_money.reserved_cents;
            redeemed_cents := v_money.redeemed_cents;
            voucher_amount_cents := v_money.voucher_amount_cents;
            alerted_pct := v_money.alerted_pct;
        END IF;
        v_status := CASE WHEN v_reserved THEN f.reserved_status ELSE f.unreserved_status END;

        INSERT INTO applications (id, programme_id, category, participant_id, course_id, provider_id,
            amount_cents, submitted_by_role, submitted_by, employer_id, employer_size, target_groups,
            initial_status, initial_reserved, status, reserved, voucher_id, issued_at, submitted_at, cap_year)
        VALUES (f.id, f.programme_id, f.category, f.participant_id, f.course_id, f.provider_id, f.amount_cents,
            f.submitted_by_role, f.principal, f.employer_id, f.employer_size, f.target_groups,
            v_status, v_reserved, v_status, v_reserved,
            CASE WHEN v_status = 'voucher_issued' THEN f.voucher_id END,
            CASE WHEN v_status = 'voucher_issued' THEN f.at END, f.at, v_year);

        INSERT INTO outbox (id, subject, payload)
        SELECT e.id, e.subject, e.payload
          FROM unnest(f.events) WITH ORDINALITY AS e(id, subject, payload, when_reserved, k)
         WHERE e.when_reserved = v_reserved
         ORDER BY e.k;

        RETURN NEXT;
    END LOOP;
END $$;
