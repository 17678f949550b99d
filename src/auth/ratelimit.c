/* ratelimit.c: sliding windows in the rate_events table. lk_rate_check + lk_rate_hit is a
 * read then a write (fine for counting outcomes after the fact); lk_rate_take decides and
 * counts at once, serialised per bucket through rate_heads, for limits that must hold under
 * parallel requests to several instances. */
#include "auth/ratelimit.h"
#include "core/limits.h"
#include "core/rc.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

/* Old rows are pruned on the way: nothing here needs more than a day. */
#define RATE_KEEP_MS (24LL * 3600 * 1000)

int
lk_rate_count(struct lk_app *app, const char *bucket, int64_t window_ms, int64_t now,
              int64_t *count)
{
	*count = 0;
	struct lk_val p[] = {LK_TEXT(bucket), LK_INT(now - window_ms)};
	return lk_db_int(app->store,
	                 "SELECT COUNT(*) FROM rate_events WHERE bucket = ?1 AND at > ?2", p, 2,
	                 count);
}

int
lk_rate_check(struct lk_app *app, const char *bucket, int limit, int64_t window_ms, int64_t now,
              int64_t *retry_s)
{
	int64_t count = 0, oldest = -1;
	int rc;

	*retry_s = 0;
	if (limit <= 0) {
		return LK_OK;
	}
	if ((rc = lk_rate_count(app, bucket, window_ms, now, &count)) != LK_OK) {
		return rc;
	}
	if (count < limit) {
		return LK_OK;
	}
	/* The event whose leaving brings the count under the limit: the (count-limit)th
	 * oldest inside the window. */
	struct lk_val p[] = {LK_TEXT(bucket), LK_INT(now - window_ms), LK_INT(count - limit)};
	rc = lk_db_int(app->store,
	               "SELECT at FROM rate_events WHERE bucket = ?1 AND at > ?2 ORDER BY at ASC "
	               "LIMIT 1 OFFSET ?3",
	               p, 3, &oldest);
	if (rc != LK_OK && rc != LK_E_NOTFOUND) {
		return rc;
	}
	*retry_s = oldest < 0 ? 1 : (oldest + window_ms - now + 999) / 1000;
	if (*retry_s < 1) {
		*retry_s = 1;
	}
	return LK_E_LOCKED;
}

int
lk_rate_take(struct lk_app *app, const char *bucket, int limit, int64_t window_ms, int64_t now,
             int64_t *slot, int64_t *retry_s)
{
	int64_t id = 0;
	int rc;

	*slot = 0;
	*retry_s = 0;
	if ((rc = lk_db_begin(app->store)) != LK_OK) {
		return rc;
	}
	/* The bucket's row first: a concurrent taker waits here until this one commits, and
	 * the next statement (a fresh snapshot on PostgreSQL) then counts its event. */
	struct lk_val h[] = {LK_TEXT(bucket), LK_INT(now)};
	rc = lk_db_exec(
	    app->store,
	    "INSERT INTO rate_heads (bucket, at) VALUES (?1, ?2) ON CONFLICT (bucket) DO "
	    "UPDATE SET at = excluded.at",
	    h, 2, NULL, NULL, NULL);
	if (rc == LK_OK) {
		struct lk_val p[] = {LK_TEXT(bucket), LK_INT(now), LK_INT(now - window_ms),
		                     LK_INT(limit > 0 ? limit : INT64_MAX)};
		rc = lk_db_int(app->store,
		               "INSERT INTO rate_events (bucket, at) SELECT CAST(?1 AS TEXT), "
		               "CAST(?2 AS BIGINT) WHERE (SELECT COUNT(*) FROM rate_events WHERE "
		               "bucket = ?1 AND at > ?3) < ?4 RETURNING id",
		               p, 4, &id);
		if (rc == LK_E_NOTFOUND) {
			rc = LK_OK; /* over the limit: no row inserted, id stays 0 */
		}
	}
	if (rc != LK_OK) {
		lk_db_rollback(app->store);
		return rc;
	}
	if ((rc = lk_db_commit(app->store)) != LK_OK) {
		return rc;
	}
	if (id > 0) {
		*slot = id;
		if (now % 64 == 0) {
			struct lk_val q[] = {LK_INT(now - RATE_KEEP_MS)};
			lk_db_exec(app->store, "DELETE FROM rate_heads WHERE at < ?1", q, 1, NULL,
			           NULL, NULL);
		}
		return LK_OK;
	}
	/* refused: the same Retry-After as lk_rate_check */
	if (lk_rate_check(app, bucket, limit, window_ms, now, retry_s) != LK_E_LOCKED) {
		*retry_s = 1;
	}
	return LK_E_LOCKED;
}

int
lk_rate_release(struct lk_app *app, int64_t slot)
{
	if (slot <= 0) {
		return LK_OK;
	}
	struct lk_val p[] = {LK_INT(slot)};
	return lk_db_exec(app->store, "DELETE FROM rate_events WHERE id = ?1", p, 1, NULL, NULL,
	                  NULL);
}

int
lk_rate_hit(struct lk_app *app, const char *bucket, int64_t now)
{
	int rc;

	struct lk_val p[] = {LK_TEXT(bucket), LK_INT(now)};
	rc = lk_db_exec(app->store, "INSERT INTO rate_events (bucket, at) VALUES (?1, ?2)", p, 2,
	                NULL, NULL, NULL);
	if (rc == LK_OK && now % 64 == 0) {
		struct lk_val q[] = {LK_INT(now - RATE_KEEP_MS)};
		lk_db_exec(app->store, "DELETE FROM rate_events WHERE at < ?1", q, 1, NULL, NULL,
		           NULL);
	}
	return rc;
}

int
lk_rate_mail_admit(struct lk_app *app, const char *prefix, const char *ip, const char *email,
                   int64_t now, int *within, int64_t *retry_s)
{
	char bucket[LK_MAX_EMAIL + 64];
	int64_t slot = 0, wait = 0;
	int rc;

	*within = 1;
	snprintf(bucket, sizeof(bucket), "%s-ip:%s", prefix, ip);
	if ((rc = lk_rate_take(app, bucket, app->cfg.rate_mail_ip, LK_RATE_HOUR_MS, now, &slot,
	                       retry_s)) != LK_OK) {
		return rc;
	}
	snprintf(bucket, sizeof(bucket), "%s-email:%s", prefix, email);
	rc =
	    lk_rate_take(app, bucket, app->cfg.rate_mail_email, LK_RATE_HOUR_MS, now, &slot, &wait);
	if (rc == LK_E_LOCKED) {
		/* a flood keeps the address quiet: requests past the budget still count */
		rc = lk_rate_hit(app, bucket, now);
		*within = 0;
		return rc;
	}
	if (rc != LK_OK) {
		return rc;
	}
	/* SECURITY-PROBES P-123: many addresses from many clients still send at most this
	 * many an hour, so the server is no mail cannon and the outbox stays bounded */
	snprintf(bucket, sizeof(bucket), "%s-all", prefix);
	rc = lk_rate_take(app, bucket, app->cfg.rate_mail_global, LK_RATE_HOUR_MS, now, &slot,
	                  &wait);
	if (rc == LK_E_LOCKED) {
		*within = 0;
		rc = LK_OK;
	}
	return rc;
}
