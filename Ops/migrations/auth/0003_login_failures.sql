-- Failed logins per key (an email, lower case) in the current window: the login rate limit,
-- shared by every kk-services instance.
CREATE TABLE auth.login_failures (
    key text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    failures integer NOT NULL
);
