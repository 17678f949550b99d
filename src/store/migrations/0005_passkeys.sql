-- WebAuthn passkeys and their ceremony challenges (auth/passkeys.c, auth/challenges.c).
-- Times are unix milliseconds. The user handle of an account is users.webauthn_handle
-- (32 random bytes, made at its first registration, never changed).
--   id: the credential id in base64url (canonical, unpadded): the API's passkey id; unique
--     over every account (API-NOTES 109).
--   public_key: the COSE_Key bytes exactly as the authenticator sent them; alg its COSE
--     algorithm. sign_count: the last non-zero counter seen (API-NOTES 105).
--   transports: a JSON array of strings from the registration response.
--   backup_eligible (BE) is fixed at registration; backed_up (BS) follows each assertion.
CREATE TABLE passkeys (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	public_key {{BLOB}} NOT NULL,
	alg BIGINT NOT NULL,
	sign_count BIGINT NOT NULL,
	transports TEXT NOT NULL,
	aaguid TEXT NOT NULL,
	fmt TEXT NOT NULL,
	backup_eligible BIGINT NOT NULL,
	backed_up BIGINT NOT NULL,
	name TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys(user_id, created_at);

-- Outstanding challenges: SHA-256 of the base64url challenge, its purpose (register,
-- login, second_factor, reauth), the session and the account it is bound to (NULL: none).
-- A row is deleted when used (DELETE ... RETURNING decides) and when it has expired.
CREATE TABLE webauthn_challenges (
	hash {{BLOB}} PRIMARY KEY,
	purpose TEXT NOT NULL,
	session_id TEXT REFERENCES sessions(id) ON DELETE CASCADE,
	user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges(expires_at);
CREATE INDEX webauthn_challenges_session ON webauthn_challenges(session_id);
CREATE INDEX webauthn_challenges_user ON webauthn_challenges(user_id);
