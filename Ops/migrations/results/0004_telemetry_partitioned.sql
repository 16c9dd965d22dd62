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
