-- Applications filed together: group commit for the opening rush.
--
-- The service gathers the applications that arrive while the previous group is being written
-- and files them with one call of this function: one round trip, one transaction, one WAL
-- flush for the whole group, instead of one of each per application. Inside, every
-- application is still decided on its own and in arrival order, by the same steps as before:
--
--   1. the Idempotency-Key is claimed (a key already taken, even by an earlier application of
--      this same group, makes the application a resend: nothing else happens);
--   2. the person's holding in the programme grows, only within the per-person limits;
--   3. first come, first served: the category's money is reserved only if enough is available
--      (the CHECKs on categories are the last line of defence);
--   4. the application row, a ledger entry for a reservation, and the events of what happened
--      (computed by the service for both outcomes; the right ones are kept) go in.
--
-- Each argument is an array with one element per application (events: one element per event,
-- events_from/events_to give each application's slice). One row comes back per application.
CREATE FUNCTION apply_batch(
    principals text[], keys text[], hashes text[], ids uuid[], programmes uuid[], people uuid[],
    amounts bigint[], max_counts integer[], max_cents bigint[], codes text[], fcfs boolean[],
    courses uuid[], providers uuid[], roles text[], employers uuid[], sizes text[], groups text[],
    vouchers uuid[], reserved_statuses text[], unreserved_statuses text[], ats timestamptz[],
    events_from integer[], events_to integer[],
    event_ids uuid[], event_subjects text[], event_payloads bytea[], event_when_reserved boolean[]
) RETURNS TABLE (
    n integer, fresh boolean, held boolean, budget_cents bigint, available_cents bigint,
    reserved_cents bigint, redeemed_cents bigint, voucher_amount_cents bigint, alerted_pct integer
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    i integer;
BEGIN
    FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
        n := i;
        WITH idem AS (
            INSERT INTO idempotency_keys (principal, key, request_hash, application_id)
            SELECT principals[i], keys[i], hashes[i], ids[i] WHERE keys[i] IS NOT NULL
            ON CONFLICT DO NOTHING
            RETURNING 1 AS x
        ), go AS (
            SELECT x FROM idem UNION ALL SELECT 1 WHERE keys[i] IS NULL
        ), hold AS (
            INSERT INTO holdings AS h (programme_id, participant_id, count, cents)
            SELECT programmes[i], people[i], 1, amounts[i] FROM go
             WHERE 1 <= max_counts[i] AND (max_cents[i] IS NULL OR amounts[i] <= max_cents[i])
            ON CONFLICT (programme_id, participant_id) DO UPDATE
                SET count = h.count + 1, cents = h.cents + EXCLUDED.cents
                WHERE h.count + 1 <= max_counts[i] AND (max_cents[i] IS NULL OR h.cents + EXCLUDED.cents <= max_cents[i])
            RETURNING 1 AS x
        ), res AS (
            UPDATE categories c
               SET available_cents = c.available_cents - amounts[i], reserved_cents = c.reserved_cents + amounts[i]
             WHERE c.programme_id = programmes[i] AND c.code = codes[i] AND c.available_cents >= amounts[i]
               AND fcfs[i] AND EXISTS (SELECT 1 FROM hold)
            RETURNING c.budget_cents, c.available_cents, c.reserved_cents, c.redeemed_cents, c.voucher_amount_cents,
                      c.alerted_pct
        ), outcome AS (
            SELECT EXISTS (SELECT 1 FROM res) AS reserved
        ), app AS (
            INSERT INTO applications (id, programme_id, category, participant_id, course_id, provider_id,
                amount_cents, submitted_by_role, submitted_by, employer_id, employer_size, target_groups,
                initial_status, initial_reserved, status, reserved, voucher_id, issued_at, submitted_at)
            SELECT ids[i], programmes[i], codes[i], people[i], courses[i], providers[i], amounts[i], roles[i],
                   principals[i], employers[i], sizes[i], string_to_array(groups[i], ','),
                   s.status, o.reserved, s.status, o.reserved,
                   CASE WHEN s.status = 'voucher_issued' THEN vouchers[i] END,
                   CASE WHEN s.status = 'voucher_issued' THEN ats[i] END, ats[i]
              FROM hold, outcome o,
                   LATERAL (SELECT CASE WHEN o.reserved THEN reserved_statuses[i] ELSE unreserved_statuses[i] END
                            AS status) s
            RETURNING 1
        ), led AS (
            INSERT INTO ledger (programme_id, category, kind, application_id, amount_cents, d_budget, d_available,
                d_reserved, d_redeemed, budget_after, available_after, actor)
            SELECT programmes[i], codes[i], 'reserve', ids[i], amounts[i], 0, -amounts[i], amounts[i], 0,
                   r.budget_cents, r.available_cents, roles[i]
              FROM res r
        ), events AS (
            INSERT INTO outbox (id, subject, payload)
            SELECT e.id, e.subject, e.payload
              FROM unnest(event_ids[events_from[i]:events_to[i]], event_subjects[events_from[i]:events_to[i]],
                          event_payloads[events_from[i]:events_to[i]],
                          event_when_reserved[events_from[i]:events_to[i]]) WITH ORDINALITY
                   AS e(id, subject, payload, when_reserved, k), outcome o
             WHERE EXISTS (SELECT 1 FROM hold) AND e.when_reserved = o.reserved
             ORDER BY e.k
        )
        SELECT (SELECT count(*) FROM go) > 0, (SELECT count(*) FROM hold) > 0, r.budget_cents, r.available_cents,
               r.reserved_cents, r.redeemed_cents, r.voucher_amount_cents, r.alerted_pct
          INTO fresh, held, budget_cents, available_cents, reserved_cents, redeemed_cents, voucher_amount_cents,
               alerted_pct
          FROM (SELECT 1) one LEFT JOIN res r ON true;
        RETURN NEXT;
    END LOOP;
END $$;
