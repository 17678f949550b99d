-- Account recovery when every factor is lost, and the devices an account has signed in from
-- (auth/account_recovery.c, auth/notify.c). Lockdown links live in tokens (purpose
-- 'lockdown'); the lock itself is users.locked_down. Times are unix milliseconds.
--   request_hash: SHA-256 of R, the token of the recovery email (starts within start_by,
--     completes from completes_at until completes_at + 7 days).
--   cancel_hash: SHA-256 of C, the cancel token of the "recovery started" notice.
--   cancel_reason: link, sign-in, superseded (another recovery started) or lockdown.
CREATE TABLE recoveries (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	request_hash {{BLOB}} NOT NULL UNIQUE,
	cancel_hash {{BLOB}} UNIQUE,
	requested_at BIGINT NOT NULL,
	start_by BIGINT NOT NULL,
	started_at BIGINT,
	completes_at BIGINT,
	cancelled_at BIGINT,
	cancel_reason TEXT,
	completed_at BIGINT
);
CREATE INDEX recoveries_user ON recoveries(user_id);

-- A device is the SHA-256 of the client address and user agent of a full sign-in.
CREATE TABLE known_devices (
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	device_hash {{BLOB}} NOT NULL,
	first_seen_at BIGINT NOT NULL,
	PRIMARY KEY (user_id, device_hash)
);
