-- Weng-Lin (Plackett-Luce) skill per player, updated by every verified race of two or more.
CREATE TABLE results.ratings (
    player_id bigint PRIMARY KEY,
    mu double precision NOT NULL,
    sigma double precision NOT NULL CHECK (sigma > 0),
    rated_races integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
