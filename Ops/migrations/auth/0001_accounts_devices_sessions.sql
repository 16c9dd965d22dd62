-- Accounts, the devices that log in to them, and revocable sessions (one per login).
CREATE TABLE auth.accounts (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE auth.devices (
    device_id text PRIMARY KEY CHECK (length(device_id) BETWEEN 8 AND 128),
    account_id bigint NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_account ON auth.devices (account_id);
CREATE TABLE auth.sessions (
    id uuid PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
    refresh_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_account ON auth.sessions (account_id);
