-- One row per rate-limit bucket (auth/ratelimit.c lk_rate_take): taking a slot first writes
-- the bucket's row, which serialises concurrent takers of one bucket on every instance
-- sharing the database (a row lock on PostgreSQL, the write lock on SQLite), so the count
-- that decides is never stale. at: the last take, for pruning.
CREATE TABLE rate_heads (
	bucket TEXT PRIMARY KEY,
	at BIGINT NOT NULL
);
