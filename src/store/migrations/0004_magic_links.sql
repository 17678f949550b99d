-- Magic links (auth/magic_link.c, API.md "Magic links"). One row per link sent. Both secrets
-- are stored only as hashes: token_hash is the SHA-256 of the link's token; code_hash is an
-- HMAC-SHA-256 of the email and the 8-digit code under a key derived from secret.key, so a
-- stolen database does not let anyone try the 10^8 codes offline.
--   user_id: the account, or NULL for an unknown email under --magic-link-signup (the account
--     is created when the link is used).
--   redirect: the safe redirect given with the request, echoed when the link is used.
--   used_at: set by the one conditional UPDATE that spends the link (token or code alike).
--   code_tries: code attempts made against this row; at 5 the code is dead (the token lives on).
-- Times are unix milliseconds.
CREATE TABLE magic_links (
	id {{ID}},
	token_hash {{BLOB}} NOT NULL UNIQUE,
	code_hash {{BLOB}} NOT NULL,
	email TEXT NOT NULL,
	user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
	redirect TEXT,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT,
	code_tries BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX magic_links_email ON magic_links(email, expires_at);
CREATE INDEX magic_links_user ON magic_links(user_id);
