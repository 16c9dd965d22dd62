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
