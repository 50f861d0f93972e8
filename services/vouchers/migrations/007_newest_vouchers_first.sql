-- A provider's vouchers are read a page at a time, newest or oldest first: one index serves
-- both directions (it replaces the one on provider_id alone, so filing writes no more indexes).
CREATE INDEX applications_provider_seq ON applications (provider_id, seq) WHERE voucher_id IS NOT NULL;
DROP INDEX applications_provider;
