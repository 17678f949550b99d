/* sqlite.c: the SQLite back end of store.h. One connection per thread (backend.h's
 * registry: opened on the thread's first use, closed when the thread exits or the store
 * closes), WAL journal, foreign keys on, 5 s busy timeout, a small LRU cache of prepared
 * statements per connection. Trust boundary: parameter values may be untrusted and are only
 * bound. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/rc.h"
#include "embedded.h"
#include "store/backend.h"
#include "store/store.h"

#define BUSY_TIMEOUT_MS 5000

struct sq_stmt {
	char *sql; /* NULL: free slot */
	uint64_t hash;
	sqlite3_stmt *st;
	uint64_t used; /* LRU tick */
	int busy;      /* being stepped now (a row callback may nest) */
};

struct sq_conn {
	struct lk_conn link; /* first: the registry's */
	sqlite3 *db;
	uint64_t tick;
	struct sq_stmt cache[LK_STORE_STMT_CACHE];
};

struct sq_store {
	struct lk_store base;
	char *path;
	struct lk_connreg conns;
};

static void
conn_close(struct lk_conn *link)
{
	struct sq_conn *c = (struct sq_conn *)link;

	for (int i = 0; i < LK_STORE_STMT_CACHE; i++) {
		if (c->cache[i].sql) {
			sqlite3_finalize(c->cache[i].st);
			free(c->cache[i].sql);
		}
	}
	sqlite3_close_v2(c->db);
	free(c);
}

static int
pragma(sqlite3 *db, const char *sql)
{
	int rc, waited = 0;

	/* Switching a new file to WAL needs an exclusive lock, and SQLite answers BUSY at once,
	 * without the busy handler, when waiting could deadlock: instances opening a fresh
	 * file together retry here for up to the busy timeout. */
	while ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK &&
	       (rc & 0xff) == SQLITE_BUSY && waited < BUSY_TIMEOUT_MS) {
		sqlite3_sleep(10);
		waited += 10;
	}
	if (rc != SQLITE_OK) {
		lk_store_log("sqlite", "pragma", sqlite3_errmsg(db));
		return LK_E_STORAGE;
	}
	return LK_OK;
}

/* This thread's connection, opened on first use. NULL with *rc set on failure. */
static struct sq_conn *
get_conn(struct sq_store *s, int *rc)
{
	struct sq_conn *c = (struct sq_conn *)lk_connreg_mine(&s->conns);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (c) {
		return c;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		*rc = LK_E_NOMEM;
		return NULL;
	}
	*rc = LK_E_STORAGE;
	if (sqlite3_open_v2(s->path, &c->db, flags, NULL) != SQLITE_OK) {
		lk_store_log("sqlite", "open", c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	if (pragma(c->db, "PRAGMA journal_mode=WAL") != LK_OK ||
	    pragma(c->db, "PRAGMA foreign_keys=ON") != LK_OK ||
	    pragma(c->db, "PRAGMA synchronous=NORMAL") != LK_OK) {
		goto fail;
	}
	if ((*rc = lk_connreg_adopt(&s->conns, &c->link)) != LK_OK) {
		goto fail;
	}
	return c;
fail:
	conn_close(&c->link);
	return NULL;
}

static int
map_err(sqlite3 *db, int code, const char *what)
{
	if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
		return LK_E_EXISTS;
	}
	if (code == SQLITE_NOMEM) {
		return LK_E_NOMEM;
	}
	lk_store_log("sqlite", what, sqlite3_errmsg(db));
	return LK_E_STORAGE;
}

/* A prepared statement for sql from the cache (marked busy), or a fresh one when the cached
 * one is being stepped by an outer call; *slot is its cache entry or NULL if uncached. */
static int
stmt_get(struct sq_conn *c, const char *sql, sqlite3_stmt **out, struct sq_stmt **slot)
{
	uint64_t h = lk_store_hash(sql);
	struct sq_stmt *victim = NULL;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int code;
	*slot = NULL;
	for (int i = 0; i < LK_STORE_STMT_CACHE; i++) {
		struct sq_stmt *e = &c->cache[i];
		if (e->sql && e->hash == h && strcmp(e->sql, sql) == 0) {
			if (e->busy) {
				victim = NULL; /* nested use: a private, uncached one */
				break;
			}
			e->used = ++c->tick;
			e->busy = 1;
			*out = e->st;
			*slot = e;
			return LK_OK;
		}
		if (!e->busy && (!victim || (victim->sql && (!e->sql || e->used < victim->used)))) {
			victim = e;
		}
	}
	code = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
	if (code != SQLITE_OK) {
		return map_err(c->db, code, "prepare");
	}
	if (!st) {
		return LK_E_INVAL; /* only whitespace or a comment */
	}
	/* One statement per call, as on postgres: a second one would be silently skipped.
	 * What follows may only be whitespace, semicolons and comments. */
	if (tail && *tail) {
		sqlite3_stmt *more = NULL;
		code = sqlite3_prepare_v2(c->db, tail, -1, &more, NULL);
		if (code != SQLITE_OK || more) {
			sqlite3_finalize(more);
			sqlite3_finalize(st);
			return LK_E_INVAL;
		}
	}
	if (victim) {
		char *copy = strdup(sql);
		if (copy) {
			if (victim->sql) {
				sqlite3_finalize(victim->st);
				free(victim->sql);
			}
			*victim = (struct sq_stmt){copy, h, st, ++c->tick, 1};
			*slot = victim;
		}
	}
	*out = st;
	return LK_OK;
}

static void
stmt_put(sqlite3_stmt *st, struct sq_stmt *slot)
{
	if (slot) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		slot->busy = 0;
	} else {
		sqlite3_finalize(st);
	}
}

static int
bind_all(struct sq_conn *c, sqlite3_stmt *st, const struct lk_val *params, int n)
{
	if (sqlite3_bind_parameter_count(st) != n) {
		return LK_E_INVAL;
	}
	for (int i = 0; i < n; i++) {
		const struct lk_val *v = &params[i];
		int code, idx = i + 1;
		/* Portable SQL numbers every placeholder: ?N must sit at index N. */
		const char *name = sqlite3_bind_parameter_name(st, idx);
		if (!name || name[0] != '?' || strtoll(name + 1, NULL, 10) != idx) {
			return LK_E_INVAL;
		}
		switch (v->type) {
		case LK_V_NULL:
			code = sqlite3_bind_null(st, idx);
			break;
		case LK_V_INT:
			code = sqlite3_bind_int64(st, idx, v->i);
			break;
		case LK_V_TEXT:
			if (v->len > 0 && (!v->p || memchr(v->p, 0, v->len))) {
				return LK_E_INVAL;
			}
			code = sqlite3_bind_text64(st, idx, v->len ? v->p : "", v->len,
			                           SQLITE_STATIC, SQLITE_UTF8);
			break;
		case LK_V_BLOB:
			if (v->len > 0 && !v->p) {
				return LK_E_INVAL;
			}
			code =
			    sqlite3_bind_blob64(st, idx, v->len ? v->p : "", v->len, SQLITE_STATIC);
			break;
		default:
			return LK_E_INVAL;
		}
		if (code != SQLITE_OK) {
			return map_err(c->db, code, "bind");
		}
	}
	return LK_OK;
}

/* Fills cols from the current row; LK_E_STORAGE for a column type store.h does not know. */
static int
read_row(sqlite3_stmt *st, struct lk_val *cols, int ncol)
{
	for (int i = 0; i < ncol; i++) {
		struct lk_val *v = &cols[i];
		*v = (struct lk_val){.type = LK_V_NULL};
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v->type = LK_V_INT;
			v->i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_TEXT:
			v->type = LK_V_TEXT;
			v->p = sqlite3_column_text(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			if (!v->p) {
				return LK_E_NOMEM;
			}
			break;
		case SQLITE_BLOB:
			v->type = LK_V_BLOB;
			v->p = sqlite3_column_blob(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			if (!v->p) {
				v->p = "";
				v->len = 0;
			}
			break;
		case SQLITE_NULL:
			break;
		default:
			lk_store_log("sqlite", "column", "unsupported column type (REAL)");
			return LK_E_STORAGE;
		}
	}
	return LK_OK;
}

static int
run(struct sq_conn *c, const char *sql, const struct lk_val *params, int n, lk_row_fn row,
    void *arg, int64_t *changes)
{
	struct lk_val small[32], *cols = small;
	struct sq_stmt *slot = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 before = sqlite3_total_changes64(c->db);
	int rc, code, ncol, stop = 0;
	if ((rc = stmt_get(c, sql, &st, &slot)) != LK_OK) {
		return rc;
	}
	if ((rc = bind_all(c, st, params, n)) != LK_OK) {
		goto out;
	}
	ncol = sqlite3_column_count(st);
	if (ncol > (int)(sizeof(small) / sizeof(small[0])) &&
	    !(cols = calloc((size_t)ncol, sizeof(*cols)))) {
		rc = LK_E_NOMEM;
		goto out;
	}
	while ((code = sqlite3_step(st)) == SQLITE_ROW) {
		if (!row || stop) {
			continue; /* the statement still runs to completion */
		}
		if ((rc = read_row(st, cols, ncol)) != LK_OK) {
			goto out;
		}
		stop = row(arg, cols, ncol);
	}
	if (code != SQLITE_DONE) {
		rc = map_err(c->db, code, "step");
		goto out;
	}
	if (changes) {
		/* changes64 keeps the count of the last completed write, even across a later
		 * SELECT or DDL: trust it only if this statement wrote something. */
		*changes = sqlite3_total_changes64(c->db) != before ? sqlite3_changes64(c->db) : 0;
	}
	rc = LK_OK;
out:
	if (cols != small) {
		free(cols);
	}
	stmt_put(st, slot);
	return rc;
}

static int
sq_exec(struct lk_store *base, const char *sql, const struct lk_val *params, int n, lk_row_fn row,
        void *arg, int64_t *changes)
{
	struct sq_store *s = (struct sq_store *)base;
	struct sq_conn *c;
	int rc;
	if (changes) {
		*changes = 0;
	}
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	return run(c, sql, params, n, row, arg, changes);
}

static int
sq_begin(struct lk_store *base)
{
	return sq_exec(base, "BEGIN IMMEDIATE", NULL, 0, NULL, NULL, NULL);
}

static int
sq_rollback(struct lk_store *base)
{
	struct sq_store *s = (struct sq_store *)base;
	struct sq_conn *c;
	int rc;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	if (sqlite3_get_autocommit(c->db)) {
		return LK_OK; /* nothing open (SQLite may have rolled back on its own) */
	}
	return run(c, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
}

static int
sq_commit(struct lk_store *base)
{
	struct sq_store *s = (struct sq_store *)base;
	struct sq_conn *c;
	int rc;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	if (sqlite3_get_autocommit(c->db)) {
		lk_store_log("sqlite", "commit", "no transaction open");
		return LK_E_STORAGE;
	}
	rc = run(c, "COMMIT", NULL, 0, NULL, NULL, NULL);
	if (rc != LK_OK) {
		sq_rollback(base); /* a failed commit leaves nothing open */
	}
	return rc;
}

static int
sq_ping(struct lk_store *base)
{
	int64_t v = 0;
	int rc = lk_db_int(base, "SELECT 1", NULL, 0, &v);
	return rc == LK_OK && v == 1 ? LK_OK : LK_E_STORAGE;
}

static int
sq_script(struct lk_store *base, const char *sql)
{
	struct sq_store *s = (struct sq_store *)base;
	struct sq_conn *c;
	int rc;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	while (*sql) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int code = sqlite3_prepare_v2(c->db, sql, -1, &st, &tail);
		if (code != SQLITE_OK) {
			return map_err(c->db, code, "migration");
		}
		if (!st) {
			break; /* only whitespace or comments left */
		}
		while ((code = sqlite3_step(st)) == SQLITE_ROW) {
		}
		sqlite3_finalize(st);
		if (code != SQLITE_DONE) {
			return map_err(c->db, code, "migration");
		}
		sql = tail;
	}
	return LK_OK;
}

static void
sq_close(struct lk_store *base)
{
	struct sq_store *s = (struct sq_store *)base;
	if (!s) {
		return;
	}
	lk_connreg_fini(&s->conns);
	free(s->path);
	free(s);
}

/* Creates the database file mode 0600 if it is not there; an existing file keeps its mode. */
static int
create_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		return errno == EEXIST ? LK_OK : LK_E_IO;
	}
	if (fchmod(fd, 0600) != 0) {
		close(fd);
		return LK_E_IO;
	}
	close(fd);
	return LK_OK;
}

static int
sq_open(const char *url, struct lk_store **out)
{
	struct sq_store *s = NULL;
	const char *path;
	int rc = LK_E_INVAL;
	if (strncmp(url, "sqlite:", 7) != 0) {
		goto out;
	}
	path = url + 7;
	if (strncmp(path, "//", 2) == 0) {
		path += 2; /* sqlite:///abs/path */
	}
	/* Every thread has its own connection: an in-memory database would differ per thread. */
	if (!*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) {
		goto out;
	}
	rc = LK_E_NOMEM;
	if (!(s = calloc(1, sizeof(*s)))) {
		goto out;
	}
	if (lk_connreg_init(&s->conns, conn_close) != LK_OK) {
		free(s);
		s = NULL;
		goto out;
	}
	s->base.ops = &lk_sqlite_ops;
	if (!(s->path = strdup(path))) {
		goto out;
	}
	if ((rc = create_file(path)) != LK_OK) {
		lk_store_log("sqlite", "create", "cannot create the database file");
		rc = LK_E_STORAGE;
		goto out;
	}
	if (!get_conn(s, &rc)) {
		goto out;
	}
	if ((rc = lk_store_migrate(&s->base, lk_embedded_all())) != LK_OK) {
		goto out;
	}
	*out = &s->base;
	s = NULL;
	rc = LK_OK;
out:
	sq_close(s ? &s->base : NULL);
	return rc;
}

const struct lk_store_ops lk_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .ping = sq_ping,
};

const struct lk_store_dialect lk_sqlite_dialect = {
    .id_type = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .blob_type = "BLOB",
    .script = sq_script,
    .lock = NULL,
    .unlock = NULL,
};
