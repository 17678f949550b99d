/* metrics.h: Prometheus counters kept in memory with atomics (per instance, as
 * Prometheus expects). */
#ifndef LK_METRICS_H
#define LK_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#define LK_METRIC_ROUTES  64
#define LK_METRIC_BUCKETS 10

enum lk_login_method {
	LK_LM_PASSWORD,
	LK_LM_MAGIC_LINK,
	LK_LM_PASSKEY,
	LK_LM_TOTP,
	LK_LM_RECOVERY_CODE,
	LK_LM_PASSKEY_2FA,
	LK_LM_RECOVERY,
	LK_LM_COUNT
};
enum lk_login_outcome {
	LK_LO_SUCCESS,
	LK_LO_FAILURE,
	LK_LO_2FA_REQUIRED,
	LK_LO_RATE_LIMITED,
	LK_LO_COUNT
};

struct lk_route_metrics {
	const char *route;             /* pattern; NULL for a free slot */
	_Atomic uint64_t by_status[6]; /* 1xx..5xx by first digit, [0] unused */
	_Atomic uint64_t by_method_status[8][6];
	_Atomic uint64_t buckets[LK_METRIC_BUCKETS + 1];
	_Atomic uint64_t sum_us;
	_Atomic uint64_t count;
};

struct lk_metrics {
	struct lk_route_metrics routes[LK_METRIC_ROUTES];
	_Atomic uint64_t logins[LK_LM_COUNT][LK_LO_COUNT];
};

/* Registers the route patterns once at start (not thread-safe; before serving). */
void lk_metrics_init(struct lk_metrics *m, const char *const *routes, int n);
void lk_metrics_request(struct lk_metrics *m, const char *route, const char *method, int status,
                        int64_t micros);
void lk_metrics_login(struct lk_metrics *m, enum lk_login_method method,
                      enum lk_login_outcome outcome);
/* The Prometheus text exposition; caller frees. */
char *lk_metrics_render(struct lk_metrics *m);

#endif
