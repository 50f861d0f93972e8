-- Employers and providers are organisations; only their contact persons are personal data.
CREATE TABLE employers (
    id                           uuid PRIMARY KEY,
    kvk_number                   text NOT NULL UNIQUE CHECK (kvk_number ~ '^\d{8}$'),
    name                         text NOT NULL,
    sector                       text NOT NULL,
    employee_count               integer NOT NULL CHECK (employee_count >= 0),
    size_class                   text NOT NULL,
    postcode                     text,
    postcode_area                text,
    city                         text,
    accredited_learning_company  boolean NOT NULL DEFAULT false,
    registered_by                text NOT NULL,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE employer_contacts (
    id           uuid PRIMARY KEY,
    employer_id  uuid NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
    name         text NOT NULL,
    email        text,
    phone        text,
    job_title    text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employer_contacts_employer ON employer_contacts (employer_id);

CREATE TABLE providers (
    id          uuid PRIMARY KEY,
    kvk_number  text NOT NULL UNIQUE CHECK (kvk_number ~ '^\d{8}$'),
    name        text NOT NULL,
    accredited  boolean NOT NULL DEFAULT false,
    account_id  text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE courses (
    id              uuid PRIMARY KEY,
    provider_id     uuid NOT NULL REFERENCES providers (id),
    title           text NOT NULL,
    price_cents     integer NOT NULL CHECK (price_cents >= 0),
    duration_hours  integer NOT NULL CHECK (duration_hours >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider_id, title)
);
