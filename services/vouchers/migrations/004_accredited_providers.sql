-- A programme may pay only for courses of accredited providers (STAP lost millions to courses
-- nobody attended; France's CPF cut fraud by paying certified providers only). The read model
-- knows each provider's accreditation from intake's provider.registered events.
ALTER TABLE programmes ADD COLUMN accredited_providers_only boolean NOT NULL DEFAULT false;
