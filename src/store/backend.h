/* backend.h: what store.c shares with the back ends (sqlite.c, postgres.c) and nobody else:
 * the ops tables, the per-engine dialect the migration runner needs, the statement cache
 * size and the error log line. Not for the flows: they include store.h only. */
#ifndef LK_STORE_BACKEND_H
#define LK_STORE_BACKEND_H

#include <stdint.h>

#include "store/store.h"

/* Prepared statements kept per connection (least recently used one evicted beyond it): the
 * flows use a few dozen distinct statements, each many times. */
#define LK_STORE_STMT_CACHE 64

struct lk_store_dialect {
	const char *id_type;   /* what {{ID}} becomes */
	const char *blob_type; /* what {{BLOB}} becomes */
	/* Runs a text of one or more statements without parameters on this thread's
	 * connection, inside the caller's transaction. */
	int (*script)(struct lk_store *s, const char *sql);
	/* Held around the whole run so that processes starting at once do not interleave;
	 * NULL when the per-migration transaction is lock enough (sqlite BEGIN IMMEDIATE). */
	int (*lock)(struct lk_store *s);
	void (*unlock)(struct lk_store *s);
};

extern const struct lk_store_ops lk_sqlite_ops;
extern const struct lk_store_dialect lk_sqlite_dialect;
extern const struct lk_store_ops lk_pg_ops;
extern const struct lk_store_dialect lk_pg_dialect;

/* Writes one line "store.error engine=<engine> what=<what> msg=<msg>" to stderr. msg is
 * the engine's primary message only (never parameter values). */
void lk_store_log(const char *engine, const char *what, const char *msg);

/* FNV-1a 64 of a NUL-terminated string: the statement caches' key. */
uint64_t lk_store_hash(const char *s);

#endif
