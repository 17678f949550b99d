-- Accounts, sessions, events, rate-limit counters and single-use tokens.
-- Times are unix milliseconds. Secrets are stored only as hashes or sealed.
CREATE TABLE users (
	id TEXT PRIMARY KEY,
	email TEXT NOT NULL UNIQUE,
	email_verified BIGINT NOT NULL DEFAULT 0,
	password_hash TEXT,
	created_at BIGINT NOT NULL,
	disabled BIGINT NOT NULL DEFAULT 0,
	locked_down BIGINT NOT NULL DEFAULT 0,
	webauthn_handle {{BLOB}}
);

CREATE TABLE sessions (
	id TEXT PRIMARY KEY,
	token_hash {{BLOB}} NOT NULL UNIQUE,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	is_full BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	authenticated_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	sudo_at BIGINT NOT NULL,
	amr TEXT NOT NULL,
	failures BIGINT NOT NULL DEFAULT 0,
	ip TEXT,
	user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE events (
	id {{ID}},
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	type TEXT NOT NULL,
	at BIGINT NOT NULL,
	ip TEXT,
	user_agent TEXT,
	detail TEXT NOT NULL
);
CREATE INDEX events_user ON events(user_id, at);

CREATE TABLE rate_events (
	id {{ID}},
	bucket TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket ON rate_events(bucket, at);

CREATE TABLE tokens (
	hash {{BLOB}} PRIMARY KEY,
	purpose TEXT NOT NULL,
	user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
	email TEXT,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT
);
CREATE INDEX tokens_user ON tokens(user_id);
