/* app.h: what every flow needs: the settings, the store, the server key, the mailer and
 * the metrics. One per server process, shared by all worker threads (read-only after
 * start, apart from the metrics' atomic counters). */
#ifndef LK_APP_H
#define LK_APP_H

#include <stdint.h>

#include "auth/config.h"
#include "auth/metrics.h"

struct lk_store;
struct lk_serverkey;
struct lk_mailer;

struct lk_app {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_serverkey *key;
	struct lk_mailer *mailer;
	struct lk_metrics metrics;
};

/* Wall-clock unix milliseconds: the one clock of the server. */
int64_t lk_now_ms(void);

#endif
