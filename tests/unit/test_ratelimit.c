/* test_ratelimit.c: the sliding-window limits of auth/ratelimit.c on real engines: a SQLite
 * file in a temporary directory always, and PostgreSQL too when LATCHKEY_TEST_PG_URL is set.
 * lk_rate_take must decide and count at once: parallel takers on one store, and on two
 * stores on one database (two server instances), never get more slots than the limit. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/app.h"
#include "auth/ratelimit.h"
#include "check.h"
#include "core/rc.h"
#include "store/store.h"

#define NTHREADS   8
#define PER_THREAD 6
#define WINDOW     (60LL * 1000)
#define T0         1700000000000LL

static char g_url[1024];

/* A bucket name no other run shares (the PostgreSQL database may be reused). */
static void
fresh_bucket(char *out, size_t cap, const char *tag)
{
	unsigned char r[6];
	randombytes_buf(r, sizeof(r));
	snprintf(out, cap, "test-%s:%02x%02x%02x%02x%02x%02x", tag, r[0], r[1], r[2], r[3], r[4],
	         r[5]);
}

static int
open_app(struct lk_app *app)
{
	memset(app, 0, sizeof(*app));
	int rc = lk_store_open(g_url, &app->store);
	if (rc != LK_OK) {
		fprintf(stderr, "lk_store_open(%.12s...): %d\n", g_url, rc);
	}
	return rc;
}

static void
test_take_release_window(void)
{
	struct lk_app app;
	char b[64];
	int64_t slot[4] = {0}, retry = -1, n = -1;

	if (open_app(&app) != LK_OK) {
		CHECK(0);
		return;
	}
	fresh_bucket(b, sizeof(b), "seq");
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(lk_rate_take(&app, b, 3, WINDOW, T0 + i * 1000, &slot[i], &retry),
		             LK_OK);
		CHECK(slot[i] > 0);
		CHECK_EQ_INT(retry, 0);
	}
	CHECK(slot[0] != slot[1] && slot[1] != slot[2]);
	/* full: refused, not counted, Retry-After until the oldest (T0) leaves */
	CHECK_EQ_INT(lk_rate_take(&app, b, 3, WINDOW, T0 + 10000, &slot[3], &retry), LK_E_LOCKED);
	CHECK_EQ_INT(slot[3], 0);
	CHECK_EQ_INT(retry, 50);
	CHECK_EQ_INT(lk_rate_count(&app, b, WINDOW, T0 + 10000, &n), LK_OK);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(lk_rate_check(&app, b, 3, WINDOW, T0 + 10000, &retry), LK_E_LOCKED);
	/* a released slot is free again, once */
	CHECK_EQ_INT(lk_rate_release(&app, slot[1]), LK_OK);
	CHECK_EQ_INT(lk_rate_release(&app, 0), LK_OK);
	CHECK_EQ_INT(lk_rate_take(&app, b, 3, WINDOW, T0 + 11000, &slot[3], &retry), LK_OK);
	CHECK(slot[3] > 0);
	CHECK_EQ_INT(lk_rate_take(&app, b, 3, WINDOW, T0 + 11000, &slot[1], &retry), LK_E_LOCKED);
	/* the window slides: after T0 + WINDOW the first event no longer counts */
	CHECK_EQ_INT(lk_rate_take(&app, b, 3, WINDOW, T0 + WINDOW + 1, &slot[1], &retry), LK_OK);
	CHECK_EQ_INT(lk_rate_count(&app, b, WINDOW, T0 + WINDOW + 1, &n), LK_OK);
	CHECK_EQ_INT(n, 3);
	lk_store_close(app.store);
}

static void
test_limit_zero_counts(void)
{
	struct lk_app app;
	char b[64];
	int64_t slot = 0, retry = -1, n = -1;

	if (open_app(&app) != LK_OK) {
		CHECK(0);
		return;
	}
	fresh_bucket(b, sizeof(b), "zero");
	for (int i = 0; i < 5; i++) {
		CHECK_EQ_INT(lk_rate_take(&app, b, 0, WINDOW, T0 + i, &slot, &retry), LK_OK);
		CHECK(slot > 0);
	}
	CHECK_EQ_INT(lk_rate_count(&app, b, WINDOW, T0 + 10, &n), LK_OK);
	CHECK_EQ_INT(n, 5);
	lk_store_close(app.store);
}

struct taker {
	struct lk_app *app;
	const char *bucket;
	int limit;
	pthread_barrier_t *bar;
	int ok, locked, other;
};

static void *
take_thread(void *arg)
{
	struct taker *t = arg;
	int64_t slot, retry;

	pthread_barrier_wait(t->bar);
	for (int i = 0; i < PER_THREAD; i++) {
		int rc = lk_rate_take(t->app, t->bucket, t->limit, WINDOW, T0 + i, &slot, &retry);
		if (rc == LK_OK) {
			t->ok++;
		} else if (rc == LK_E_LOCKED) {
			t->locked++;
		} else {
			t->other++;
		}
	}
	return NULL;
}

/* NTHREADS threads take at once, spread over nstores stores (each its own connections). */
static void
parallel(int nstores)
{
	struct lk_app app[2];
	struct taker t[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_barrier_t bar;
	char b[64];
	int ok = 0, locked = 0, other = 0;
	int64_t n = -1;
	const int limit = 7;

	for (int i = 0; i < nstores; i++) {
		if (open_app(&app[i]) != LK_OK) {
			CHECK(0);
			return;
		}
	}
	fresh_bucket(b, sizeof(b), nstores > 1 ? "two" : "one");
	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		t[i] = (struct taker){&app[i % nstores], b, limit, &bar, 0, 0, 0};
		pthread_create(&th[i], NULL, take_thread, &t[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		ok += t[i].ok;
		locked += t[i].locked;
		other += t[i].other;
	}
	pthread_barrier_destroy(&bar);
	CHECK_EQ_INT(other, 0);
	CHECK_EQ_INT(ok, limit);
	CHECK_EQ_INT(locked, NTHREADS * PER_THREAD - limit);
	CHECK_EQ_INT(lk_rate_count(&app[0], b, WINDOW, T0 + PER_THREAD, &n), LK_OK);
	CHECK_EQ_INT(n, limit);
	for (int i = 0; i < nstores; i++) {
		lk_store_close(app[i].store);
	}
}

static void
test_parallel_one_store(void)
{
	parallel(1);
}

static void
test_parallel_two_stores(void)
{
	parallel(2);
}

static void
run_all(void)
{
	RUN(test_take_release_window);
	RUN(test_limit_zero_counts);
	RUN(test_parallel_one_store);
	RUN(test_parallel_two_stores);
}

int
main(void)
{
	char dir[] = "/tmp/lk-test-ratelimit-XXXXXX";
	char path[600];
	const char *pg = getenv("LATCHKEY_TEST_PG_URL");

	if (sodium_init() < 0 || !mkdtemp(dir)) {
		return 1;
	}
	snprintf(path, sizeof(path), "%s/rate.db", dir);
	snprintf(g_url, sizeof(g_url), "sqlite:%s", path);
	run_all();
	if (pg && pg[0]) {
		snprintf(g_url, sizeof(g_url), "%s", pg);
		run_all();
	}
	static const char *const leftovers[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		char f[640];
		snprintf(f, sizeof(f), "%s%s", path, leftovers[i]);
		unlink(f);
	}
	rmdir(dir);
	return check_done("test_ratelimit");
}
