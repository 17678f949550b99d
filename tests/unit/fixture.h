/* fixture.h: what the unit tests of auth/ share: running a suite on a fresh SQLite file
 * and again on PostgreSQL when LATCHKEY_TEST_PG_URL is set, and injecting a storage fault.
 * Include after check.h. */
#ifndef LK_FIXTURE_H
#define LK_FIXTURE_H

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rc.h"
#include "store/store.h"

/* Runs run() between open(url) and close() on a temporary SQLite file, then on PostgreSQL
 * if configured; returns the process status with the "name: N passed, N failed" line. */
static inline int
fixture_run(const char *name, int (*open)(const char *url), void (*run)(void), void (*close)(void))
{
	static const char *const files[] = {"t.db", "t.db-wal", "t.db-shm"};
	char tmpl[] = "/tmp/latchkey-unit-XXXXXX", url[600];
	const char *pg = getenv("LATCHKEY_TEST_PG_URL");
	char *dir;

	if (sodium_init() < 0 || !(dir = mkdtemp(tmpl))) {
		return 1;
	}
	snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	if (open(url) != 0) {
		return 1;
	}
	run();
	close();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(url, sizeof(url), "%s/%s", dir, files[i]);
		unlink(url);
	}
	rmdir(dir);
	if (pg && *pg) {
		if (open(pg) != 0) {
			return 1;
		}
		run();
		close();
	}
	return check_done(name);
}

/* From now on (on = 1), or no longer (on = 0), every op (INSERT or UPDATE) of a row of
 * table whose user_id is user_id fails, by a trigger in the engine's own dialect. user_id
 * is the test's own (no quote in it). */
static inline void
fixture_inject_fault(struct lk_store *st, const char *table, const char *op, const char *user_id,
                     int on)
{
	char sql[600];
	int pg = strcmp(st->ops->name, "postgres") == 0;

	if (!on) {
		snprintf(sql, sizeof(sql), "DROP TRIGGER IF EXISTS lk_test_fault%s%s",
		         pg ? " ON " : "", pg ? table : "");
	} else if (pg) {
		CHECK_EQ_INT(
		    lk_db_exec(st,
		               "CREATE OR REPLACE FUNCTION lk_test_fault() RETURNS trigger "
		               "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected "
		               "fault'; END $$",
		               NULL, 0, NULL, NULL, NULL),
		    LK_OK);
		snprintf(sql, sizeof(sql),
		         "CREATE TRIGGER lk_test_fault BEFORE %s ON %s FOR EACH ROW WHEN "
		         "(NEW.user_id = '%s') EXECUTE FUNCTION lk_test_fault()",
		         op, table, user_id);
	} else {
		snprintf(sql, sizeof(sql),
		         "CREATE TRIGGER lk_test_fault BEFORE %s ON %s WHEN NEW.user_id = '%s' "
		         "BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
		         op, table, user_id);
	}
	CHECK_EQ_INT(lk_db_exec(st, sql, NULL, 0, NULL, NULL, NULL), LK_OK);
}

#endif
