-- An employer's name from intake's employer.registered / employer.updated, so that a participant
-- reading their own proposals (GET /proposals/mine) learns whom they were proposed to. An
-- organisation's registry name, not personal data. Employers that registered before this column
-- have no name here until intake tells of their next change.
ALTER TABLE employers ADD COLUMN name text;
