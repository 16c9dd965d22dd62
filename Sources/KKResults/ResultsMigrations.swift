import KKPostgres

/// The results schema's migrations (see ``AuthMigrations`` for the conventions). One row per
/// match, whoever reported it how many times (the primary key makes recording idempotent); the
/// entries by kart slot; the input log kept for ghosts and re-checks.
public enum ResultsMigrations {
    public static let schema = "results"

    public static let all: [Migration] = [
        Migration(version: 1, name: "matches_entries", sql: """
            -- Race results as the shards report them, verified by re-simulation (or not, with the reason).
            CREATE TABLE results.matches (
                match_id bigint PRIMARY KEY CHECK (match_id > 0),
                epoch bigint NOT NULL,
                shard text NOT NULL,
                track text NOT NULL,
                laps integer NOT NULL,
                ticks integer NOT NULL,
                verified boolean NOT NULL,
                unverified_reason text,
                input_log text,
                stream_id text NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX matches_recorded ON results.matches (recorded_at);
            CREATE TABLE results.entries (
                match_id bigint NOT NULL REFERENCES results.matches (match_id),
                slot integer NOT NULL,
                player_id bigint,
                place integer,
                finish_tick integer NOT NULL,
                status text NOT NULL,
                PRIMARY KEY (match_id, slot)
            );
            CREATE INDEX entries_player ON results.entries (player_id) WHERE player_id IS NOT NULL;
            """),
        Migration(version: 2, name: "stats_seasons_track_times", sql: """
            -- Per-player stats and per-track time leaderboards by season, from verified results only.
            -- A new season is a new row: the old seasons' boards stay as they were.
            CREATE TABLE results.seasons (
                id integer PRIMARY KEY CHECK (id > 0),
                name text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now()
            );
            INSERT INTO results.seasons (id, name) VALUES (1, 'Season 1');
            ALTER TABLE results.matches ADD COLUMN season integer NOT NULL DEFAULT 1 REFERENCES results.seasons (id);
            CREATE TABLE results.player_stats (
                player_id bigint PRIMARY KEY,
                races integer NOT NULL DEFAULT 0,
                finishes integer NOT NULL DEFAULT 0,
                wins integer NOT NULL DEFAULT 0,
                podiums integer NOT NULL DEFAULT 0,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE results.track_times (
                season integer NOT NULL REFERENCES results.seasons (id),
                track text NOT NULL,
                player_id bigint NOT NULL,
                best_ticks integer NOT NULL CHECK (best_ticks > 0),
                match_id bigint NOT NULL REFERENCES results.matches (match_id),
                set_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (season, track, player_id)
            );
            CREATE INDEX track_times_rank ON results.track_times (season, track, best_ticks, player_id);
            """),
        Migration(version: 3, name: "skill_ratings", sql: """
            -- Weng-Lin (Plackett-Luce) skill per player, updated by every verified race of two or more.
            CREATE TABLE results.ratings (
                player_id bigint PRIMARY KEY,
                mu double precision NOT NULL,
                sigma double precision NOT NULL CHECK (sigma > 0),
                rated_races integer NOT NULL DEFAULT 0,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            """),
        Migration(version: 4, name: "telemetry_partitioned", sql: """
            -- Per-match network figures by kart, copied in batches off the shards' telemetry stream,
            -- partitioned by month (drop a month's partition to forget it). The key holds the
            -- stream entry's time, so a batch copied twice adds nothing.
            CREATE TABLE results.telemetry (
                at timestamptz NOT NULL,
                match_id bigint NOT NULL,
                slot integer NOT NULL,
                epoch bigint NOT NULL,
                shard text NOT NULL,
                track text NOT NULL,
                player_id bigint,
                ticks integer NOT NULL,
                inputs_applied integer NOT NULL,
                inputs_late integer NOT NULL,
                inputs_duplicate integer NOT NULL,
                inputs_dropped integer NOT NULL,
                ticks_missing integer NOT NULL,
                rejoins integer NOT NULL,
                margin_mean_ticks real,
                margin_min_ticks integer,
                PRIMARY KEY (at, match_id, slot)
            ) PARTITION BY RANGE (at);
            CREATE INDEX telemetry_match ON results.telemetry (match_id);
            CREATE FUNCTION results.ensure_telemetry_partition(month date) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('CREATE TABLE IF NOT EXISTS results.%I PARTITION OF results.telemetry FOR VALUES FROM (%L) TO (%L)', 'telemetry_' || to_char(month, 'YYYY_MM'), month::text || ' 00:00:00+00', (month + interval '1 month')::date::text || ' 00:00:00+00'); END $$;
            SELECT results.ensure_telemetry_partition(date_trunc('month', now() AT TIME ZONE 'UTC')::date);
            """),
        Migration(version: 5, name: "track_time_counts", sql: """
            -- How many players hold each time on a board, kept with results.track_times in the same
            -- transaction: a player's rank is the sum of the counts of the faster times (a few
            -- thousand rows at most) plus the ties ahead, not a count over every faster player.
            CREATE TABLE results.track_time_counts (
                season integer NOT NULL,
                track text NOT NULL,
                best_ticks integer NOT NULL,
                n integer NOT NULL CHECK (n >= 0),
                PRIMARY KEY (season, track, best_ticks)
            );
            INSERT INTO results.track_time_counts (season, track, best_ticks, n)
                SELECT season, track, best_ticks, count(*) FROM results.track_times GROUP BY season, track, best_ticks;
            """),
        Migration(version: 6, name: "best_laps", sql: """
            -- Each player's best lap per season and track (line crossing to line crossing, timed by the
            -- verifying re-simulation), from verified races only.
            CREATE TABLE results.best_laps (
                season integer NOT NULL REFERENCES results.seasons (id),
                track text NOT NULL,
                player_id bigint NOT NULL,
                best_lap_ticks integer NOT NULL CHECK (best_lap_ticks > 0),
                match_id bigint NOT NULL REFERENCES results.matches (match_id),
                PRIMARY KEY (season, track, player_id)
            );
            """),
    ]

    public static func set() throws(PostgresStoreError) -> MigrationSet {
        try MigrationSet(schema: schema, migrations: all)
    }
}
