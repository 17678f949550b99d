/* store.c: opens the back end named by a URL's scheme, the lk_db_* wrappers over its ops
 * table, and what both engines share: the per-thread connection registry and the migration
 * runner. Trust boundary: the URL comes from the operator's configuration; migration texts
 * are ours, built into the binary. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/rc.h"
#include "embedded.h"
#include "store/backend.h"

#define MIGRATION_DIR "src/store/migrations/"

/* Thread exit: the thread's connection goes with it. */
static void
connreg_thread_exit(void *p)
{
	struct lk_conn *c = p;
	struct lk_connreg *r = c->reg;

	pthread_mutex_lock(&r->mu);
	if (c->prev) {
		c->prev->next = c->next;
	} else {
		r->head = c->next;
	}
	if (c->next) {
		c->next->prev = c->prev;
	}
	pthread_mutex_unlock(&r->mu);
	r->close(c);
}

int
lk_connreg_init(struct lk_connreg *r, void (*close)(struct lk_conn *c))
{
	memset(r, 0, sizeof(*r));
	r->close = close;
	if (pthread_key_create(&r->key, connreg_thread_exit) != 0) {
		return LK_E_NOMEM;
	}
	if (pthread_mutex_init(&r->mu, NULL) != 0) {
		pthread_key_delete(r->key);
		return LK_E_NOMEM;
	}
	return LK_OK;
}

struct lk_conn *
lk_connreg_mine(struct lk_connreg *r)
{
	return pthread_getspecific(r->key);
}

int
lk_connreg_adopt(struct lk_connreg *r, struct lk_conn *c)
{
	c->reg = r;
	c->prev = NULL;
	if (pthread_setspecific(r->key, c) != 0) {
		return LK_E_NOMEM;
	}
	pthread_mutex_lock(&r->mu);
	c->next = r->head;
	if (r->head) {
		r->head->prev = c;
	}
	r->head = c;
	pthread_mutex_unlock(&r->mu);
	return LK_OK;
}

void
lk_connreg_fini(struct lk_connreg *r)
{
	pthread_key_delete(r->key); /* no thread-exit call runs for it after this */
	while (r->head) {
		struct lk_conn *c = r->head;
		r->head = c->next;
		r->close(c);
	}
	pthread_mutex_destroy(&r->mu);
}

int
lk_store_open(const char *url, struct lk_store **out)
{
	if (!url || !out) {
		return LK_E_INVAL;
	}
	*out = NULL;
	if (strncmp(url, "sqlite:", 7) == 0) {
		return lk_sqlite_ops.open(url, out);
	}
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
		return lk_pg_ops.open(url, out);
	}
	return LK_E_INVAL;
}

void
lk_store_close(struct lk_store *s)
{
	if (s) {
		s->ops->close(s);
	}
}

int
lk_db_exec(struct lk_store *s, const char *sql, const struct lk_val *params, int n, lk_row_fn row,
           void *arg, int64_t *changes)
{
	if (changes) {
		*changes = 0;
	}
	if (!s || !sql || n < 0 || n > LK_MAX_SQL_PARAMS || (n > 0 && !params)) {
		return LK_E_INVAL;
	}
	return s->ops->exec(s, sql, params, n, row, arg, changes);
}

int
lk_db_begin(struct lk_store *s)
{
	return s ? s->ops->begin(s) : LK_E_INVAL;
}

int
lk_db_commit(struct lk_store *s)
{
	return s ? s->ops->commit(s) : LK_E_INVAL;
}

int
lk_db_rollback(struct lk_store *s)
{
	return s ? s->ops->rollback(s) : LK_E_INVAL;
}

int
lk_db_ping(struct lk_store *s)
{
	return s ? s->ops->ping(s) : LK_E_INVAL;
}

struct one_int {
	int found;
	int64_t v;
};

static int
one_int_row(void *arg, const struct lk_val *cols, int ncol)
{
	struct one_int *o = arg;
	if (!o->found && ncol > 0 && cols[0].type == LK_V_INT) {
		o->found = 1;
		o->v = cols[0].i;
	}
	return 0;
}

int
lk_db_int(struct lk_store *s, const char *sql, const struct lk_val *params, int n, int64_t *out)
{
	struct one_int o = {0, 0};
	int rc;
	if (!out) {
		return LK_E_INVAL;
	}
	if ((rc = lk_db_exec(s, sql, params, n, one_int_row, &o, NULL)) != LK_OK) {
		return rc;
	}
	if (!o.found) {
		return LK_E_NOTFOUND;
	}
	*out = o.v;
	return LK_OK;
}

void
lk_store_log(const char *engine, const char *what, const char *msg)
{
	char clean[512];
	size_t j = 0;
	/* One line per event: newlines in the engine's message become spaces. */
	for (size_t i = 0; msg && msg[i] && j + 1 < sizeof(clean); i++) {
		char c = msg[i];
		clean[j++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	while (j > 0 && clean[j - 1] == ' ') {
		j--;
	}
	clean[j] = 0;
	fprintf(stderr, "store.error engine=%s what=%s msg=\"%s\"\n", engine, what, clean);
}

uint64_t
lk_store_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* ---- migration runner ---- */

struct migration {
	int64_t version;
	const char *path;
	const char *sql;
	size_t len;
};

static int
cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

/* Parses "src/store/migrations/NNNN_name.sql": 1 with *version set, 0 when path is not a
 * migration at all, LK_E_INVAL when it is one with a malformed name. */
static int
parse_name(const char *path, int64_t *version)
{
	size_t plen = strlen(MIGRATION_DIR), len = strlen(path);
	const char *p;
	int64_t v = 0;
	int digits = 0;
	if (strncmp(path, MIGRATION_DIR, plen) != 0 || len < plen + 4 ||
	    strcmp(path + len - 4, ".sql") != 0) {
		return 0;
	}
	for (p = path + plen; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 15) {
			return LK_E_INVAL;
		}
		v = v * 10 + (*p - '0');
	}
	if (digits == 0 || *p != '_' || strchr(path + plen, '/')) {
		return LK_E_INVAL;
	}
	*version = v;
	return 1;
}

/* Returns a malloc'd copy of sql with {{ID}} and {{BLOB}} replaced, or NULL with *rc set. */
static char *
substitute(const char *sql, size_t len, const struct lk_store_dialect *d, int *rc)
{
	size_t idl = strlen(d->id_type), bl = strlen(d->blob_type);
	size_t grow = idl > bl ? idl : bl;
	size_t cap, j = 0;
	char *out;
	/* Each token is at least 6 bytes, so the text grows by at most grow per 6 bytes. */
	if (len > (SIZE_MAX - 1) / (grow + 1)) {
		*rc = LK_E_NOMEM;
		return NULL;
	}
	cap = len * (grow + 1) / 6 + len + 1;
	if (!(out = malloc(cap))) {
		*rc = LK_E_NOMEM;
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		if (sql[i] == '{' && i + 1 < len && sql[i + 1] == '{') {
			const char *rep = NULL;
			size_t tl = 0;
			if (len - i >= 6 && memcmp(sql + i, "{{ID}}", 6) == 0) {
				rep = d->id_type;
				tl = 6;
			} else if (len - i >= 8 && memcmp(sql + i, "{{BLOB}}", 8) == 0) {
				rep = d->blob_type;
				tl = 8;
			} else {
				free(out);
				*rc = LK_E_INVAL;
				return NULL;
			}
			memcpy(out + j, rep, strlen(rep));
			j += strlen(rep);
			i += tl;
		} else {
			out[j++] = sql[i++];
		}
	}
	out[j] = 0;
	return out;
}

static const struct lk_store_dialect *
dialect_of(const struct lk_store *s)
{
	if (s->ops == &lk_sqlite_ops) {
		return &lk_sqlite_dialect;
	}
	if (s->ops == &lk_pg_ops) {
		return &lk_pg_dialect;
	}
	return NULL;
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Applies one migration in its own transaction unless its version is recorded already. */
static int
apply_one(struct lk_store *s, const struct lk_store_dialect *d, const struct migration *m)
{
	struct lk_val p[2];
	int64_t have = 0;
	char *text = NULL;
	int rc, in_tx = 0;
	if ((rc = s->ops->begin(s)) != LK_OK) {
		goto out;
	}
	in_tx = 1;
	p[0] = LK_INT(m->version);
	rc = lk_db_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?1", p, 1, &have);
	if (rc != LK_OK) {
		goto out;
	}
	if (have == 0) {
		if (!(text = substitute(m->sql, m->len, d, &rc))) {
			goto out;
		}
		if ((rc = d->script(s, text)) != LK_OK) {
			lk_store_log(s->ops->name, "migration", m->path);
			goto out;
		}
		p[1] = LK_INT(now_ms());
		rc = lk_db_exec(
		    s, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", p, 2,
		    NULL, NULL, NULL);
		if (rc != LK_OK) {
			goto out;
		}
	}
	rc = s->ops->commit(s);
	in_tx = 0;
out:
	if (in_tx) {
		s->ops->rollback(s);
	}
	free(text);
	return rc;
}

int
lk_store_migrate(struct lk_store *s, const struct lk_embedded *files)
{
	const struct lk_store_dialect *d;
	struct migration *list = NULL;
	size_t n = 0, cap = 0;
	int rc = LK_E_INVAL, locked = 0;
	if (!s || !files || !(d = dialect_of(s))) {
		return LK_E_INVAL;
	}
	for (const struct lk_embedded *e = files; e->path; e++) {
		int64_t v;
		int r = parse_name(e->path, &v);
		if (r < 0) {
			rc = r;
			goto out;
		}
		if (r == 0) {
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct migration *nl = realloc(list, ncap * sizeof(*list));
			if (!nl) {
				rc = LK_E_NOMEM;
				goto out;
			}
			list = nl;
			cap = ncap;
		}
		list[n++] = (struct migration){v, e->path, (const char *)e->data, e->len};
	}
	if (n > 1) {
		qsort(list, n, sizeof(*list), cmp_migration);
	}
	for (size_t i = 1; i < n; i++) {
		if (list[i].version == list[i - 1].version) {
			rc = LK_E_INVAL;
			goto out;
		}
	}
	if (d->lock) {
		if ((rc = d->lock(s)) != LK_OK) {
			goto out;
		}
		locked = 1;
	}
	rc = lk_db_exec(s,
	                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
	                "applied_at BIGINT NOT NULL)",
	                NULL, 0, NULL, NULL, NULL);
	if (rc != LK_OK) {
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = apply_one(s, d, &list[i])) != LK_OK) {
			goto out;
		}
	}
	rc = LK_OK;
out:
	if (locked) {
		d->unlock(s);
	}
	free(list);
	return rc;
}

void
lk_val_text(const struct lk_val *v, char *dst, size_t cap)
{
	size_t n = 0;

	if (v->type == LK_V_TEXT || v->type == LK_V_BLOB) {
		n = v->len < cap - 1 ? v->len : cap - 1;
		memcpy(dst, v->p, n);
	}
	dst[n] = '\0';
}
