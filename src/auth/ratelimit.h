/* ratelimit.h: sliding-window limits over per-event timestamps kept in the store, so
 * every instance sharing the database enforces the same limit (API-NOTES 127). */
#ifndef LK_RATELIMIT_H
#define LK_RATELIMIT_H

#include <stdint.h>

#include "auth/app.h"

/* LK_E_LOCKED when bucket already holds limit events within window_ms before now; then
 * *retry_s is the whole seconds (>= 1) until one leaves. limit 0 never refuses. */
int lk_rate_check(struct lk_app *app, const char *bucket, int limit, int64_t window_ms, int64_t now,
                  int64_t *retry_s);
/* Counts one event in bucket. */
int lk_rate_hit(struct lk_app *app, const char *bucket, int64_t now);
/* Number of events in bucket within the window. */
int lk_rate_count(struct lk_app *app, const char *bucket, int64_t window_ms, int64_t now,
                  int64_t *count);

#endif
