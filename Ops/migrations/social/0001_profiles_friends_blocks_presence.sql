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
