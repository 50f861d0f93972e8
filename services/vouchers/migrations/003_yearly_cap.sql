-- A yearly cap per person across programmes, and apply_batch rewritten step by step.
--
-- yearly_holdings keeps, per person and calendar year (Dutch time), the money of all their
-- applications in all programmes of the region that are not rejected or cancelled. A programme
-- may set max_cents_per_person_per_year: an application to it is refused (409) when it would
-- bring that sum above the cap. The conditional upsert enforces it under concurrency, exactly
-- like holdings does per programme.
ALTER TABLE programmes ADD COLUMN max_cents_per_person_per_year bigint
    CHECK (max_cents_per_person_per_year > 0);

CREATE TABLE yearly_holdings (
    participant_id uuid NOT NULL,
    year           integer NOT NULL,
    cents          bigint NOT NULL CHECK (cents >= 0),
    PRIMARY KEY (participant_id, year)
);

-- The year an application counts in (released again when it is rejected or cancelled).
ALTER TABLE applications ADD COLUMN cap_year integer;

-- Applications filed before this migration count too.
UPDATE applications SET cap_year = extract(year FROM submitted_at AT TIME ZONE 'Europe/Amsterdam')::integer;
INSERT INTO yearly_holdings (participant_id, year, cents)
SELECT participant_id, cap_year, sum(amount_cents) FROM applications
 WHERE status NOT IN ('rejected', 'cancelled')
 GROUP BY participant_id, cap_year;

DROP FUNCTION apply_batch(text[], text[], text[], uuid[], uuid[], uuid[], bigint[], integer[], bigint[], text[],
    boolean[], uuid[], uuid[], text[], uuid[], text[], text[], uuid[], text[], text[], timestamptz[], integer[],
    integer[], uuid[], text[], bytea[], boolean[]);

-- Applications filed together: group commit for the opening rush (see migration 002 for why).
-- Each application is decided on its own, in the order given, by these steps:
--
--   0. the participant must still be in the read model, and stays there until the group
--      commits (FOR KEY SHARE): an erasure that arrived after the service's look-up waits for
--      this group, then finds and anonymises what it filed; after the erasure, known = false;
--   1. the Idempotency-Key is claimed; a key already taken (even by an earlier application of
--      this same group) makes the application a resend, and nothing else happens;
--   2. the person's money this year (capped if the programme has a cap), then the per-programme
--      limits: each a
--      conditional upsert, so concurrent applications of one person cannot both slip through;
--      a refusal here files nothing (the key stays taken: a resend gets the same refusal);
--   3. first come, first served: money is reserved only if enough is available (the CHECKs on
--      categories are the last line of defence);
--   4. the application row, a ledger entry for a reservation, and the events of what happened
--      (the service computes both outcomes' events; the right ones are kept).
CREATE FUNCTION apply_batch(
    principals text[], keys text[], hashes text[], ids uuid[], programmes uuid[], people uuid[],
    amounts bigint[], max_counts integer[], max_cents bigint[], year_caps bigint[], codes text[], fcfs boolean[],
    courses uuid[], providers uuid[], roles text[], employers uuid[], sizes text[], groups text[],
    vouchers uuid[], reserved_statuses text[], unreserved_statuses text[], ats timestamptz[],
    events_from integer[], events_to integer[],
    event_ids uuid[], event_subjects text[], event_payloads bytea[], event_when_reserved boolean[]
) RETURNS TABLE (
    n integer, known boolean, fresh boolean, held boolean, budget_cents bigint, available_cents bigint,
    reserved_cents bigint, redeemed_cents bigint, voucher_amount_cents bigint, alerted_pct integer
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    i integer;
    v_year integer;
    v_reserved boolean;
    v_status text;
BEGIN
    -- Every participant of the group first, in one order, before any money row: an erasure
    -- (which locks its participant, then releases money) waits for the group or the group for
    -- it, and never both for each other.
    PERFORM 1 FROM participants p WHERE p.id = ANY(people) ORDER BY p.id FOR KEY SHARE;
    FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
        n := i;
        known := true;
        fresh := true;
        held := false;
        budget_cents := NULL; available_cents := NULL; reserved_cents := NULL; redeemed_cents := NULL;
        voucher_amount_cents := NULL; alerted_pct := NULL;

        PERFORM 1 FROM participants p WHERE p.id = people[i] FOR KEY SHARE;
        IF NOT FOUND THEN
            known := false;
            RETURN NEXT;
            CONTINUE;
        END IF;

        IF keys[i] IS NOT NULL THEN
            INSERT INTO idempotency_keys (principal, key, request_hash, application_id)
            VALUES (principals[i], keys[i], hashes[i], ids[i])
            ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                fresh := false;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        v_year := extract(year FROM ats[i] AT TIME ZONE 'Europe/Amsterdam')::integer;
        INSERT INTO yearly_holdings AS y (participant_id, year, cents)
        SELECT people[i], v_year, amounts[i] WHERE year_caps[i] IS NULL OR amounts[i] <= year_caps[i]
        ON CONFLICT (participant_id, year) DO UPDATE SET cents = y.cents + EXCLUDED.cents
            WHERE year_caps[i] IS NULL OR y.cents + EXCLUDED.cents <= year_caps[i];
        IF NOT FOUND THEN
            RETURN NEXT;
            CONTINUE;
        END IF;

        INSERT INTO holdings AS h (programme_id, participant_id, count, cents)
        SELECT programmes[i], people[i], 1, amounts[i]
         WHERE 1 <= max_counts[i] AND (max_cents[i] IS NULL OR amounts[i] <= max_cents[i])
        ON CONFLICT (programme_id, participant_id) DO UPDATE
            SET count = h.count + 1, cents = h.cents + EXCLUDED.cents
            WHERE h.count + 1 <= max_counts[i] AND (max_cents[i] IS NULL OR h.cents + EXCLUDED.cents <= max_cents[i]);
        IF NOT FOUND THEN  -- give back what step 2 took for the year
            UPDATE yearly_holdings y SET cents = y.cents - amounts[i]
             WHERE y.participant_id = people[i] AND y.year = v_year;
            RETURN NEXT;
            CONTINUE;
        END IF;
        held := true;

        v_reserved := false;
        IF fcfs[i] THEN
            UPDATE categories c
               SET available_cents = c.available_cents - amounts[i], reserved_cents = c.reserved_cents + amounts[i]
             WHERE c.programme_id = programmes[i] AND c.code = codes[i] AND c.available_cents >= amounts[i]
            RETURNING c.budget_cents, c.available_cents, c.reserved_cents, c.redeemed_cents, c.voucher_amount_cents,
                      c.alerted_pct
                 INTO budget_cents, available_cents, reserved_cents, redeemed_cents, voucher_amount_cents,
                      alerted_pct;
            v_reserved := FOUND;
        END IF;
        v_status := CASE WHEN v_reserved THEN reserved_statuses[i] ELSE unreserved_statuses[i] END;

        INSERT INTO applications (id, programme_id, category, participant_id, course_id, provider_id,
            amount_cents, submitted_by_role, submitted_by, employer_id, employer_size, target_groups,
            initial_status, initial_reserved, status, reserved, voucher_id, issued_at, submitted_at, cap_year)
        VALUES (ids[i], programmes[i], codes[i], people[i], courses[i], providers[i], amounts[i], roles[i],
            principals[i], employers[i], sizes[i], string_to_array(groups[i], ','),
            v_status, v_reserved, v_status, v_reserved,
            CASE WHEN v_status = 'voucher_issued' THEN vouchers[i] END,
            CASE WHEN v_status = 'voucher_issued' THEN ats[i] END, ats[i], v_year);

        IF v_reserved THEN
            INSERT INTO ledger (programme_id, category, kind, application_id, amount_cents, d_budget, d_available,
                d_reserved, d_redeemed, budget_after, available_after, actor)
            VALUES (programmes[i], codes[i], 'reserve', ids[i], amounts[i], 0, -amounts[i], amounts[i], 0,
                budget_cents, available_cents, roles[i]);
        END IF;

        INSERT INTO outbox (id, subject, payload)
        SELECT e.id, e.subject, e.payload
          FROM unnest(event_ids[events_from[i]:events_to[i]], event_subjects[events_from[i]:events_to[i]],
                      event_payloads[events_from[i]:events_to[i]],
                      event_when_reserved[events_from[i]:events_to[i]]) WITH ORDINALITY
               AS e(id, subject, payload, when_reserved, k)
         WHERE e.when_reserved = v_reserved
         ORDER BY e.k;

        RETURN NEXT;
    END LOOP;
END $$;
