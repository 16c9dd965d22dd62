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
