/* ratelimit.c: sliding windows in the rate_events table. */
#include "auth/ratelimit.h"
#include "core/rc.h"
#include "store/store.h"

#include <string.h>

/* Old rows are pruned on the way: nothing here needs more than a day. */
#define RATE_KEEP_MS (24LL * 3600 * 1000)

static int
int_row(void *arg, const struct lk_val *c, int n)
{
	if (n > 0 && c[0].type == LK_V_INT) {
		*(int64_t *)arg = c[0].i;
	}
	return 1;
}

int
lk_rate_count(struct lk_app *app, const char *bucket, int64_t window_ms, int64_t now,
              int64_t *count)
{
	*count = 0;
	struct lk_val p[] = {LK_TEXT(bucket), LK_INT(now - window_ms)};
	return lk_db_exec(app->store,
	                  "SELECT COUNT(*) FROM rate_events WHERE bucket = ?1 AND at > ?2", p, 2,
	                  int_row, count, NULL);
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
	rc = lk_db_exec(app->store,
	                "SELECT at FROM rate_events WHERE bucket = ?1 AND at > ?2 ORDER BY at ASC "
	                "LIMIT 1 OFFSET ?3",
	                p, 3, int_row, &oldest, NULL);
	if (rc != LK_OK) {
		return rc;
	}
	*retry_s = oldest < 0 ? 1 : (oldest + window_ms - now + 999) / 1000;
	if (*retry_s < 1) {
		*retry_s = 1;
	}
	return LK_E_LOCKED;
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
