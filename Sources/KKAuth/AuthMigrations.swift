import KKPostgres

/// The auth schema's migrations, in version order. Each is the SQL text of one versioned change
/// (statements end with `;` at the end of a line), the same text as its file
/// `Ops/migrations/auth/<version>_<name>.sql` (`MigrationFilesTests` keeps them identical). The
/// binary carries them rather than reading resource files, so that a deployed `kk-services`
/// needs nothing beside it (a missing resource bundle would stop the process at start).
public enum AuthMigrations {
    public static let schema = "auth"

    public static let all: [Migration] = [
        Migration(version: 1, name: "accounts_devices_sessions", sql: """
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
            """),
        Migration(version: 2, name: "email_credentials", sql: """
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
            """),
        Migration(version: 3, name: "login_failures", sql: """
            -- Failed logins per key (an email, lower case) in the current window: the login rate limit,
            -- shared by every kk-services instance.
            CREATE TABLE auth.login_failures (
                key text PRIMARY KEY,
                window_start timestamptz NOT NULL,
                failures integer NOT NULL
            );
            """),
        Migration(version: 4, name: "session_devices", sql: """
            -- The device a session logged in from (device logins), so unlinking the device ends it.
            ALTER TABLE auth.sessions ADD COLUMN device_id text;
            CREATE INDEX sessions_device ON auth.sessions (device_id) WHERE device_id IS NOT NULL;
            """),
    ]

    public static func set() throws(PostgresStoreError) -> MigrationSet {
        try MigrationSet(schema: schema, migrations: all)
    }
}
