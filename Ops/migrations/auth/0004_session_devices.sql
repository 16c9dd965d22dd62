-- The device a session logged in from (device logins), so unlinking the device ends it.
ALTER TABLE auth.sessions ADD COLUMN device_id text;
CREATE INDEX sessions_device ON auth.sessions (device_id) WHERE device_id IS NOT NULL;
