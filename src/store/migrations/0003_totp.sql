-- TOTP enrolments, unconfirmed set-ups and recovery codes (auth/totp2fa.c,
-- auth/recovery_codes.c). Times are unix milliseconds. Secrets are sealed with the server
-- key (lk_secretbox_seal, associated data = the user id); recovery codes are kept only as
-- HMAC digests.
--   alg: 1 SHA1, 2 SHA256, 3 SHA512 (enum lk_totp_alg); digits and period_s are those in
--     force at set-up, so later option changes do not break an enrolment (API-NOTES 74).
--   last_step: the last accepted time step; a code for it or an earlier one is a replay.
--   last_offset: the offset (accepted step - current step) of the last accepted code;
--   drift: the learnt widening of the window, -2..2 steps (RFC 6238 section 6).
CREATE TABLE totp (
	user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	secret_sealed {{BLOB}} NOT NULL,
	alg BIGINT NOT NULL,
	digits BIGINT NOT NULL,
	period_s BIGINT NOT NULL,
	last_step BIGINT NOT NULL,
	last_offset BIGINT NOT NULL DEFAULT 0,
	drift BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

CREATE TABLE totp_setup (
	user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	secret_sealed {{BLOB}} NOT NULL,
	alg BIGINT NOT NULL,
	digits BIGINT NOT NULL,
	period_s BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
	id {{ID}},
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	digest {{BLOB}} NOT NULL,
	created_at BIGINT NOT NULL,
	used_at BIGINT
);
CREATE UNIQUE INDEX recovery_codes_digest ON recovery_codes(user_id, digest);
