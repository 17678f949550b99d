/* postgres.c: the PostgreSQL back end of store.h over libpq. One connection per thread
 * (backend.h's registry); statements prepared once per connection (LRU cache keyed by SQL
 * text) with ?N rewritten to $N; integers and bytes travel in binary both ways, text as
 * text. A broken connection is reset, and a statement outside a transaction retried once.
 * Trust boundary: parameter values may be untrusted and only ever travel as bound
 * parameters; the URL, which may hold a password, is never logged. */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/rc.h"
#include "embedded.h"
#include "store/backend.h"
#include "store/store.h"
#include "store/pqlib.h"

/* libpq is loaded on first use (store/pqlib.c): its functions are called through the table. */
#define PQconnectdbParams    (lk_pqlib()->connectdbParams)
#define PQstatus             (lk_pqlib()->status)
#define PQclear              (lk_pqlib()->clear)
#define PQresultErrorField   (lk_pqlib()->resultErrorField)
#define PQftype              (lk_pqlib()->ftype)
#define PQexec               (lk_pqlib()->exec)
#define PQsetNoticeProcessor (lk_pqlib()->setNoticeProcessor)
#define PQerrorMessage       (lk_pqlib()->errorMessage)
#define PQcmdStatus          (lk_pqlib()->cmdStatus)
#define PQtransactionStatus  (lk_pqlib()->transactionStatus)
#define PQresultStatus       (lk_pqlib()->resultStatus)
#define PQreset              (lk_pqlib()->reset)
#define PQprepare            (lk_pqlib()->prepare)
#define PQparamtype          (lk_pqlib()->paramtype)
#define PQntuples            (lk_pqlib()->ntuples)
#define PQnparams            (lk_pqlib()->nparams)
#define PQnfields            (lk_pqlib()->nfields)
#define PQgetvalue           (lk_pqlib()->getvalue)
#define PQgetlength          (lk_pqlib()->getlength)
#define PQgetisnull          (lk_pqlib()->getisnull)
#define PQfinish             (lk_pqlib()->finish)
#define PQexecPrepared       (lk_pqlib()->execPrepared)
#define PQdescribePrepared   (lk_pqlib()->describePrepared)
#define PQcmdTuples          (lk_pqlib()->cmdTuples)

/* Type oids from pg_type.dat (stable across versions). */
#define OID_BOOL    16
#define OID_BYTEA   17
#define OID_NAME    19
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_TEXT    25
#define OID_OID     26
#define OID_UNKNOWN 705
#define OID_BPCHAR  1042
#define OID_VARCHAR 1043

/* run(): the prepared statement was stale and has been dropped; worth one more try. */
#define RC_STALE 1

/* pg_advisory_lock key held while migrating: "latchkey" in ASCII. */
#define MIGRATION_LOCK "7809634244556565881"

struct pg_stmt {
	char *sql; /* NULL: free slot */
	uint64_t hash;
	char name[24];
	int nparams;
	Oid *ptypes;
	uint64_t used;
};

struct pg_conn {
	struct lk_conn link; /* first: the registry's */
	PGconn *pc;
	uint64_t tick, counter;
	int in_tx;
	struct pg_stmt cache[LK_STORE_STMT_CACHE];
};

struct pg_store {
	struct lk_store base;
	char *url;
	struct lk_connreg conns;
};

static void
stmt_clear(struct pg_stmt *e)
{
	free(e->sql);
	free(e->ptypes);
	memset(e, 0, sizeof(*e));
}

/* Forgets every prepared statement (after a reset the server has none). */
static void
cache_clear(struct pg_conn *c)
{
	for (int i = 0; i < LK_STORE_STMT_CACHE; i++) {
		if (c->cache[i].sql) {
			stmt_clear(&c->cache[i]);
		}
	}
}

static void
conn_close(struct lk_conn *link)
{
	struct pg_conn *c = (struct pg_conn *)link;

	cache_clear(c);
	PQfinish(c->pc);
	free(c);
}

/* Server notices ("relation exists, skipping") are not errors: keep them off stderr. */
static void
quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void
log_conn(struct pg_conn *c, const char *what)
{
	lk_store_log("postgres", what, PQerrorMessage(c->pc));
}

/* This thread's connection, made on first use. A connection that could not be established
 * is kept and reset on its next use, so a database that comes back is found again. */
static struct pg_conn *
get_conn(struct pg_store *s, int *rc)
{
	static const char *const keys[] = {"connect_timeout", "application_name", "client_encoding",
	                                   "dbname", NULL};
	const char *vals[] = {"10", "latchkey", "UTF8", s->url, NULL};
	struct pg_conn *c = (struct pg_conn *)lk_connreg_mine(&s->conns);
	if (c) {
		return c;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		*rc = LK_E_NOMEM;
		return NULL;
	}
	/* Values given in the URL override the defaults listed before dbname. */
	if (!(c->pc = PQconnectdbParams(keys, vals, 1))) {
		free(c);
		*rc = LK_E_NOMEM;
		return NULL;
	}
	PQsetNoticeProcessor(c->pc, quiet_notice, NULL);
	if (PQstatus(c->pc) != CONNECTION_OK) {
		log_conn(c, "connect");
	}
	if ((*rc = lk_connreg_adopt(&s->conns, &c->link)) != LK_OK) {
		conn_close(&c->link);
		return NULL;
	}
	return c;
}

/* Makes sure the connection is up. A connection lost inside a transaction lost the
 * transaction too: LK_E_STORAGE until the caller rolls back. */
static int
ensure_ok(struct pg_conn *c)
{
	if (PQstatus(c->pc) == CONNECTION_OK) {
		return LK_OK;
	}
	if (c->in_tx) {
		return LK_E_STORAGE;
	}
	cache_clear(c);
	PQreset(c->pc);
	PQsetNoticeProcessor(c->pc, quiet_notice, NULL);
	if (PQstatus(c->pc) != CONNECTION_OK) {
		log_conn(c, "reconnect");
		return LK_E_STORAGE;
	}
	return LK_OK;
}

/* Maps a failed result; unique violations are an expected outcome and not logged. */
static int
map_err(struct pg_conn *c, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (state && strcmp(state, "23505") == 0) {
		return LK_E_EXISTS;
	}
	if (!res && PQstatus(c->pc) == CONNECTION_OK) {
		return LK_E_NOMEM;
	}
	lk_store_log("postgres", what, msg ? msg : PQerrorMessage(c->pc));
	return LK_E_STORAGE;
}

static int
result_ok(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Copies sql with every ?N placeholder outside literals, quoted identifiers and comments
 * turned into $N. LK_E_INVAL for a bare ?. */
static int
rewrite(const char *sql, char **out)
{
	size_t len = strlen(sql), j = 0;
	char *o = malloc(len + 1);
	if (!o) {
		return LK_E_NOMEM;
	}
	for (size_t i = 0; i < len;) {
		char ch = sql[i];
		if (ch == '\'' || ch == '"') {
			/* a doubled quote inside just ends and restarts the literal */
			o[j++] = sql[i++];
			while (i < len && sql[i] != ch) {
				o[j++] = sql[i++];
			}
			if (i < len) {
				o[j++] = sql[i++];
			}
		} else if (ch == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n') {
				o[j++] = sql[i++];
			}
		} else if (ch == '/' && i + 1 < len && sql[i + 1] == '*') {
			o[j++] = sql[i++];
			o[j++] = sql[i++];
			while (i < len) {
				if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
					o[j++] = sql[i++];
					o[j++] = sql[i++];
					break;
				}
				o[j++] = sql[i++];
			}
		} else if (ch == '?') {
			if (i + 1 >= len || sql[i + 1] < '0' || sql[i + 1] > '9') {
				free(o);
				return LK_E_INVAL;
			}
			o[j++] = '$';
			i++;
		} else {
			o[j++] = sql[i++];
		}
	}
	o[j] = 0;
	*out = o;
	return LK_OK;
}

/* The prepared statement for sql on this connection, prepared and described on first use.
 * The pointer is valid until the next prepare on this connection. */
static int
prepare(struct pg_conn *c, const char *sql, struct pg_stmt **out)
{
	uint64_t h = lk_store_hash(sql);
	struct pg_stmt *victim = NULL, fresh;
	PGresult *res = NULL;
	char *text = NULL;
	int rc;
	for (int i = 0; i < LK_STORE_STMT_CACHE; i++) {
		struct pg_stmt *e = &c->cache[i];
		if (e->sql && e->hash == h && strcmp(e->sql, sql) == 0) {
			e->used = ++c->tick;
			*out = e;
			return LK_OK;
		}
		if (!victim || (victim->sql && (!e->sql || e->used < victim->used))) {
			victim = e;
		}
	}
	memset(&fresh, 0, sizeof(fresh));
	if ((rc = rewrite(sql, &text)) != LK_OK) {
		goto out;
	}
	rc = LK_E_NOMEM;
	if (!(fresh.sql = strdup(sql))) {
		goto out;
	}
	fresh.hash = h;
	snprintf(fresh.name, sizeof(fresh.name), "lk%llu", (unsigned long long)++c->counter);
	res = PQprepare(c->pc, fresh.name, text, 0, NULL);
	if (!result_ok(res)) {
		rc = map_err(c, res, "prepare");
		goto out;
	}
	PQclear(res);
	res = PQdescribePrepared(c->pc, fresh.name);
	if (!result_ok(res)) {
		rc = map_err(c, res, "describe");
		goto out;
	}
	fresh.nparams = PQnparams(res);
	if (fresh.nparams > 0) {
		if (!(fresh.ptypes = calloc((size_t)fresh.nparams, sizeof(Oid)))) {
			goto out;
		}
		for (int i = 0; i < fresh.nparams; i++) {
			fresh.ptypes[i] = PQparamtype(res, i);
		}
	}
	if (victim->sql) {
		char cmd[48];
		snprintf(cmd, sizeof(cmd), "DEALLOCATE %s", victim->name);
		PQclear(PQexec(c->pc, cmd)); /* in an aborted transaction it stays until reset */
		stmt_clear(victim);
	}
	fresh.used = ++c->tick;
	*victim = fresh;
	memset(&fresh, 0, sizeof(fresh));
	*out = victim;
	rc = LK_OK;
out:
	PQclear(res);
	free(text);
	free(fresh.sql);
	free(fresh.ptypes);
	return rc;
}

static void
put_be(unsigned char *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static int64_t
get_be(const unsigned char *b, int n)
{
	uint64_t v = (b[0] & 0x80) ? ~UINT64_C(0) : 0; /* sign-extend */
	for (int i = 0; i < n; i++) {
		v = (v << 8) | b[i];
	}
	return (int64_t)v;
}

struct enc {
	const char *vals[LK_MAX_SQL_PARAMS];
	int lens[LK_MAX_SQL_PARAMS];
	int fmts[LK_MAX_SQL_PARAMS];
	unsigned char ints[LK_MAX_SQL_PARAMS][24];
	char *heap[LK_MAX_SQL_PARAMS];
};

/* Encodes each parameter for the type the server inferred for it: integers in binary of
 * the column's width, bytes and text in binary (raw), anything else as text. */
static int
encode(const struct pg_stmt *st, const struct lk_val *params, int n, struct enc *e)
{
	for (int i = 0; i < n; i++) {
		const struct lk_val *v = &params[i];
		Oid t = st->ptypes[i];
		e->vals[i] = NULL;
		e->lens[i] = 0;
		e->fmts[i] = 1;
		e->heap[i] = NULL;
		switch (v->type) {
		case LK_V_NULL:
			break;
		case LK_V_INT:
			if (t == OID_INT8) {
				put_be(e->ints[i], (uint64_t)v->i, 8);
				e->lens[i] = 8;
			} else if (t == OID_INT4 || t == OID_OID) {
				if (v->i < (t == OID_OID ? 0 : INT32_MIN) ||
				    v->i > (t == OID_OID ? (int64_t)UINT32_MAX : INT32_MAX)) {
					return LK_E_INVAL;
				}
				put_be(e->ints[i], (uint64_t)v->i, 4);
				e->lens[i] = 4;
			} else if (t == OID_INT2) {
				if (v->i < INT16_MIN || v->i > INT16_MAX) {
					return LK_E_INVAL;
				}
				put_be(e->ints[i], (uint64_t)v->i, 2);
				e->lens[i] = 2;
			} else if (t == OID_BOOL) {
				if (v->i != 0 && v->i != 1) {
					return LK_E_INVAL;
				}
				e->ints[i][0] = (unsigned char)v->i;
				e->lens[i] = 1;
			} else {
				e->lens[i] = snprintf((char *)e->ints[i], sizeof(e->ints[i]),
				                      "%lld", (long long)v->i);
				e->fmts[i] = 0;
			}
			e->vals[i] = (const char *)e->ints[i];
			break;
		case LK_V_TEXT:
		case LK_V_BLOB:
			if (v->len > 0 && !v->p) {
				return LK_E_INVAL;
			}
			if (v->len > INT32_MAX) {
				return LK_E_TOOBIG;
			}
			if (v->type == LK_V_TEXT && v->len > 0 && memchr(v->p, 0, v->len)) {
				return LK_E_INVAL;
			}
			if (v->type == LK_V_BLOB || t == OID_BYTEA || t == OID_TEXT ||
			    t == OID_VARCHAR || t == OID_BPCHAR || t == OID_NAME ||
			    t == OID_UNKNOWN) {
				e->vals[i] = v->len ? v->p : "";
				e->lens[i] = (int)v->len;
			} else {
				/* text for another type (a number, a date): its text form */
				if (!(e->heap[i] = malloc(v->len + 1))) {
					return LK_E_NOMEM;
				}
				memcpy(e->heap[i], v->p, v->len);
				e->heap[i][v->len] = 0;
				e->vals[i] = e->heap[i];
				e->fmts[i] = 0;
			}
			break;
		default:
			return LK_E_INVAL;
		}
	}
	return LK_OK;
}

static int
column_ok(Oid t)
{
	return t == OID_INT8 || t == OID_INT4 || t == OID_INT2 || t == OID_BOOL || t == OID_OID ||
	       t == OID_BYTEA || t == OID_TEXT || t == OID_VARCHAR || t == OID_BPCHAR ||
	       t == OID_NAME || t == OID_UNKNOWN;
}

static int
decode(const PGresult *res, int r, int k, struct lk_val *v)
{
	Oid t = PQftype(res, k);
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, r, k);
	int len = PQgetlength(res, r, k);
	*v = (struct lk_val){.type = LK_V_NULL};
	if (PQgetisnull(res, r, k)) {
		return LK_OK;
	}
	if (t == OID_INT8 || t == OID_INT4 || t == OID_INT2 || t == OID_BOOL || t == OID_OID) {
		int want = t == OID_INT8 ? 8 : t == OID_INT2 ? 2 : t == OID_BOOL ? 1 : 4;
		if (len != want) {
			return LK_E_STORAGE;
		}
		v->type = LK_V_INT;
		v->i = t == OID_BOOL ? p[0] != 0 : get_be(p, len);
		if (t == OID_OID) {
			v->i &= 0xffffffff;
		}
		return LK_OK;
	}
	v->type = t == OID_BYTEA ? LK_V_BLOB : LK_V_TEXT;
	v->p = p; /* libpq NUL-terminates every value */
	v->len = (size_t)len;
	return LK_OK;
}

static int
is_write_tag(const char *tag)
{
	return strncmp(tag, "INSERT ", 7) == 0 || strncmp(tag, "UPDATE ", 7) == 0 ||
	       strncmp(tag, "DELETE ", 7) == 0 || strncmp(tag, "MERGE ", 6) == 0;
}

static int
run(struct pg_conn *c, const char *sql, const struct lk_val *params, int n, lk_row_fn row,
    void *arg, int64_t *changes)
{
	struct lk_val small[32], *cols = small;
	struct pg_stmt *st = NULL;
	PGresult *res = NULL;
	struct enc *e = NULL;
	int rc, nrow, ncol;
	if ((rc = prepare(c, sql, &st)) != LK_OK) {
		return rc;
	}
	if (st->nparams != n) {
		return LK_E_INVAL;
	}
	if (n > 0) {
		if (!(e = malloc(sizeof(*e)))) {
			return LK_E_NOMEM;
		}
		if ((rc = encode(st, params, n, e)) != LK_OK) {
			goto out;
		}
	}
	res = PQexecPrepared(c->pc, st->name, n, e ? e->vals : NULL, e ? e->lens : NULL,
	                     e ? e->fmts : NULL, 1);
	if (!result_ok(res)) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/* The schema changed under a cached plan ("cached plan must not change result
		 * type"), or the server forgot the statement: prepare it again. */
		if (state && (strcmp(state, "0A000") == 0 || strcmp(state, "26000") == 0)) {
			stmt_clear(st);
			rc = RC_STALE;
			goto out;
		}
		rc = map_err(c, res, "exec");
		goto out;
	}
	if (changes) {
		const char *tag = PQcmdStatus(res);
		*changes = tag && is_write_tag(tag) ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
	}
	rc = LK_OK;
	if (!row || (nrow = PQntuples(res)) == 0) {
		goto out;
	}
	ncol = PQnfields(res);
	for (int k = 0; k < ncol; k++) {
		if (!column_ok(PQftype(res, k))) {
			char msg[64];
			snprintf(msg, sizeof(msg), "unsupported column type oid=%u",
			         (unsigned)PQftype(res, k));
			lk_store_log("postgres", "column", msg);
			rc = LK_E_STORAGE;
			goto out;
		}
	}
	if (ncol > (int)(sizeof(small) / sizeof(small[0])) &&
	    !(cols = calloc((size_t)ncol, sizeof(*cols)))) {
		rc = LK_E_NOMEM;
		goto out;
	}
	for (int r = 0; r < nrow; r++) {
		for (int k = 0; k < ncol; k++) {
			if ((rc = decode(res, r, k, &cols[k])) != LK_OK) {
				goto out;
			}
		}
		if (row(arg, cols, ncol)) {
			break;
		}
	}
out:
	if (cols != small) {
		free(cols);
	}
	if (e) {
		for (int i = 0; i < n; i++) {
			free(e->heap[i]);
		}
		free(e);
	}
	PQclear(res);
	return rc;
}

static int
pg_exec(struct lk_store *base, const char *sql, const struct lk_val *params, int n, lk_row_fn row,
        void *arg, int64_t *changes)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *c;
	int rc;
	if (changes) {
		*changes = 0;
	}
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	for (int attempt = 0;; attempt++) {
		if ((rc = ensure_ok(c)) != LK_OK) {
			return rc;
		}
		rc = run(c, sql, params, n, row, arg, changes);
		/* The connection broke under this statement: outside a transaction, once more
		 * on a fresh one (statements are written to be safe to repeat: single-use
		 * updates match no row the second time). A stale plan likewise. */
		if ((rc == RC_STALE || (rc == LK_E_STORAGE && PQstatus(c->pc) != CONNECTION_OK)) &&
		    !c->in_tx && attempt == 0) {
			continue;
		}
		if (rc == RC_STALE) {
			lk_store_log("postgres", "exec", "stale prepared statement");
			rc = LK_E_STORAGE;
		}
		return rc;
	}
}

/* Runs a fixed command without parameters or rows (BEGIN, COMMIT, ...). */
static int
command(struct pg_conn *c, const char *cmd, PGresult **keep)
{
	PGresult *res = PQexec(c->pc, cmd);
	int rc = result_ok(res) ? LK_OK : map_err(c, res, cmd);
	if (keep && rc == LK_OK) {
		*keep = res;
	} else {
		PQclear(res);
	}
	return rc;
}

static int
pg_begin(struct lk_store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *c;
	int rc;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	if (c->in_tx) {
		lk_store_log("postgres", "begin", "a transaction is open already");
		return LK_E_STORAGE;
	}
	if ((rc = ensure_ok(c)) != LK_OK) {
		return rc;
	}
	if ((rc = command(c, "BEGIN", NULL)) == LK_OK) {
		c->in_tx = 1;
	}
	return rc;
}

static int
pg_rollback(struct lk_store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *c;
	int rc;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	c->in_tx = 0;
	if (PQstatus(c->pc) != CONNECTION_OK) {
		ensure_ok(c); /* the transaction went with the connection */
		return LK_OK;
	}
	if (PQtransactionStatus(c->pc) == PQTRANS_IDLE) {
		return LK_OK;
	}
	return command(c, "ROLLBACK", NULL);
}

static int
pg_commit(struct lk_store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *c;
	PGresult *res = NULL;
	int rc;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	if (!c->in_tx) {
		lk_store_log("postgres", "commit", "no transaction open");
		return LK_E_STORAGE;
	}
	c->in_tx = 0;
	if (PQstatus(c->pc) != CONNECTION_OK) {
		ensure_ok(c);
		lk_store_log("postgres", "commit", "connection lost in the transaction");
		return LK_E_STORAGE;
	}
	if ((rc = command(c, "COMMIT", &res)) != LK_OK) {
		return rc;
	}
	/* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK. */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		lk_store_log("postgres", "commit", "the transaction had failed and rolled back");
		rc = LK_E_STORAGE;
	}
	PQclear(res);
	return rc;
}

static int
pg_ping(struct lk_store *base)
{
	int64_t v = 0;
	int rc = lk_db_int(base, "SELECT CAST(1 AS BIGINT)", NULL, 0, &v);
	return rc == LK_OK && v == 1 ? LK_OK : LK_E_STORAGE;
}

static int
pg_script(struct lk_store *base, const char *sql)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *c;
	int rc;
	PGresult *res;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	res = PQexec(c->pc, sql);
	rc = result_ok(res) ? LK_OK : map_err(c, res, "migration");
	PQclear(res);
	return rc;
}

static int
pg_lock(struct lk_store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *c;
	int rc;
	if (!(c = get_conn(s, &rc))) {
		return rc;
	}
	if ((rc = ensure_ok(c)) != LK_OK) {
		return rc;
	}
	return command(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", NULL);
}

static void
pg_unlock(struct lk_store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *c;
	int rc;
	if ((c = get_conn(s, &rc)) && PQstatus(c->pc) == CONNECTION_OK) {
		command(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")", NULL);
	}
}

static void
pg_close(struct lk_store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	if (!s) {
		return;
	}
	lk_connreg_fini(&s->conns);
	free(s->url);
	free(s);
}

static int
pg_open(const char *url, struct lk_store **out)
{
	struct pg_store *s = NULL;
	struct pg_conn *c;
	int rc = LK_E_INVAL;
	if (strncmp(url, "postgres://", 11) != 0 && strncmp(url, "postgresql://", 13) != 0) {
		goto out;
	}
	if (!lk_pqlib()) {
		rc = LK_E_STORAGE;
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
	s->base.ops = &lk_pg_ops;
	if (!(s->url = strdup(url))) {
		goto out;
	}
	if (!(c = get_conn(s, &rc))) {
		goto out;
	}
	if (PQstatus(c->pc) != CONNECTION_OK) {
		rc = LK_E_STORAGE;
		goto out;
	}
	if ((rc = lk_store_migrate(&s->base, lk_embedded_all())) != LK_OK) {
		goto out;
	}
	*out = &s->base;
	s = NULL;
	rc = LK_OK;
out:
	pg_close(s ? &s->base : NULL);
	return rc;
}

const struct lk_store_ops lk_pg_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .ping = pg_ping,
};

const struct lk_store_dialect lk_pg_dialect = {
    .id_type = "BIGSERIAL PRIMARY KEY",
    .blob_type = "BYTEA",
    .script = pg_script,
    .lock = pg_lock,
    .unlock = pg_unlock,
};
