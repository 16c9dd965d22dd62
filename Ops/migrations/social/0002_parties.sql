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
