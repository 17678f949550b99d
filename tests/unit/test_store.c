/* test_store.c: the store back ends against real engines: a SQLite file in a temporary
 * directory always, and PostgreSQL too when LATCHKEY_TEST_PG_URL is set (scripts/pg-test
 * createdb NAME prints one). Each test runs the same portable SQL on every engine. The
 * tables are the test's own (t_store_*), created through the migration runner. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/rc.h"
#include "embedded.h"
#include "store/store.h"

#define NTHREADS 8

static char g_url[1024];
static int g_pg;
static char g_path[512]; /* sqlite file */
static char g_dir[256];  /* the temporary directory it is in */

/* The test's own migrations, deliberately out of order and with a path that is not one. */
static const char mig2[] = "INSERT INTO t_store_log (k, note) VALUES (1, 'one;\n two');\n"
                           "INSERT INTO t_store_log (k, note) VALUES (2, '{{not a token}}');\n";
static const char mig1[] = "-- test schema\n"
                           "CREATE TABLE t_store_items (\n"
                           "\tid {{ID}},\n"
                           "\tname TEXT NOT NULL UNIQUE,\n"
                           "\tn BIGINT,\n"
                           "\tdata {{BLOB}},\n"
                           "\tused BIGINT NOT NULL DEFAULT 0\n"
                           ");\n"
                           "CREATE TABLE t_store_log (k BIGINT PRIMARY KEY, note TEXT);\n";

static int
open_store(struct lk_store **s)
{
	int rc = lk_store_open(g_url, s);
	if (rc != LK_OK) {
		fprintf(stderr, "lk_store_open(%s): %d\n", g_pg ? "postgres" : "sqlite", rc);
	}
	return rc;
}

static int64_t
one_int(struct lk_store *s, const char *sql, const struct lk_val *p, int n)
{
	int64_t v = -999;
	int rc = lk_db_int(s, sql, p, n, &v);
	return rc == LK_OK ? v : -1000 + rc;
}

static int
exec0(struct lk_store *s, const char *sql)
{
	return lk_db_exec(s, sql, NULL, 0, NULL, NULL, NULL);
}

/* Removes what an earlier run against the same PostgreSQL database left behind. */
static void
pg_clean(void)
{
	struct lk_store *s = NULL;
	if (!g_pg || open_store(&s) != LK_OK) {
		return;
	}
	exec0(s, "DROP TABLE IF EXISTS t_store_items");
	exec0(s, "DROP TABLE IF EXISTS t_store_log");
	exec0(s, "DROP TABLE IF EXISTS t_store_once");
	exec0(s, "DROP TABLE IF EXISTS t_store_bad");
	exec0(s, "DELETE FROM schema_migrations WHERE version >= 900000000");
	lk_store_close(s);
}

static void
test_open_and_migrate(void)
{
	struct lk_embedded files[] = {{"src/store/migrations/900000002_log.sql",
	                               (const unsigned char *)mig2, sizeof(mig2) - 1},
	                              {"web/ignored.html", (const unsigned char *)"x", 1},
	                              {"src/store/migrations/900000001_items.sql",
	                               (const unsigned char *)mig1, sizeof(mig1) - 1},
	                              {0, 0, 0}};
	struct lk_store *s = NULL;
	int64_t embedded = 0;
	for (const struct lk_embedded *e = lk_embedded_all(); e->path; e++) {
		embedded += strncmp(e->path, "src/store/migrations/", 21) == 0;
	}
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(lk_db_ping(s), LK_OK);
	/* every embedded migration recorded once */
	CHECK_EQ_INT(
	    one_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE version < 900000000", NULL, 0),
	    embedded);
	/* mig2 has an unknown token inside a string: the runner refuses it before running */
	CHECK_EQ_INT(lk_store_migrate(s, files), LK_E_INVAL);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE version >= 900000000",
	                     NULL, 0),
	             1); /* 900000001 went in before */
	static const char mig2ok[] = "INSERT INTO t_store_log (k, note) VALUES (1, 'one;\n two');\n"
	                             "INSERT INTO t_store_log (k, note) VALUES (2, 'x');\n";
	files[0].data = (const unsigned char *)mig2ok;
	files[0].len = sizeof(mig2ok) - 1;
	CHECK_EQ_INT(lk_store_migrate(s, files), LK_OK);
	CHECK_EQ_INT(lk_store_migrate(s, files), LK_OK);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_log", NULL, 0), 2);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE version >= 900000000",
	                     NULL, 0),
	             2);
	CHECK(one_int(s, "SELECT applied_at FROM schema_migrations WHERE version = 900000002", NULL,
	              0) > 1700000000000LL);
	lk_store_close(s);

	/* opening again applies nothing twice */
	s = NULL;
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(lk_store_migrate(s, files), LK_OK);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_log", NULL, 0), 2);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM schema_migrations", NULL, 0), embedded + 2);

	/* malformed names, duplicates, a failing migration (rolled back, not recorded) */
	struct lk_embedded bad_name[] = {
	    {"src/store/migrations/abc.sql", (const unsigned char *)"", 0}, {0, 0, 0}};
	CHECK_EQ_INT(lk_store_migrate(s, bad_name), LK_E_INVAL);
	struct lk_embedded dup[] = {
	    {"src/store/migrations/900000005_a.sql", (const unsigned char *)"", 0},
	    {"src/store/migrations/900000005_b.sql", (const unsigned char *)"", 0},
	    {0, 0, 0}};
	CHECK_EQ_INT(lk_store_migrate(s, dup), LK_E_INVAL);
	static const char failing[] = "CREATE TABLE t_store_bad (x BIGINT);\n"
	                              "INSERT INTO t_store_bad (x) VALUES (1);\n"
	                              "THIS IS NOT SQL;\n";
	struct lk_embedded fail[] = {{"src/store/migrations/900000006_bad.sql",
	                              (const unsigned char *)failing, sizeof(failing) - 1},
	                             {0, 0, 0}};
	CHECK_EQ_INT(lk_store_migrate(s, fail), LK_E_STORAGE);
	CHECK_EQ_INT(
	    one_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE version = 900000006", NULL, 0),
	    0);
	/* the table of the failed migration does not exist: its creation was rolled back */
	CHECK_EQ_INT(exec0(s, "SELECT x FROM t_store_bad"), LK_E_STORAGE);
	lk_store_close(s);
}

struct rows {
	int n;
	int stop_after;
	struct lk_val v[8];
	char text[8][64];
	unsigned char blob[8][64];
	int text_terminated;
	int ncol;
};

/* Copies the first row's columns (the values are only valid during the callback). */
static int
collect(void *arg, const struct lk_val *cols, int ncol)
{
	struct rows *r = arg;
	if (r->n++ == 0) {
		r->ncol = ncol;
		r->text_terminated = 1;
		for (int i = 0; i < ncol && i < 8; i++) {
			r->v[i] = cols[i];
			if (cols[i].type == LK_V_TEXT && cols[i].len < 64) {
				memcpy(r->text[i], cols[i].p, cols[i].len);
				r->text[i][cols[i].len] = 0;
				r->v[i].p = r->text[i];
				if (((const char *)cols[i].p)[cols[i].len] != 0) {
					r->text_terminated = 0;
				}
			} else if (cols[i].type == LK_V_BLOB && cols[i].len < 64) {
				memcpy(r->blob[i], cols[i].p, cols[i].len);
				r->v[i].p = r->blob[i];
			}
		}
	}
	return r->stop_after && r->n >= r->stop_after;
}

static void
test_values(void)
{
	static const unsigned char bytes[] = {0x00, 0xff, 0x01, 0x00, 0x80, 0x27, 0x3f};
	const char *utf8 = "Zo\xc3\xab \xe2\x9c\x93 ?1 'q'";
	struct lk_store *s = NULL;
	struct lk_val p[4];
	struct rows r;
	int64_t changes = -1, id1 = 0, id2 = 0;
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(exec0(s, "DELETE FROM t_store_items"), LK_OK);

	/* INSERT ... RETURNING with TEXT, INT, BLOB */
	p[0] = LK_TEXT(utf8);
	p[1] = LK_INT(INT64_MIN);
	p[2] = LK_BLOB(bytes, sizeof(bytes));
	CHECK_EQ_INT(lk_db_int(s,
	                       "INSERT INTO t_store_items (name, n, data) VALUES (?1, ?2, ?3) "
	                       "RETURNING id",
	                       p, 3, &id1),
	             LK_OK);
	CHECK(id1 > 0);
	/* NULL and empty values; the same placeholder twice */
	p[0] = LK_TEXT("");
	p[1] = LK_NULLV;
	p[2] = LK_BLOB("", 0);
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(lk_db_exec(s,
	                        "INSERT INTO t_store_items (name, n, data) VALUES (?1, ?2, ?3) "
	                        "RETURNING id, name, n, data",
	                        p, 3, collect, &r, &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 1);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.ncol, 4);
	CHECK_EQ_INT(r.v[0].type, LK_V_INT);
	id2 = r.v[0].i;
	CHECK(id2 > id1);
	CHECK_EQ_INT(r.v[1].type, LK_V_TEXT);
	CHECK_EQ_INT(r.v[1].len, 0);
	CHECK_EQ_INT(r.v[2].type, LK_V_NULL);
	CHECK_EQ_INT(r.v[3].type, LK_V_BLOB);
	CHECK_EQ_INT(r.v[3].len, 0);

	/* read back the first row */
	memset(&r, 0, sizeof(r));
	p[0] = LK_INT(id1);
	CHECK_EQ_INT(lk_db_exec(s, "SELECT name, n, data, used FROM t_store_items WHERE id = ?1", p,
	                        1, collect, &r, &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 0);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.v[0].type, LK_V_TEXT);
	CHECK_EQ_STR(r.text[0], utf8);
	CHECK_EQ_INT(r.v[0].len, strlen(utf8));
	CHECK(r.text_terminated);
	CHECK_EQ_INT(r.v[1].type, LK_V_INT);
	CHECK(r.v[1].i == INT64_MIN);
	CHECK_EQ_INT(r.v[2].type, LK_V_BLOB);
	CHECK_EQ_INT(r.v[2].len, sizeof(bytes));
	CHECK(memcmp(r.blob[2], bytes, sizeof(bytes)) == 0);
	CHECK_EQ_INT(r.v[3].type, LK_V_INT);
	CHECK_EQ_INT(r.v[3].i, 0);

	/* large integers both ways, a blob compared in WHERE */
	p[0] = LK_INT(INT64_MAX);
	p[1] = LK_BLOB(bytes, sizeof(bytes));
	CHECK_EQ_INT(lk_db_exec(s, "UPDATE t_store_items SET n = ?1 WHERE data = ?2", p, 2, NULL,
	                        NULL, &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 1);
	p[0] = LK_BLOB(bytes, sizeof(bytes));
	CHECK(one_int(s, "SELECT n FROM t_store_items WHERE data = ?1", p, 1) == INT64_MAX);

	/* changes counts every row written; a later SELECT or DDL reports 0 */
	CHECK_EQ_INT(lk_db_exec(s, "UPDATE t_store_items SET used = used + 1", NULL, 0, NULL, NULL,
	                        &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 2);
	CHECK_EQ_INT(lk_db_exec(s, "SELECT id FROM t_store_items", NULL, 0, NULL, NULL, &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 0);
	CHECK_EQ_INT(lk_db_exec(s, "CREATE INDEX IF NOT EXISTS t_store_items_n ON t_store_items(n)",
	                        NULL, 0, NULL, NULL, &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 0);
	p[0] = LK_INT(-5);
	CHECK_EQ_INT(lk_db_exec(s, "UPDATE t_store_items SET used = 0 WHERE id = ?1", p, 1, NULL,
	                        NULL, &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 0);

	/* a callback that stops: one call, the statement still completes */
	memset(&r, 0, sizeof(r));
	r.stop_after = 1;
	CHECK_EQ_INT(lk_db_exec(s, "UPDATE t_store_items SET used = 7 RETURNING id", NULL, 0,
	                        collect, &r, &changes),
	             LK_OK);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(changes, 2);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_items WHERE used = 7", NULL, 0), 2);

	/* booleans and counts come back as integers; no row is NOTFOUND */
	p[0] = LK_INT(id1);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_items WHERE id = ?1", p, 1), 1);
	CHECK_EQ_INT(one_int(s, "SELECT n > 0 FROM t_store_items WHERE id = ?1", p, 1), 1);
	CHECK_EQ_INT(one_int(s, "SELECT CAST(?1 AS BIGINT) + 1", p, 1), id1 + 1);
	p[0] = LK_INT(-1);
	int64_t v = 0;
	CHECK_EQ_INT(lk_db_int(s, "SELECT id FROM t_store_items WHERE id = ?1", p, 1, &v),
	             LK_E_NOTFOUND);
	lk_store_close(s);
}

static void
test_unique_and_errors(void)
{
	struct lk_store *s = NULL;
	struct lk_val p[3];
	int64_t changes = -1;
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	p[0] = LK_TEXT("dup@example.org");
	CHECK_EQ_INT(lk_db_exec(s, "INSERT INTO t_store_items (name) VALUES (?1)", p, 1, NULL, NULL,
	                        &changes),
	             LK_OK);
	CHECK_EQ_INT(lk_db_exec(s, "INSERT INTO t_store_items (name) VALUES (?1)", p, 1, NULL, NULL,
	                        &changes),
	             LK_E_EXISTS);
	/* primary key */
	p[0] = LK_INT(1);
	CHECK_EQ_INT(lk_db_exec(s, "INSERT INTO t_store_log (k, note) VALUES (?1, 'again')", p, 1,
	                        NULL, NULL, NULL),
	             LK_E_EXISTS);
	/* ON CONFLICT DO NOTHING: no error, no change */
	CHECK_EQ_INT(lk_db_exec(s,
	                        "INSERT INTO t_store_log (k, note) VALUES (?1, 'again') "
	                        "ON CONFLICT (k) DO NOTHING",
	                        p, 1, NULL, NULL, &changes),
	             LK_OK);
	CHECK_EQ_INT(changes, 0);
	/* out of contract: bare ?, wrong parameter count, NUL in text, a skipped number */
	CHECK_EQ_INT(lk_db_exec(s, "SELECT k FROM t_store_log WHERE k = ?", p, 1, NULL, NULL, NULL),
	             LK_E_INVAL);
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k FROM t_store_log WHERE k = ?1", p, 0, NULL, NULL, NULL),
	    LK_E_INVAL);
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k FROM t_store_log WHERE k = ?1", p, 2, NULL, NULL, NULL),
	    LK_E_INVAL);
	p[0] = LK_TEXTN("a\0b", 3);
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k FROM t_store_log WHERE note = ?1", p, 1, NULL, NULL, NULL),
	    LK_E_INVAL);
	p[0] = LK_INT(1);
	p[1] = LK_INT(2);
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k FROM t_store_log WHERE k = ?2", p, 2, NULL, NULL, NULL),
	    g_pg ? LK_E_STORAGE : LK_E_INVAL);
	/* one statement per call */
	CHECK_EQ_INT(exec0(s, "DELETE FROM t_store_log WHERE k = 1; DELETE FROM t_store_log"),
	             g_pg ? LK_E_STORAGE : LK_E_INVAL);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_log; -- all of them", NULL, 0), 2);
	/* a question mark inside a literal is not a placeholder */
	CHECK_EQ_INT(
	    one_int(s, "SELECT COUNT(*) FROM t_store_log WHERE note <> '?' AND k = ?1", p, 1), 1);
	/* unknown table, unsupported column type */
	CHECK_EQ_INT(exec0(s, "SELECT missing FROM t_store_nowhere"), LK_E_STORAGE);
	struct rows r;
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(lk_db_exec(s, "SELECT 1.5", NULL, 0, collect, &r, NULL), LK_E_STORAGE);
	CHECK_EQ_INT(r.n, 0);
	/* still usable */
	CHECK_EQ_INT(lk_db_ping(s), LK_OK);
	lk_store_close(s);
}

static void
test_transactions(void)
{
	struct lk_store *s = NULL;
	struct lk_val p[2];
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	p[0] = LK_INT(100);
	p[1] = LK_TEXT("rolled back");
	CHECK_EQ_INT(lk_db_begin(s), LK_OK);
	CHECK_EQ_INT(lk_db_exec(s, "INSERT INTO t_store_log (k, note) VALUES (?1, ?2)", p, 2, NULL,
	                        NULL, NULL),
	             LK_OK);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_log WHERE k = ?1", p, 1), 1);
	CHECK_EQ_INT(lk_db_rollback(s), LK_OK);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_log WHERE k = ?1", p, 1), 0);
	CHECK_EQ_INT(lk_db_rollback(s), LK_OK); /* idempotent */

	/* commit keeps it */
	p[1] = LK_TEXT("committed");
	CHECK_EQ_INT(lk_db_begin(s), LK_OK);
	CHECK_EQ_INT(lk_db_exec(s, "INSERT INTO t_store_log (k, note) VALUES (?1, ?2)", p, 2, NULL,
	                        NULL, NULL),
	             LK_OK);
	CHECK_EQ_INT(lk_db_commit(s), LK_OK);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_log WHERE k = ?1", p, 1), 1);

	/* an error inside a transaction, then rollback: the store goes on */
	CHECK_EQ_INT(lk_db_begin(s), LK_OK);
	p[0] = LK_INT(101);
	CHECK_EQ_INT(lk_db_exec(s, "INSERT INTO t_store_log (k, note) VALUES (?1, ?2)", p, 2, NULL,
	                        NULL, NULL),
	             LK_OK);
	p[0] = LK_INT(100);
	CHECK_EQ_INT(lk_db_exec(s, "INSERT INTO t_store_log (k, note) VALUES (?1, ?2)", p, 2, NULL,
	                        NULL, NULL),
	             LK_E_EXISTS);
	CHECK_EQ_INT(lk_db_rollback(s), LK_OK);
	p[0] = LK_INT(101);
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_log WHERE k = ?1", p, 1), 0);

	/* commit without begin, begin twice */
	CHECK_EQ_INT(lk_db_commit(s), LK_E_STORAGE);
	CHECK_EQ_INT(lk_db_begin(s), LK_OK);
	CHECK_EQ_INT(lk_db_begin(s), LK_E_STORAGE);
	CHECK_EQ_INT(lk_db_rollback(s), LK_OK);
	CHECK_EQ_INT(lk_db_ping(s), LK_OK);
	lk_store_close(s);
}

struct nest {
	struct lk_store *s;
	int rows, inner_ok;
};

static int
nested_row(void *arg, const struct lk_val *cols, int ncol)
{
	struct nest *n = arg;
	struct lk_val p = LK_INT(cols[0].i);
	(void)ncol;
	n->rows++;
	/* the same statement again, from inside its own row callback */
	if (one_int(n->s, "SELECT k FROM t_store_log WHERE k = ?1", &p, 1) == cols[0].i) {
		n->inner_ok++;
	}
	return 0;
}

static void
test_nested(void)
{
	struct lk_store *s = NULL;
	struct lk_val p = LK_INT(0);
	struct nest n = {0, 0, 0};
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	n.s = s;
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k FROM t_store_log WHERE k > ?1", &p, 1, nested_row, &n, NULL),
	    LK_OK);
	CHECK_EQ_INT(n.rows, 3);
	CHECK_EQ_INT(n.inner_ok, 3);
	lk_store_close(s);
}

struct race {
	struct lk_store *s;
	pthread_barrier_t *bar;
	int64_t id;
	int64_t changes;
	int rc;
};

static void *
race_thread(void *arg)
{
	struct race *r = arg;
	struct lk_val p = LK_INT(r->id);
	/* warm this thread's connection first so that the race is on the UPDATE itself */
	r->rc = lk_db_ping(r->s);
	pthread_barrier_wait(r->bar);
	if (r->rc == LK_OK) {
		r->rc =
		    lk_db_exec(r->s, "UPDATE t_store_items SET used = 1 WHERE id = ?1 AND used = 0",
		               &p, 1, NULL, NULL, &r->changes);
	}
	return NULL;
}

static void
test_single_use_race(void)
{
	struct lk_store *s = NULL;
	pthread_t th[NTHREADS];
	struct race r[NTHREADS];
	pthread_barrier_t bar;
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	for (int round = 0; round < 5; round++) {
		struct lk_val p = LK_TEXT("race");
		int64_t id = 0, winners = 0;
		CHECK_EQ_INT(exec0(s, "DELETE FROM t_store_items WHERE name = 'race'"), LK_OK);
		CHECK_EQ_INT(lk_db_int(s,
		                       "INSERT INTO t_store_items (name) VALUES (?1) RETURNING id",
		                       &p, 1, &id),
		             LK_OK);
		pthread_barrier_init(&bar, NULL, NTHREADS);
		for (int i = 0; i < NTHREADS; i++) {
			r[i] = (struct race){s, &bar, id, -1, -1};
			pthread_create(&th[i], NULL, race_thread, &r[i]);
		}
		for (int i = 0; i < NTHREADS; i++) {
			pthread_join(th[i], NULL);
			CHECK_EQ_INT(r[i].rc, LK_OK);
			CHECK(r[i].changes == 0 || r[i].changes == 1);
			winners += r[i].changes;
		}
		pthread_barrier_destroy(&bar);
		CHECK_EQ_INT(winners, 1);
	}
	lk_store_close(s);
}

struct opener {
	const char *url;
	const struct lk_embedded *files;
	pthread_barrier_t *bar;
	int rc_open, rc_migrate;
};

static void *
open_thread(void *arg)
{
	struct opener *o = arg;
	struct lk_store *s = NULL;
	pthread_barrier_wait(o->bar);
	o->rc_open = lk_store_open(o->url, &s);
	if (o->rc_open == LK_OK) {
		o->rc_migrate = lk_store_migrate(s, o->files);
		lk_store_close(s);
	}
	return NULL;
}

/* Instances starting at once, on SQLite on a new file: each migration (the embedded ones
 * and the test's) applied exactly once (a second run would fail: CREATE TABLE without IF
 * NOT EXISTS, and the count would be 2). */
static void
test_concurrent_migrations(void)
{
	static const char once[] = "CREATE TABLE t_store_once (k BIGINT NOT NULL);\n"
	                           "INSERT INTO t_store_once (k) VALUES (1);\n";
	struct lk_embedded files[] = {{"src/store/migrations/900000010_once.sql",
	                               (const unsigned char *)once, sizeof(once) - 1},
	                              {0, 0, 0}};
	pthread_t th[4];
	struct opener o[4];
	pthread_barrier_t bar;
	struct lk_store *s = NULL;
	char url[1100];
	int64_t embedded = 0;
	for (const struct lk_embedded *e = lk_embedded_all(); e->path; e++) {
		embedded += strncmp(e->path, "src/store/migrations/", 21) == 0;
	}
	if (g_pg) {
		snprintf(url, sizeof(url), "%s", g_url);
	} else {
		snprintf(url, sizeof(url), "sqlite:%s/fresh.db", g_dir);
	}
	pthread_barrier_init(&bar, NULL, 4);
	for (int i = 0; i < 4; i++) {
		o[i] = (struct opener){url, files, &bar, -1, -1};
		pthread_create(&th[i], NULL, open_thread, &o[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(o[i].rc_open, LK_OK);
		CHECK_EQ_INT(o[i].rc_migrate, LK_OK);
	}
	pthread_barrier_destroy(&bar);
	if (lk_store_open(url, &s) != LK_OK) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(one_int(s, "SELECT COUNT(*) FROM t_store_once", NULL, 0), 1);
	CHECK_EQ_INT(
	    one_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE version < 900000000", NULL, 0),
	    embedded);
	CHECK_EQ_INT(
	    one_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE version = 900000010", NULL, 0),
	    1);
	lk_store_close(s);
}

static void
test_sqlite_file_mode(void)
{
	struct stat st;
	char wal[600];
	CHECK_EQ_INT(stat(g_path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", g_path);
	/* WAL journal: the -wal file exists while a connection is open, with the same mode */
	struct lk_store *s = NULL;
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(stat(wal, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	struct rows r;
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(lk_db_exec(s, "PRAGMA journal_mode", NULL, 0, collect, &r, NULL), LK_OK);
	CHECK_EQ_STR(r.text[0], "wal");
	CHECK_EQ_INT(one_int(s, "PRAGMA foreign_keys", NULL, 0), 1);
	CHECK_EQ_INT(one_int(s, "PRAGMA busy_timeout", NULL, 0), 5000);
	CHECK_EQ_INT(one_int(s, "PRAGMA synchronous", NULL, 0), 1); /* NORMAL */
	lk_store_close(s);
}

static void
test_open_errors(void)
{
	struct lk_store *s = (struct lk_store *)1;
	CHECK_EQ_INT(lk_store_open("mysql://x", &s), LK_E_INVAL);
	CHECK(s == NULL);
	CHECK_EQ_INT(lk_store_open("sqlite:", &s), LK_E_INVAL);
	CHECK_EQ_INT(lk_store_open("sqlite::memory:", &s), LK_E_INVAL);
	CHECK_EQ_INT(lk_store_open("sqlite:/nonexistent-dir/x/y.db", &s), LK_E_STORAGE);
	lk_store_close(NULL);
}

struct pid_arg {
	struct lk_store *s;
	int64_t victim;
	int64_t killed;
};

static void *
kill_thread(void *arg)
{
	struct pid_arg *a = arg;
	struct lk_val p = LK_INT(a->victim);
	a->killed = one_int(a->s, "SELECT pg_terminate_backend(CAST(?1 AS INTEGER))", &p, 1);
	return NULL;
}

/* The server drops this thread's connection: the next statement reconnects. */
static void
test_pg_reconnect(void)
{
	struct lk_store *s = NULL;
	struct pid_arg a;
	pthread_t th;
	struct lk_val p = LK_INT(1);
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	int64_t pid = one_int(s, "SELECT CAST(pg_backend_pid() AS BIGINT)", NULL, 0);
	CHECK(pid > 0);
	CHECK_EQ_INT(one_int(s, "SELECT k FROM t_store_log WHERE k = ?1", &p, 1), 1);
	a = (struct pid_arg){s, pid, 0};
	pthread_create(&th, NULL, kill_thread, &a);
	pthread_join(th, NULL);
	CHECK_EQ_INT(a.killed, 1);
	usleep(100000);
	/* a cached statement, then a new one, on the new connection */
	CHECK_EQ_INT(one_int(s, "SELECT k FROM t_store_log WHERE k = ?1", &p, 1), 1);
	int64_t pid2 = one_int(s, "SELECT CAST(pg_backend_pid() AS BIGINT)", NULL, 0);
	CHECK(pid2 > 0 && pid2 != pid);
	/* inside a transaction the loss is reported, and rollback recovers */
	CHECK_EQ_INT(lk_db_begin(s), LK_OK);
	a = (struct pid_arg){s, pid2, 0};
	pthread_create(&th, NULL, kill_thread, &a);
	pthread_join(th, NULL);
	CHECK_EQ_INT(a.killed, 1);
	usleep(100000);
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k FROM t_store_log WHERE k = ?1", &p, 1, NULL, NULL, NULL),
	    LK_E_STORAGE);
	CHECK_EQ_INT(lk_db_rollback(s), LK_OK);
	CHECK_EQ_INT(one_int(s, "SELECT k FROM t_store_log WHERE k = ?1", &p, 1), 1);
	lk_store_close(s);
}

/* A cached plan whose result type changed under it is prepared again, once. */
static void
test_pg_stale_plan(void)
{
	struct lk_store *s = NULL;
	struct lk_val p = LK_INT(1);
	struct rows r;
	if (open_store(&s) != LK_OK) {
		CHECK(0);
		return;
	}
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k, note FROM t_store_log WHERE k = ?1", &p, 1, collect, &r, NULL),
	    LK_OK);
	CHECK_EQ_INT(r.v[0].type, LK_V_INT);
	CHECK_EQ_INT(exec0(s, "ALTER TABLE t_store_log ALTER COLUMN k TYPE INTEGER"), LK_OK);
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k, note FROM t_store_log WHERE k = ?1", &p, 1, collect, &r, NULL),
	    LK_OK);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.v[0].type, LK_V_INT);
	CHECK_EQ_INT(r.v[0].i, 1);
	CHECK_EQ_STR(r.text[1], "one;\n two");
	/* an INTEGER (int4) column takes LK_INT too, range-checked */
	p = LK_INT(1LL << 40);
	CHECK_EQ_INT(
	    lk_db_exec(s, "SELECT k FROM t_store_log WHERE k = ?1", &p, 1, NULL, NULL, NULL),
	    LK_E_INVAL);
	lk_store_close(s);
	/* a server that is not there */
	s = (struct lk_store *)1;
	CHECK_EQ_INT(lk_store_open("postgres://nobody@127.0.0.1:1/none", &s), LK_E_STORAGE);
	CHECK(s == NULL);
}

static void
run_all(void)
{
	RUN(test_open_and_migrate);
	RUN(test_values);
	RUN(test_unique_and_errors);
	RUN(test_transactions);
	RUN(test_nested);
	RUN(test_single_use_race);
	RUN(test_concurrent_migrations);
}

int
main(void)
{
	char tmpl[] = "/tmp/latchkey-store-XXXXXX";
	const char *pg = getenv("LATCHKEY_TEST_PG_URL");
	char *dir = mkdtemp(tmpl);
	if (!dir) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(g_dir, sizeof(g_dir), "%s", dir);
	snprintf(g_path, sizeof(g_path), "%s/t.db", dir);
	snprintf(g_url, sizeof(g_url), "sqlite:%s", g_path);
	g_pg = 0;
	RUN(test_open_errors);
	run_all();
	RUN(test_sqlite_file_mode);

	if (pg && *pg) {
		snprintf(g_url, sizeof(g_url), "%s", pg);
		g_pg = 1;
		pg_clean();
		run_all();
		RUN(test_pg_reconnect);
		RUN(test_pg_stale_plan);
		pg_clean();
	}

	char f[600];
	snprintf(f, sizeof(f), "%s-wal", g_path);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", g_path);
	unlink(f);
	unlink(g_path);
	snprintf(f, sizeof(f), "%s/fresh.db", dir);
	unlink(f);
	rmdir(dir);
	return check_done("test_store");
}
