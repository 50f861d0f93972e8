-- The SQL functions of vouchers now live in R_functions.sql, a repeatable migration applied
-- again whenever it changes (see shared/db/migrations.py). Its apply_batch takes one array of
-- a composite type; drop migration 003's version, which took 28 parallel arrays.
DROP FUNCTION apply_batch(text[], text[], text[], uuid[], uuid[], uuid[], bigint[], integer[], bigint[], bigint[],
    text[], boolean[], uuid[], uuid[], text[], uuid[], text[], text[], uuid[], text[], text[], timestamptz[],
    integer[], integer[], uuid[], text[], bytea[], boolean[]);
