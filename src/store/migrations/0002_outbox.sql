-- Mail outbox (auth/outbox.c, auth/mailer.c). Every email is inserted here by the request
-- that causes it, inside that request's transaction, and delivered later by the mail worker.
-- Times are unix milliseconds.
--   next_attempt_at: when the row is next due. Claiming a row moves it forward (a lease), so
--     among instances sharing the database exactly one sends it; a failure sets it to the
--     back-off time, a crash leaves the lease to expire.
--   body: holds live links (tokens) until the message is sent; it is blanked then.
--   message_key: the random left part of the Message-ID, fixed at queue time so a retried
--     message keeps its identity.
CREATE TABLE outbox (
	id {{ID}},
	created_at BIGINT NOT NULL,
	recipient TEXT NOT NULL,
	purpose TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	message_key TEXT NOT NULL,
	attempts BIGINT NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	sent_at BIGINT,
	last_error TEXT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE sent_at IS NULL;
