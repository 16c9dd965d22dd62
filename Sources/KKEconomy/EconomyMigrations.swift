import KKPostgres

/// The economy schema's migrations (see ``AuthMigrations`` for the conventions): wallets whose
/// balance can never go below zero (CHECK, and every change under the wallet's row lock), an
/// append-only ledger (a trigger refuses UPDATE, DELETE and TRUNCATE) with one unique
/// idempotency key per operation, the store's catalog and each player's inventory.
public enum EconomyMigrations {
    public static let schema = "economy"

    public static let all: [Migration] = [
        Migration(version: 1, name: "wallets_ledger_catalog_inventory", sql: """
            -- Soft currency: one wallet per account, changed only together with a ledger row.
            CREATE TABLE economy.wallets (
                account_id bigint PRIMARY KEY CHECK (account_id > 0),
                balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            -- Every change of a balance, never updated or deleted; a refund is a new row reversing one.
            CREATE TABLE economy.ledger (
                id bigserial PRIMARY KEY,
                account_id bigint NOT NULL REFERENCES economy.wallets (account_id),
                idempotency_key text NOT NULL UNIQUE,
                kind text NOT NULL CHECK (kind IN ('grant', 'reward', 'purchase', 'refund')),
                amount bigint NOT NULL CHECK (amount <> 0),
                balance_after bigint NOT NULL CHECK (balance_after >= 0),
                item text,
                reverses bigint UNIQUE REFERENCES economy.ledger (id),
                reason text,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX ledger_account ON economy.ledger (account_id, id);
            CREATE FUNCTION economy.ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'economy.ledger is append-only (% refused)', TG_OP; END $$;
            CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON economy.ledger FOR EACH ROW EXECUTE FUNCTION economy.ledger_is_append_only();
            CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON economy.ledger FOR EACH STATEMENT EXECUTE FUNCTION economy.ledger_is_append_only();
            -- What the store sells; a null price is an item everyone owns from the start.
            CREATE TABLE economy.catalog (
                item text PRIMARY KEY CHECK (item ~ '^[a-z0-9][a-z0-9._-]{0,47}$'),
                kind text NOT NULL CHECK (kind IN ('kart', 'skin')),
                name text NOT NULL,
                price bigint CHECK (price > 0),
                active boolean NOT NULL DEFAULT true
            );
            INSERT INTO economy.catalog (item, kind, name, price) VALUES
                ('kart.standard', 'kart', 'Standard', NULL),
                ('skin.red', 'skin', 'Red', NULL),
                ('kart.drifter', 'kart', 'Drifter', 500),
                ('kart.heavy', 'kart', 'Heavy', 800),
                ('skin.neon', 'skin', 'Neon', 250),
                ('skin.carbon', 'skin', 'Carbon', 400),
                ('skin.gold', 'skin', 'Gold', 1200);
            CREATE TABLE economy.inventory (
                account_id bigint NOT NULL,
                item text NOT NULL REFERENCES economy.catalog (item),
                ledger_id bigint NOT NULL REFERENCES economy.ledger (id),
                acquired_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (account_id, item)
            );
            """),
    ]

    public static func set() throws(PostgresStoreError) -> MigrationSet {
        try MigrationSet(schema: schema, migrations: all)
    }
}
