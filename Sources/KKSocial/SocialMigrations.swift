import KKPostgres

/// The social schema's migrations (see ``AuthMigrations`` for the conventions). Accounts are
/// the auth service's ids; the schema does not reference auth's tables (the services may live in
/// separate databases): a player exists here once they have a profile.
public enum SocialMigrations {
    public static let schema = "social"

    public static let all: [Migration] = [
        Migration(version: 1, name: "profiles_friends_blocks_presence", sql: """
            -- Display names (unique without case), friend requests and friendships, blocks, presence.
            CREATE TABLE social.profiles (
                account_id bigint PRIMARY KEY CHECK (account_id > 0),
                display_name text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE UNIQUE INDEX profiles_name ON social.profiles (lower(display_name));
            CREATE TABLE social.friend_requests (
                from_account bigint NOT NULL,
                to_account bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (from_account, to_account),
                CHECK (from_account <> to_account)
            );
            CREATE INDEX friend_requests_to ON social.friend_requests (to_account);
            CREATE TABLE social.friendships (
                a bigint NOT NULL,
                b bigint NOT NULL,
                since timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (a, b),
                CHECK (a < b)
            );
            CREATE INDEX friendships_b ON social.friendships (b);
            CREATE TABLE social.blocks (
                blocker bigint NOT NULL,
                blocked bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (blocker, blocked),
                CHECK (blocker <> blocked)
            );
            CREATE INDEX blocks_blocked ON social.blocks (blocked);
            CREATE TABLE social.presence (
                account_id bigint PRIMARY KEY,
                state text NOT NULL CHECK (state IN ('online', 'lobby', 'racing')),
                match_id bigint,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            """),
        Migration(version: 2, name: "parties", sql: """
            -- Parties of up to 8 (a member is in one party at most), and invitations to them.
            CREATE TABLE social.parties (
                id bigserial PRIMARY KEY,
                leader bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE social.party_members (
                account_id bigint PRIMARY KEY,
                party_id bigint NOT NULL REFERENCES social.parties (id) ON DELETE CASCADE,
                joined_at timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            CREATE INDEX party_members_party ON social.party_members (party_id);
            CREATE TABLE social.party_invites (
                party_id bigint NOT NULL REFERENCES social.parties (id) ON DELETE CASCADE,
                account_id bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (party_id, account_id)
            );
            CREATE INDEX party_invites_account ON social.party_invites (account_id);
            """),
    ]

    public static func set() throws(PostgresStoreError) -> MigrationSet {
        try MigrationSet(schema: schema, migrations: all)
    }
}
