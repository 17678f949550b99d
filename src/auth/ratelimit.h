/* ratelimit.h: sliding-window limits over per-event timestamps kept in the store, so
 * every instance sharing the database enforces the same limit (API-NOTES 127). */
#ifndef LK_RATELIMIT_H
#define LK_RATELIMIT_H

#include <stdint.h>

#include "auth/app.h"

/* The windows of API.md "Rate limits". */
#define LK_RATE_HOUR_MS  (3600LL * 1000)
#define LK_RATE_15MIN_MS (15LL * 60 * 1000)

/* LK_E_LOCKED when bucket already holds limit events within window_ms before now; then
 * *retry_s is the whole seconds (>= 1) until one leaves. limit 0 never refuses. */
int lk_rate_check(struct lk_app *app, const char *bucket, int limit, int64_t window_ms, int64_t now,
                  int64_t *retry_s);
/* Check and count in one decision, for limits that count attempts (login): when fewer
 * than limit events lie in bucket within window_ms before now, records one and sets *slot to
 * its id (LK_OK); else LK_E_LOCKED with *retry_s as lk_rate_check. limit 0 never refuses but
 * still records. Concurrent takers of one bucket, in this process or in other instances on
 * the same database, are serialised on the bucket's rate_heads row, so at most limit of them
 * get a slot. Runs its own transaction: not for use inside lk_db_begin. */
int lk_rate_take(struct lk_app *app, const char *bucket, int limit, int64_t window_ms, int64_t now,
                 int64_t *slot, int64_t *retry_s);
/* Gives back a slot of lk_rate_take (the attempt turned out not to count). slot 0: nothing. */
int lk_rate_release(struct lk_app *app, int64_t slot);
/* Counts one event in bucket. */
int lk_rate_hit(struct lk_app *app, const char *bucket, int64_t now);
/* Number of events in bucket within the window. */
int lk_rate_count(struct lk_app *app, const char *bucket, int64_t window_ms, int64_t now,
                  int64_t *count);

/* The budgets of a request that may send email (magic links, account recovery; API.md
 * "Rate limits"): past the address limit LK_E_LOCKED with *retry_s set (not counted);
 * then the per-email budget, which counts every accepted request, account or not, and
 * past which *within is 0 (answer as usual, send nothing); then, for a request within it,
 * the feature's budget for all emails together (cfg.rate_mail_global an hour), past which
 * *within is 0 too. prefix keeps each feature's budgets apart ("magic", "recovery"); email
 * is normalised. */
int lk_rate_mail_admit(struct lk_app *app, const char *prefix, const char *ip, const char *email,
                       int64_t now, int *within, int64_t *retry_s);

#endif
