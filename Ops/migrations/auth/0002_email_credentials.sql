-- Email + password credentials of an account (one per account; emails unique without case).
CREATE TABLE auth.credentials (
    account_id bigint PRIMARY KEY REFERENCES auth.accounts (id) ON DELETE CASCADE,
    email text NOT NULL,
    params text NOT NULL,
    salt bytea NOT NULL,
    hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX credentials_email ON auth.credentials (lower(email));
