/* backend.h: what store.c shares with the back ends (sqlite.c, postgres.c) and nobody else:
 * the ops tables, the per-engine dialect the migration runner needs, the per-thread
 * connection registry, the statement cache size and the error log line. Not for the flows:
 * they include store.h only. */
#ifndef LK_STORE_BACKEND_H
#define LK_STORE_BACKEND_H

#include <pthread.h>
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

/* A back end's connections: one per thread, made by the back end on the thread's first use,
 * closed when the thread exits or the store closes. A back end's connection struct begins
 * with struct lk_conn. */
struct lk_connreg;

struct lk_conn {
	struct lk_connreg *reg;
	struct lk_conn *prev, *next;
};

struct lk_connreg {
	pthread_key_t key;
	pthread_mutex_t mu; /* guards head */
	struct lk_conn *head;
	void (*close)(struct lk_conn *c); /* the back end's: frees c */
};

/* LK_OK, or LK_E_NOMEM (nothing to undo). */
int lk_connreg_init(struct lk_connreg *r, void (*close)(struct lk_conn *c));
/* This thread's connection, or NULL before it made one. */
struct lk_conn *lk_connreg_mine(struct lk_connreg *r);
/* Makes c, just made, this thread's connection. LK_OK, or LK_E_NOMEM (c is not kept: the
 * caller closes it). */
int lk_connreg_adopt(struct lk_connreg *r, struct lk_conn *c);
/* Closes every connection and forgets the thread key. Call it only once no thread uses
 * the store any more (a later use would find no connection and have no registry). */
void lk_connreg_fini(struct lk_connreg *r);

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
