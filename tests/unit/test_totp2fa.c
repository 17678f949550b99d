/* test_totp2fa.c: the TOTP second factor (auth/totp2fa.c, auth/recovery_codes.c) over a real
 * store at fixed times: set-up and enabling, the window and the replay rule, zero-padded
 * integer codes, drift learning and its bound, the one-UPDATE spend under concurrent
 * threads, sealed secrets bound to their user, recovery codes (single use under
 * concurrency, regeneration), disabling, the pre-hijack wipe and the second step of a
 * sign-in. SQLite in a temporary directory; also PostgreSQL when LATCHKEY_TEST_PG_URL is set
 * (scripts/pg-test createdb NAME). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"
#include "fixture.h"

#include "auth/accounts.h"
#include "auth/ratelimit.h"
#include "auth/recovery_codes.h"
#include "auth/totp2fa.h"
#include "core/base32.h"
#include "core/rc.h"
#include "core/secretbox.h"
#include "core/totp.h"
#include "store/store.h"

#define T0      INT64_C(1764000000) /* seconds; a multiple of 30 */
#define MS(s)   ((int64_t)(s)*1000 + 123)
#define THREADS 8

static struct lk_app app;
static int user_seq;
static const struct lk_client cl = {"192.0.2.1", "test_totp2fa"};

/* ---- helpers ---- */

static void
new_user(struct lk_user *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "u%d-%08x", ++user_seq, randombytes_random());
	snprintf(u->email, sizeof(u->email), "%s@example.com", u->id);
	struct lk_val p[] = {LK_TEXT(u->id), LK_TEXT(u->email), LK_INT(MS(T0))};
	CHECK_EQ_INT(lk_db_exec(app.store,
	                        "INSERT INTO users (id, email, email_verified, password_hash, "
	                        "created_at) VALUES (?1, ?2, 0, 'x', ?3)",
	                        p, 3, NULL, NULL, NULL),
	             LK_OK);
}

struct enrolled {
	struct lk_user u;
	unsigned char key[LK_TOTP_SECRET_BYTES];
	size_t key_len;
	lk_recovery_set codes;
};

/* The code of key at step (6 digits, SHA-1 unless the app says otherwise). */
static void
code_at(const struct enrolled *e, int64_t step, char out[LK_TOTP_CODE_SIZE])
{
	enum lk_totp_alg alg = LK_TOTP_SHA1;

	lk_totp_alg_parse(app.cfg.totp_algorithm, &alg);
	CHECK_EQ_INT(lk_totp_hotp(e->key, e->key_len, alg, (unsigned)app.cfg.totp_digits,
	                          (uint64_t)step, out),
	             LK_OK);
}

/* lk_totp2fa_check with the code of step, at time `at` seconds. */
static int
check_step(const struct enrolled *e, int64_t step, int64_t at)
{
	char code[LK_TOTP_CODE_SIZE];
	json_t *v;
	int rc;

	code_at(e, step, code);
	v = json_string(code);
	rc = lk_totp2fa_check(&app, e->u.id, v, MS(at));
	json_decref(v);
	return rc;
}

/* A user with TOTP enabled at T0 + at, the enabling code being that of step + offset. */
static void
enrol(struct enrolled *e, int64_t at, int offset)
{
	struct lk_totp_setup st;
	char code[LK_TOTP_CODE_SIZE];
	json_t *v;

	memset(e, 0, sizeof(*e));
	new_user(&e->u);
	CHECK_EQ_INT(lk_totp2fa_setup(&app, &e->u, MS(T0 + at), &st), LK_OK);
	CHECK_EQ_INT(
	    lk_base32_decode(st.secret, strlen(st.secret), e->key, sizeof(e->key), &e->key_len),
	    LK_OK);
	lk_totp2fa_setup_clear(&st);
	code_at(e, lk_totp_step(T0 + at, 30) + offset, code);
	v = json_string(code);
	CHECK_EQ_INT(lk_totp2fa_enable(&app, &e->u, v, &cl, MS(T0 + at), e->codes), LK_OK);
	json_decref(v);
}

static int64_t
count(const char *sql, const char *user_id)
{
	int64_t n = -1;
	struct lk_val p[] = {LK_TEXT(user_id)};

	CHECK_EQ_INT(lk_db_int(app.store, sql, p, 1, &n), LK_OK);
	return n;
}

static void
inject_fault(const char *table, const char *op, const char *user_id, int on)
{
	fixture_inject_fault(app.store, table, op, user_id, on);
}

/* ---- tests ---- */

static void
test_setup_and_enable(void)
{
	struct lk_totp_setup a, b;
	struct lk_user u;
	lk_recovery_set codes;
	unsigned char key[LK_TOTP_SECRET_BYTES];
	char code[LK_TOTP_CODE_SIZE], *svg = NULL;
	size_t key_len = 0, len = 0;
	int enabled = -1, pending = -1;
	json_t *v;

	new_user(&u);
	CHECK_EQ_INT(lk_totp2fa_qr(&app, &u, &svg, &len), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_totp2fa_setup(&app, &u, MS(T0), &a), LK_OK);
	CHECK_EQ_INT(strlen(a.secret), 32);
	CHECK(strstr(a.uri, "otpauth://totp/latchkey:") == a.uri);
	CHECK(strstr(a.uri, "&algorithm=SHA1&digits=6&period=30") != NULL);
	CHECK(strncmp(a.svg, "<svg", 4) == 0);
	CHECK_EQ_INT(lk_totp2fa_setup(&app, &u, MS(T0), &b), LK_OK); /* replaces a */
	CHECK(strcmp(a.secret, b.secret) != 0);
	CHECK_EQ_INT(lk_totp2fa_qr(&app, &u, &svg, &len), LK_OK);
	CHECK_EQ_STR(svg, b.svg);
	CHECK_EQ_INT(len, strlen(b.svg));
	free(svg);
	CHECK_EQ_INT(lk_totp2fa_state(&app, u.id, &enabled, &pending), LK_OK);
	CHECK_EQ_INT(enabled, 0);
	CHECK_EQ_INT(pending, 1);

	/* the replaced secret's code is refused, the new one's accepted */
	CHECK_EQ_INT(lk_base32_decode(a.secret, 32, key, sizeof(key), &key_len), LK_OK);
	CHECK_EQ_INT(lk_totp_code(key, key_len, LK_TOTP_SHA1, 6, 30, T0, code), LK_OK);
	v = json_string(code);
	CHECK_EQ_INT(lk_totp2fa_enable(&app, &u, v, &cl, MS(T0), codes), LK_E_VERIFY);
	json_decref(v);
	CHECK_EQ_INT(lk_base32_decode(b.secret, 32, key, sizeof(key), &key_len), LK_OK);
	CHECK_EQ_INT(lk_totp_code(key, key_len, LK_TOTP_SHA1, 6, 30, T0, code), LK_OK);
	v = json_string(code);
	CHECK_EQ_INT(lk_totp2fa_enable(&app, &u, v, &cl, MS(T0), codes), LK_OK);
	CHECK_EQ_INT(lk_totp2fa_enable(&app, &u, v, &cl, MS(T0), codes), LK_E_EXISTS);
	json_decref(v);
	for (int i = 0; i < LK_RECOVERY_CODES; i++) {
		CHECK_EQ_INT(strlen(codes[i]), LK_RECOVERY_CODE_LEN);
	}
	CHECK_EQ_INT(lk_totp2fa_state(&app, u.id, &enabled, &pending), LK_OK);
	CHECK_EQ_INT(enabled, 1);
	CHECK_EQ_INT(pending, 0);
	CHECK_EQ_INT(lk_totp2fa_qr(&app, &u, &svg, &len), LK_E_NOTFOUND);
	lk_totp2fa_setup_clear(&a);
	CHECK_EQ_INT(lk_totp2fa_setup(&app, &u, MS(T0), &a), LK_E_EXISTS);
	CHECK_EQ_INT(count("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at "
	                   "IS NULL",
	                   u.id),
	             10);
	lk_totp2fa_setup_clear(&a);
	lk_totp2fa_setup_clear(&b);
}

static void
test_window_and_replay(void)
{
	struct enrolled e;
	int64_t t = T0 / 30;

	enrol(&e, 0, 0);                                      /* last step t */
	CHECK_EQ_INT(check_step(&e, t, T0), LK_E_VERIFY);     /* the enabling step */
	CHECK_EQ_INT(check_step(&e, t - 1, T0), LK_E_VERIFY); /* earlier */
	CHECK_EQ_INT(check_step(&e, t + 2, T0), LK_E_VERIFY); /* outside */
	CHECK_EQ_INT(check_step(&e, t + 1, T0), LK_OK);
	CHECK_EQ_INT(check_step(&e, t + 1, T0), LK_E_VERIFY); /* replay */
	/* 90 s later: t + 3 is current; t + 1 is t - 2 */
	CHECK_EQ_INT(check_step(&e, t + 1, T0 + 90), LK_E_VERIFY);
	CHECK_EQ_INT(check_step(&e, t + 5, T0 + 90), LK_E_VERIFY);
	CHECK_EQ_INT(check_step(&e, t + 2, T0 + 90), LK_OK);
	CHECK_EQ_INT(check_step(&e, t + 4, T0 + 90), LK_OK);
	CHECK_EQ_INT(check_step(&e, t + 3, T0 + 90), LK_E_VERIFY); /* before the last (t + 4) */
	/* --totp-skew 0: only the current step */
	app.cfg.totp_skew = 0;
	CHECK_EQ_INT(check_step(&e, t + 9, T0 + 240), LK_E_VERIFY); /* t' + 1 */
	CHECK_EQ_INT(check_step(&e, t + 7, T0 + 240), LK_E_VERIFY); /* t' - 1, never used */
	CHECK_EQ_INT(check_step(&e, t + 8, T0 + 240), LK_OK);
	app.cfg.totp_skew = 1;
	/* an account without TOTP */
	struct lk_user u;
	json_t *v = json_string("123456");
	new_user(&u);
	CHECK_EQ_INT(lk_totp2fa_check(&app, u.id, v, MS(T0)), LK_E_NOTFOUND);
	json_decref(v);
}

static void
test_code_forms(void)
{
	struct enrolled e;
	char code[LK_TOTP_CODE_SIZE], spaced[16];
	int64_t t = T0 / 30, s;
	json_t *v;

	enrol(&e, 0, -1); /* last step t - 1 */
	/* a step whose code starts with 0: the JSON integer is zero-padded */
	for (s = t + 10; s < t + 5000; s++) {
		code_at(&e, s, code);
		if (code[0] == '0') {
			break;
		}
	}
	CHECK(code[0] == '0');
	v = json_integer(strtoll(code, NULL, 10));
	CHECK_EQ_INT(lk_totp2fa_check(&app, e.u.id, v, MS(s * 30)), LK_OK);
	json_decref(v);
	/* spaces and dashes are ignored */
	code_at(&e, s + 1, code);
	snprintf(spaced, sizeof(spaced), "%.3s -%s ", code, code + 3);
	v = json_string(spaced);
	CHECK_EQ_INT(lk_totp2fa_check(&app, e.u.id, v, MS(s * 30)), LK_OK);
	json_decref(v);
	/* wrong lengths, letters, values over the digits, wrong JSON types */
	const char *bad[] = {"12345", "1234567", "12345a", "", "１２３４５６"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_string(bad[i]);
		CHECK_EQ_INT(lk_totp2fa_check(&app, e.u.id, v, MS(s * 30 + 60)), LK_E_VERIFY);
		json_decref(v);
	}
	v = json_integer(1000000);
	CHECK_EQ_INT(lk_totp2fa_check(&app, e.u.id, v, MS(s * 30 + 60)), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp2fa_code_type_ok(v), 1);
	json_decref(v);
	v = json_integer(-1);
	CHECK_EQ_INT(lk_totp2fa_code_type_ok(v), 0);
	json_decref(v);
	v = json_true();
	CHECK_EQ_INT(lk_totp2fa_code_type_ok(v), 0);
	CHECK_EQ_INT(lk_totp2fa_check(&app, e.u.id, v, MS(s * 30 + 60)), LK_E_VERIFY);
	json_decref(v);
}

/* SPEC rfc6238 6: a repeated offset widens the window on its side, at most 2 steps. */
static void
test_drift(void)
{
	struct enrolled e;
	int64_t t;

	enrol(&e, 0, -1); /* offset -1 recorded, no drift yet */
	t = T0 / 30 + 10;
	CHECK_EQ_INT(check_step(&e, t - 2, t * 30), LK_E_VERIFY); /* -2: outside */
	CHECK_EQ_INT(check_step(&e, t - 1, t * 30), LK_OK);       /* -1 again: drift -1 */
	t += 10;
	CHECK_EQ_INT(check_step(&e, t + 2, t * 30),
	             LK_E_VERIFY);                          /* the other side is not widened */
	CHECK_EQ_INT(check_step(&e, t - 2, t * 30), LK_OK); /* -2 (once) */
	t += 10;
	CHECK_EQ_INT(check_step(&e, t - 3, t * 30), LK_E_VERIFY);
	CHECK_EQ_INT(check_step(&e, t - 2, t * 30), LK_OK); /* -2 again: drift -2 */
	t += 10;
	CHECK_EQ_INT(check_step(&e, t - 3, t * 30), LK_OK); /* -3 (once) */
	t += 10;
	CHECK_EQ_INT(check_step(&e, t - 3, t * 30), LK_OK); /* -3 again: still drift -2 */
	t += 10;
	CHECK_EQ_INT(check_step(&e, t - 4, t * 30), LK_E_VERIFY); /* bounded */
	CHECK_EQ_INT(check_step(&e, t, t * 30), LK_OK);
	t += 10;
	CHECK_EQ_INT(check_step(&e, t, t * 30), LK_OK); /* 0 again: the window narrows */
	t += 10;
	CHECK_EQ_INT(check_step(&e, t - 2, t * 30), LK_E_VERIFY);
	CHECK_EQ_INT(check_step(&e, t + 1, t * 30), LK_OK);
	t += 10;
	CHECK_EQ_INT(check_step(&e, t + 1, t * 30), LK_OK); /* +1 again: drift +1 */
	t += 10;
	CHECK_EQ_INT(check_step(&e, t - 2, t * 30), LK_E_VERIFY); /* only the + side widened */
	CHECK_EQ_INT(check_step(&e, t + 2, t * 30), LK_OK);
}

struct race {
	const char *user_id;
	json_t *value;
	int64_t now;
	int recovery;
	int rc;
};

static void *
race_fn(void *arg)
{
	struct race *r = arg;

	if (r->recovery) {
		r->rc = lk_recovery_codes_consume(&app, r->user_id, json_string_value(r->value),
		                                  json_string_length(r->value), r->now);
	} else {
		r->rc = lk_totp2fa_check(&app, r->user_id, r->value, r->now);
	}
	return NULL;
}

/* THREADS threads (one connection each) present the same factor at once: one wins. */
static int
race(const char *user_id, json_t *value, int64_t now, int recovery)
{
	pthread_t th[THREADS];
	struct race r[THREADS];
	int ok = 0;

	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct race){user_id, value, now, recovery, -999};
		CHECK_EQ_INT(pthread_create(&th[i], NULL, race_fn, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(r[i].rc == LK_OK || r[i].rc == LK_E_VERIFY);
		ok += r[i].rc == LK_OK;
	}
	return ok;
}

static void
test_concurrent_spend(void)
{
	struct enrolled e;
	char code[LK_TOTP_CODE_SIZE];
	json_t *v;

	enrol(&e, 0, 0);
	code_at(&e, T0 / 30 + 1, code);
	v = json_string(code);
	CHECK_EQ_INT(race(e.u.id, v, MS(T0), 0), 1);
	json_decref(v);
	v = json_string(e.codes[3]);
	CHECK_EQ_INT(race(e.u.id, v, MS(T0), 1), 1);
	json_decref(v);
}

static void
test_sealed_to_user(void)
{
	struct enrolled e;
	struct lk_user other;

	enrol(&e, 0, -1);
	new_user(&other);
	struct lk_val p[] = {LK_TEXT(other.id), LK_TEXT(e.u.id)};
	CHECK_EQ_INT(lk_db_exec(app.store,
	                        "INSERT INTO totp (user_id, secret_sealed, alg, digits, period_s, "
	                        "last_step, last_offset, drift, created_at) SELECT ?1, "
	                        "secret_sealed, alg, digits, period_s, last_step, last_offset, "
	                        "drift, created_at FROM totp WHERE user_id = ?2",
	                        p, 2, NULL, NULL, NULL),
	             LK_OK);
	struct enrolled moved = e;
	moved.u = other;
	/* the sealed secret does not open for another user: never an accepted code */
	CHECK(check_step(&moved, T0 / 30, T0) != LK_OK);
	CHECK_EQ_INT(check_step(&e, T0 / 30, T0), LK_OK);
}

static void
test_recovery_codes(void)
{
	struct enrolled e;
	lk_recovery_set fresh;
	char messy[80];
	int64_t n = -1;

	enrol(&e, 0, 0);
	snprintf(messy, sizeof(messy), " %.5s %s ", e.codes[5], e.codes[5] + 6);
	for (char *p = messy; *p; p++) {
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	}
	CHECK_EQ_INT(lk_recovery_codes_consume(&app, e.u.id, messy, strlen(messy), MS(T0)), LK_OK);
	CHECK_EQ_INT(lk_recovery_codes_consume(&app, e.u.id, e.codes[5], 11, MS(T0)), LK_E_VERIFY);
	CHECK_EQ_INT(lk_recovery_codes_consume(&app, e.u.id, "hello", 5, MS(T0)), LK_E_VERIFY);
	CHECK_EQ_INT(lk_recovery_codes_remaining(&app, e.u.id, &n), LK_OK);
	CHECK_EQ_INT(n, 9);
	/* a code of another account does not work here */
	struct enrolled other;
	enrol(&other, 0, 0);
	CHECK_EQ_INT(lk_recovery_codes_consume(&app, e.u.id, other.codes[0], 11, MS(T0)),
	             LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp2fa_regenerate_codes(&app, &e.u, &cl, MS(T0), fresh), LK_OK);
	CHECK_EQ_INT(lk_recovery_codes_remaining(&app, e.u.id, &n), LK_OK);
	CHECK_EQ_INT(n, 10);
	CHECK_EQ_INT(lk_recovery_codes_consume(&app, e.u.id, e.codes[0], 11, MS(T0)), LK_E_VERIFY);
	CHECK_EQ_INT(lk_recovery_codes_consume(&app, e.u.id, fresh[0], 11, MS(T0)), LK_OK);
	struct lk_user plain;
	new_user(&plain);
	CHECK_EQ_INT(lk_totp2fa_regenerate_codes(&app, &plain, &cl, MS(T0), fresh), LK_E_NOTFOUND);
}

static void
test_disable(void)
{
	struct enrolled e;
	char code[LK_TOTP_CODE_SIZE], bucket[64];
	int64_t retry = 0, n = 0;
	int enabled = -1;
	json_t *v;

	enrol(&e, 0, 0);
	snprintf(bucket, sizeof(bucket), "reauth:%s", e.u.id);
	code_at(&e, T0 / 30, code); /* spent */
	v = json_string(code);
	CHECK_EQ_INT(lk_totp2fa_disable(&app, &e.u, "code", v, &cl, MS(T0), &retry), LK_E_VERIFY);
	json_decref(v);
	CHECK_EQ_INT(lk_rate_count(&app, bucket, 15 * 60 * 1000, MS(T0), &n), LK_OK);
	CHECK_EQ_INT(n, 1);
	v = json_string(e.codes[9]);
	CHECK_EQ_INT(lk_totp2fa_disable(&app, &e.u, "recoveryCode", v, &cl, MS(T0), &retry), LK_OK);
	CHECK_EQ_INT(lk_totp2fa_disable(&app, &e.u, "recoveryCode", v, &cl, MS(T0), &retry),
	             LK_E_NOTFOUND);
	json_decref(v);
	CHECK_EQ_INT(lk_totp2fa_enabled(&app, e.u.id, &enabled), LK_OK);
	CHECK_EQ_INT(enabled, 0);
	CHECK_EQ_INT(count("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1", e.u.id), 0);

	/* the budget: past --rate-2fa-account failures, refused before checking */
	enrol(&e, 0, 0);
	snprintf(bucket, sizeof(bucket), "reauth:%s", e.u.id);
	for (int i = 0; i < app.cfg.rate_2fa_account; i++) {
		CHECK_EQ_INT(lk_rate_hit(&app, bucket, MS(T0)), LK_OK);
	}
	code_at(&e, T0 / 30 + 1, code);
	v = json_string(code);
	CHECK_EQ_INT(lk_totp2fa_disable(&app, &e.u, "code", v, &cl, MS(T0), &retry), LK_E_LOCKED);
	CHECK(retry >= 1);
	CHECK_EQ_INT(check_step(&e, T0 / 30 + 1, T0), LK_OK); /* the code was not spent */
	json_decref(v);
}

static void
test_prehijack_wipe(void)
{
	struct enrolled e;
	struct lk_totp_setup st;
	struct lk_user waiting;
	int64_t revoked = -1;
	int enabled = -1, pending = -1;

	enrol(&e, 0, 0);
	new_user(&waiting);
	CHECK_EQ_INT(lk_totp2fa_setup(&app, &waiting, MS(T0), &st), LK_OK);
	lk_totp2fa_setup_clear(&st);
	CHECK_EQ_INT(lk_account_prehijack_reset(&app, e.u.id, &revoked), LK_OK);
	CHECK_EQ_INT(lk_account_prehijack_reset(&app, waiting.id, &revoked), LK_OK);
	CHECK_EQ_INT(lk_totp2fa_state(&app, e.u.id, &enabled, &pending), LK_OK);
	CHECK_EQ_INT(enabled + pending, 0);
	CHECK_EQ_INT(lk_totp2fa_state(&app, waiting.id, &enabled, &pending), LK_OK);
	CHECK_EQ_INT(enabled + pending, 0);
	CHECK_EQ_INT(count("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1", e.u.id), 0);
}

static void
test_second_step(void)
{
	struct enrolled e;
	struct lk_session s, found;
	struct lk_2fa_result res;
	char token[LK_SESSION_TOKEN_LEN + 1], methods[64], code[LK_TOTP_CODE_SIZE];
	int required = 0;
	json_t *v;

	enrol(&e, 0, 0);
	CHECK_EQ_INT(lk_totp2fa_methods(&app, e.u.id, &required, methods, sizeof(methods)), LK_OK);
	CHECK_EQ_INT(required, 1);
	CHECK_EQ_STR(methods, "totp,recovery_code");

	/* five failures end the pending session */
	CHECK_EQ_INT(lk_session_create(&app, e.u.id, 0, "pwd", cl.ip, cl.ua, MS(T0), token, &s),
	             LK_OK);
	v = json_string("000000x");
	for (int i = 1; i <= 5; i++) {
		CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "code", v, &cl, MS(T0), &res),
		             LK_BAD_CREDENTIALS);
		CHECK_EQ_INT(res.failures, i);
		CHECK_EQ_INT(res.session_destroyed, i == 5);
	}
	json_decref(v);
	CHECK_EQ_INT(lk_session_lookup(&app, token, MS(T0), &found), LK_E_NOTFOUND);

	/* a recovery code completes it: full, amr pwd,recovery_code, the count */
	CHECK_EQ_INT(lk_session_create(&app, e.u.id, 0, "pwd", cl.ip, cl.ua, MS(T0), token, &s),
	             LK_OK);
	v = json_string(e.codes[1]);
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "recoveryCode", v, &cl, MS(T0), &res), LK_DONE);
	json_decref(v);
	CHECK_EQ_INT(res.recovery_remaining, 9);
	CHECK_EQ_INT(lk_session_lookup(&app, token, MS(T0), &found), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_session_lookup(&app, res.token, MS(T0), &found), LK_OK);
	CHECK_EQ_INT(found.full, 1);
	CHECK_EQ_STR(found.amr, "pwd,recovery_code");

	/* past the account budget (5 failures above + 5 more): 429 before checking */
	CHECK_EQ_INT(lk_session_create(&app, e.u.id, 0, "pwd", cl.ip, cl.ua, MS(T0), token, &s),
	             LK_OK);
	v = json_string("000000x");
	for (int i = 0; i < 5; i++) {
		lk_totp2fa_login(&app, &s, "code", v, &cl, MS(T0), &res);
	}
	json_decref(v);
	CHECK_EQ_INT(lk_session_create(&app, e.u.id, 0, "pwd", cl.ip, cl.ua, MS(T0), token, &s),
	             LK_OK);
	code_at(&e, T0 / 30 + 1, code);
	v = json_string(code);
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "code", v, &cl, MS(T0), &res), LK_LIMITED);
	CHECK(res.retry_after >= 1);
	/* a quarter of an hour later the budget is back; that old code is now outside the
	 * window, the current one signs in */
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "code", v, &cl, MS(T0 + 901), &res),
	             LK_BAD_CREDENTIALS);
	json_decref(v);
	code_at(&e, (T0 + 901) / 30, code);
	v = json_string(code);
	CHECK_EQ_INT(
	    lk_session_create(&app, e.u.id, 0, "pwd", cl.ip, cl.ua, MS(T0 + 901), token, &s),
	    LK_OK);
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "code", v, &cl, MS(T0 + 901), &res), LK_DONE);
	CHECK_EQ_INT(res.recovery_remaining, -1);
	json_decref(v);
}

/* SECURITY-PROBES P-050: the code is spent and the session promoted in one transaction.
 * With the promotion failing, neither a recovery code nor a TOTP step is spent and the
 * session stays pending; without the fault the same codes then sign in. */
static void
test_second_step_all_or_nothing(void)
{
	struct enrolled e;
	struct lk_session s, found;
	struct lk_2fa_result res;
	char token[LK_SESSION_TOKEN_LEN + 1], code[LK_TOTP_CODE_SIZE];
	const char *unused =
	    "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL";
	const char *step = "SELECT last_step FROM totp WHERE user_id = ?1";
	json_t *rcode, *tcode;

	enrol(&e, 0, 0);
	CHECK_EQ_INT(count(step, e.u.id), T0 / 30);
	CHECK_EQ_INT(lk_session_create(&app, e.u.id, 0, "pwd", cl.ip, cl.ua, MS(T0), token, &s),
	             LK_OK);
	rcode = json_string(e.codes[3]);
	code_at(&e, T0 / 30 + 1, code);
	tcode = json_string(code);

	inject_fault("sessions", "UPDATE", e.u.id, 1);
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "recoveryCode", rcode, &cl, MS(T0), &res),
	             LK_FAILED_INTERNAL);
	CHECK_EQ_INT(res.recovery_remaining, -1);
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "code", tcode, &cl, MS(T0), &res),
	             LK_FAILED_INTERNAL);
	inject_fault("sessions", "UPDATE", e.u.id, 0);
	CHECK_EQ_INT(s.full, 0);
	CHECK_EQ_STR(s.amr, "pwd");
	CHECK_EQ_INT(count(unused, e.u.id), LK_RECOVERY_CODES);
	CHECK_EQ_INT(count(step, e.u.id), T0 / 30);
	CHECK_EQ_INT(lk_session_lookup(&app, token, MS(T0), &found), LK_OK);
	CHECK_EQ_INT(found.full, 0);
	CHECK_EQ_INT(count("SELECT COUNT(*) FROM events WHERE user_id = ?1 AND type = "
	                   "'recovery_code.used'",
	                   e.u.id),
	             0);

	/* the same recovery code now signs in, once */
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "recoveryCode", rcode, &cl, MS(T0), &res), LK_DONE);
	CHECK_EQ_INT(res.recovery_remaining, LK_RECOVERY_CODES - 1);
	CHECK_EQ_INT(count(unused, e.u.id), LK_RECOVERY_CODES - 1);
	CHECK_EQ_INT(lk_session_lookup(&app, res.token, MS(T0), &found), LK_OK);
	CHECK_EQ_INT(found.full, 1);
	CHECK_EQ_STR(found.amr, "pwd,recovery_code");
	/* and the same TOTP code, in another pending session */
	CHECK_EQ_INT(lk_session_create(&app, e.u.id, 0, "pwd", cl.ip, cl.ua, MS(T0), token, &s),
	             LK_OK);
	CHECK_EQ_INT(lk_totp2fa_login(&app, &s, "code", tcode, &cl, MS(T0), &res), LK_DONE);
	CHECK_EQ_INT(count(step, e.u.id), T0 / 30 + 1);
	CHECK_EQ_STR(s.amr, "pwd,otp");
	json_decref(rcode);
	json_decref(tcode);
}

static void
run_all(void)
{
	RUN(test_setup_and_enable);
	RUN(test_window_and_replay);
	RUN(test_code_forms);
	RUN(test_drift);
	RUN(test_concurrent_spend);
	RUN(test_sealed_to_user);
	RUN(test_recovery_codes);
	RUN(test_disable);
	RUN(test_prehijack_wipe);
	RUN(test_second_step);
	RUN(test_second_step_all_or_nothing);
}

static int
open_app(const char *url)
{
	unsigned char key[LK_KEY_BYTES];

	memset(&app, 0, sizeof(app));
	app.cfg.totp_skew = 1;
	snprintf(app.cfg.totp_algorithm, sizeof(app.cfg.totp_algorithm), "SHA1");
	app.cfg.totp_digits = 6;
	app.cfg.totp_period = 30;
	snprintf(app.cfg.issuer, sizeof(app.cfg.issuer), "latchkey");
	snprintf(app.cfg.origin, sizeof(app.cfg.origin), "http://localhost:8080");
	app.cfg.rate_2fa_account = 10;
	app.cfg.rate_2fa_session = 5;
	app.cfg.session_ttl = 30LL * 24 * 3600 * 1000;
	app.cfg.session_idle_ttl = 7LL * 24 * 3600 * 1000;
	randombytes_buf(key, sizeof(key));
	if (lk_serverkey_from_bytes(key, &app.key) != LK_OK ||
	    lk_store_open(url, &app.store) != LK_OK) {
		fprintf(stderr, "cannot open %s\n", url);
		return -1;
	}
	return 0;
}

static void
close_app(void)
{
	lk_store_close(app.store);
	lk_serverkey_free(app.key);
}

int
main(void)
{
	return fixture_run("test_totp2fa", open_app, run_all, close_app);
}
