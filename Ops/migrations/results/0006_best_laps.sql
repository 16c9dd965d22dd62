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
