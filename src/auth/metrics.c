/* metrics.c: request and login counters with a latency histogram, rendered in the
 * Prometheus text format. Counters are atomics: handlers run on several threads. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/app.h"
#include "auth/metrics.h"
#include "core/strbuf.h"

static const double bucket_s[LK_METRIC_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                   0.025,  0.05,  0.1,    0.5,   2.5};
static const char *const methods[8] = {"GET",   "HEAD",   "POST",    "PUT",
                                       "PATCH", "DELETE", "OPTIONS", "OTHER"};
static const char *const login_methods[LK_LM_COUNT] = {
    "password", "magic_link", "passkey", "totp", "recovery_code", "passkey_2fa", "recovery"};
static const char *const login_outcomes[LK_LO_COUNT] = {"success", "failure", "2fa_required",
                                                        "rate_limited"};

int64_t
lk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
lk_metrics_init(struct lk_metrics *m, const char *const *routes, int n)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < n && i < LK_METRIC_ROUTES - 1; i++) {
		m->routes[i].route = routes[i];
	}
	m->routes[LK_METRIC_ROUTES - 1].route = "unmatched";
}

static struct lk_route_metrics *
find_route(struct lk_metrics *m, const char *route)
{
	for (int i = 0; route && i < LK_METRIC_ROUTES - 1 && m->routes[i].route; i++) {
		if (m->routes[i].route == route || strcmp(m->routes[i].route, route) == 0) {
			return &m->routes[i];
		}
	}
	return &m->routes[LK_METRIC_ROUTES - 1];
}

void
lk_metrics_request(struct lk_metrics *m, const char *route, const char *method, int status,
                   int64_t micros)
{
	struct lk_route_metrics *rm = find_route(m, route);
	int mi = 7, si = status / 100, b = 0;

	for (int i = 0; i < 7; i++) {
		if (method && strcmp(method, methods[i]) == 0) {
			mi = i;
		}
	}
	if (si < 1 || si > 5) {
		si = 5;
	}
	atomic_fetch_add(&rm->by_method_status[mi][si], 1);
	while (b < LK_METRIC_BUCKETS && micros > (int64_t)(bucket_s[b] * 1e6)) {
		b++;
	}
	atomic_fetch_add(&rm->buckets[b], 1);
	atomic_fetch_add(&rm->sum_us, (uint64_t)(micros > 0 ? micros : 0));
	atomic_fetch_add(&rm->count, 1);
}

void
lk_metrics_login(struct lk_metrics *m, enum lk_login_method method, enum lk_login_outcome outcome)
{
	atomic_fetch_add(&m->logins[method][outcome], 1);
}

char *
lk_metrics_render(struct lk_metrics *m)
{
	struct lk_strbuf b = {0};

	lk_strbuf_printf(&b, "# HELP latchkey_up 1 while the server runs.\n# TYPE latchkey_up "
	                     "gauge\nlatchkey_up 1\n");
	lk_strbuf_printf(
	    &b, "# HELP latchkey_http_requests_total HTTP requests by method, route and status.\n"
	        "# TYPE latchkey_http_requests_total counter\n");
	for (int i = 0; i < LK_METRIC_ROUTES; i++) {
		struct lk_route_metrics *rm = &m->routes[i];
		if (!rm->route) {
			continue;
		}
		for (int mi = 0; mi < 8; mi++) {
			for (int si = 1; si <= 5; si++) {
				uint64_t v = atomic_load(&rm->by_method_status[mi][si]);
				if (v) {
					lk_strbuf_printf(
					    &b,
					    "latchkey_http_requests_total{method=\"%s\",route=\"%"
					    "s\","
					    "status=\"%dxx\"} %llu\n",
					    methods[mi], rm->route, si, (unsigned long long)v);
				}
			}
		}
	}
	lk_strbuf_printf(&b,
	                 "# HELP latchkey_http_request_duration_seconds Time to answer, by route.\n"
	                 "# TYPE latchkey_http_request_duration_seconds histogram\n");
	for (int i = 0; i < LK_METRIC_ROUTES; i++) {
		struct lk_route_metrics *rm = &m->routes[i];
		uint64_t cum = 0;
		if (!rm->route || atomic_load(&rm->count) == 0) {
			continue;
		}
		for (int k = 0; k < LK_METRIC_BUCKETS; k++) {
			cum += atomic_load(&rm->buckets[k]);
			lk_strbuf_printf(
			    &b,
			    "latchkey_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
			    "%llu\n",
			    rm->route, bucket_s[k], (unsigned long long)cum);
		}
		lk_strbuf_printf(
		    &b,
		    "latchkey_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
		    "latchkey_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
		    "latchkey_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		    rm->route, (unsigned long long)atomic_load(&rm->count), rm->route,
		    (double)atomic_load(&rm->sum_us) / 1e6, rm->route,
		    (unsigned long long)atomic_load(&rm->count));
	}
	lk_strbuf_printf(&b,
	                 "# HELP latchkey_logins_total Sign-in attempts by method and outcome.\n"
	                 "# TYPE latchkey_logins_total counter\n");
	for (int i = 0; i < LK_LM_COUNT; i++) {
		for (int o = 0; o < LK_LO_COUNT; o++) {
			lk_strbuf_printf(
			    &b, "latchkey_logins_total{method=\"%s\",outcome=\"%s\"} %llu\n",
			    login_methods[i], login_outcomes[o],
			    (unsigned long long)atomic_load(&m->logins[i][o]));
		}
	}
	return lk_strbuf_take(&b, NULL);
}
