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
