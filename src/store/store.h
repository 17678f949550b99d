/* store.h: the one storage interface. A back end (sqlite.c, postgres.c) is a table of
 * functions, like SQLite's VFS; the flows in auth/ speak portable SQL through it, so every
 * rule lives in one statement that both engines run. Connections are per thread: a store
 * hands each worker thread its own connection on first use (closed when the thread exits,
 * and all of them by lk_store_close, which must come after the worker threads are joined).
 * Trust boundary: SQL text is ours (constants); parameter values may be untrusted and only
 * ever travel as bound parameters, never spliced into SQL.
 *
 * Portable SQL rules: placeholders are ?1, ?2, ... (the postgres back end rewrites them to
 * $1, $2, ...; a bare ? is refused); integers are 64-bit; text is UTF-8; blobs are bytes
 * (BYTEA / BLOB); time is unix milliseconds in BIGINT columns; use RETURNING and ON
 * CONFLICT, never read-then-write for single-use secrets or counters.
 * - Declare integer columns BIGINT (postgres INTEGER is 32-bit); booleans as BIGINT 0/1.
 *   No reserved words as names: postgres refuses e.g. full, user, order, limit, offset.
 * - Bind the type the column has: LK_INT for BIGINT, LK_TEXT for TEXT, LK_BLOB for {{BLOB}}.
 *   TEXT parameters must not contain NUL bytes (LK_E_INVAL on both engines).
 * - Where postgres cannot infer a parameter's type (SELECT ?1, ?1 IS NULL alone, arithmetic
 *   on two parameters), write CAST(?1 AS BIGINT) / CAST(?1 AS TEXT).
 * - Result columns come back as BIGINT/INTEGER/SMALLINT/BOOLEAN -> LK_V_INT, TEXT/VARCHAR ->
 *   LK_V_TEXT, BYTEA/BLOB -> LK_V_BLOB, NULL -> LK_V_NULL. Any other type (NUMERIC from
 *   postgres SUM(), REAL, timestamps) is LK_E_STORAGE: CAST(SUM(x) AS BIGINT). Name the
 *   columns you select (no SELECT *). A TEXT column value is NUL-terminated (p[len] == 0).
 * - *changes counts rows written by INSERT/UPDATE/DELETE (RETURNING included); 0 otherwise.
 * - Errors: LK_E_EXISTS for a UNIQUE or PRIMARY KEY violation (a normal outcome, not logged);
 *   LK_E_STORAGE for anything else the database refused (logged as store.error); a failed
 *   statement inside a transaction leaves it unusable until lk_db_rollback on postgres, so
 *   always roll back after an error. A failed commit has rolled back; rollback is idempotent.
 * - LK_E_INVAL: a call out of contract (a bare ?, params not matching ?1..?N, a NUL in
 *   TEXT, more than LK_MAX_SQL_PARAMS, several statements in one call).
 * - postgres gives a parameter one type: ?1 compared with a BIGINT and a TEXT column in the
 *   same statement fails there; use two parameters.
 * - One statement per lk_db_exec. Transactions only through lk_db_begin/commit/rollback,
 *   never by exec'ing BEGIN or COMMIT (the back ends track the state).
 * - Single-thread nesting works: a row callback may run other statements on the same store.
 *
 * Migrations: src/store/migrations/NNNN_name.sql, embedded, applied by lk_store_open in
 * version order, each in its own transaction, recorded in schema_migrations(version BIGINT
 * PRIMARY KEY, applied_at BIGINT). Several processes opening at once apply each one once
 * (sqlite: BEGIN IMMEDIATE; postgres: pg_advisory_lock). A file may hold several
 * statements separated by ";\n". Before running, the runner substitutes two tokens:
 *   {{ID}}   -> sqlite "INTEGER PRIMARY KEY AUTOINCREMENT", postgres "BIGSERIAL PRIMARY KEY"
 *   {{BLOB}} -> sqlite "BLOB", postgres "BYTEA"
 * Any other {{...}} token is refused (LK_E_INVAL). A migration, once released, never changes.
 *
 * URLs: "sqlite:/path/to/file.db" (file created mode 0600; WAL, foreign_keys=ON,
 * busy_timeout 5 s, synchronous=NORMAL) or "postgres://user:pass@host:port/db" (also
 * "postgresql://"; libpq URI syntax, query parameters such as sslmode allowed). */
#ifndef LK_STORE_H
#define LK_STORE_H

#include <stddef.h>
#include <stdint.h>

enum lk_val_type { LK_V_NULL = 0, LK_V_INT, LK_V_TEXT, LK_V_BLOB };

/* A parameter or a column value. For TEXT and BLOB, p/len borrow the caller's bytes (as a
 * parameter) or the back end's (as a column, valid only during the row callback). */
struct lk_val {
	enum lk_val_type type;
	int64_t i;
	const void *p;
	size_t len;
};

#define LK_INT(v)      ((struct lk_val){.type = LK_V_INT, .i = (v)})
#define LK_TEXT(s)     ((struct lk_val){.type = LK_V_TEXT, .p = (s), .len = strlen(s)})
#define LK_TEXTN(s, n) ((struct lk_val){.type = LK_V_TEXT, .p = (s), .len = (n)})
#define LK_BLOB(b, n)  ((struct lk_val){.type = LK_V_BLOB, .p = (b), .len = (n)})
#define LK_NULLV       ((struct lk_val){.type = LK_V_NULL})

/* Called once per result row with ncol columns; return 0 to go on, non-zero to stop
 * (the statement still completes and exec returns LK_OK). */
typedef int (*lk_row_fn)(void *arg, const struct lk_val *cols, int ncol);

struct lk_store;

struct lk_store_ops {
	const char *name; /* "sqlite" or "postgres" */
	/* Opens the store at url (sqlite:/path or postgres://...), applying pending
	 * migrations under a lock. LK_E_STORAGE, LK_E_NOMEM, LK_E_INVAL. */
	int (*open)(const char *url, struct lk_store **out);
	void (*close)(struct lk_store *);
	/* Runs one statement with n params; calls row for each row if non-NULL; stores the
	 * number of rows changed in *changes if non-NULL. LK_E_EXISTS on a unique
	 * violation, LK_E_STORAGE otherwise. */
	int (*exec)(struct lk_store *, const char *sql, const struct lk_val *params, int n,
	            lk_row_fn row, void *arg, int64_t *changes);
	/* Transactions on this thread's connection (BEGIN IMMEDIATE on sqlite). */
	int (*begin)(struct lk_store *);
	int (*commit)(struct lk_store *);
	int (*rollback)(struct lk_store *);
	/* LK_OK when the database answers a trivial query. */
	int (*ping)(struct lk_store *);
};

struct lk_store {
	const struct lk_store_ops *ops;
};

/* Opens the back end named by url's scheme: "sqlite:PATH" or "postgres://...".
 * Migrations (src/store/migrations/NNNN_name.sql, embedded) are applied first. */
int lk_store_open(const char *url, struct lk_store **out);
void lk_store_close(struct lk_store *s);

/* Thin wrappers over the ops, so callers read naturally. */
int lk_db_exec(struct lk_store *s, const char *sql, const struct lk_val *params, int n,
               lk_row_fn row, void *arg, int64_t *changes);
int lk_db_begin(struct lk_store *s);
int lk_db_commit(struct lk_store *s);
int lk_db_rollback(struct lk_store *s);
/* LK_OK when this thread's connection answers; LK_E_STORAGE otherwise. */
int lk_db_ping(struct lk_store *s);
/* Copies a TEXT (or BLOB) column into dst, NUL-terminated and cut to cap - 1 bytes; any other
 * value gives "". */
void lk_val_text(const struct lk_val *v, char *dst, size_t cap);

/* Runs a statement expected to return at most one row whose first column is an integer and
 * stores it in *out. LK_E_NOTFOUND when there is no row or the value is NULL; otherwise as
 * lk_db_exec. Typical: SELECT COUNT(*) ..., INSERT ... RETURNING id. */
int lk_db_int(struct lk_store *s, const char *sql, const struct lk_val *params, int n,
              int64_t *out);

struct lk_embedded;
/* Applies the migrations among files (an array ending with a NULL path, as from
 * lk_embedded_all()) whose path is "src/store/migrations/NNNN_name.sql" and whose version
 * NNNN is not yet in schema_migrations; other paths are ignored. lk_store_open calls it
 * with the embedded files; tests call it with their own. LK_E_INVAL for a malformed name,
 * a duplicate version or an unknown {{token}}; LK_E_NOMEM; LK_E_STORAGE / LK_E_EXISTS
 * from a statement (that migration is rolled back and later ones are not applied). */
int lk_store_migrate(struct lk_store *s, const struct lk_embedded *files);

#endif
