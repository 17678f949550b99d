/* test_passkeys.c: WebAuthn challenges (auth/challenges.c) over a real store at fixed times:
 * 256-bit, distinct, stored only as SHA-256, single use (one winner among threads), bound to
 * their purpose, session and account, expiring after the ceremony timeout, dropped with the
 * account's; and passkey names (auth/passkeys.c lk_passkey_name_check). SQLite in a temporary
 * directory; also PostgreSQL when LATCHKEY_TEST_PG_URL is set. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"
#include "fixture.h"

#include "auth/challenges.h"
#include "auth/passkeys.h"
#include "core/b64url.h"
#include "core/limits.h"
#include "core/rc.h"
#include "core/secretbox.h"
#include "core/token.h"
#include "store/store.h"

#define NOW     INT64_C(1764000000123)
#define THREADS 8

static struct lk_app app;
static int seq;

static void
new_user(char id[32])
{
	char email[64];

	snprintf(id, 32, "pk%d-%08x", ++seq, randombytes_random());
	snprintf(email, sizeof(email), "%s@example.com", id);
	struct lk_val p[] = {LK_TEXT(id), LK_TEXT(email), LK_INT(NOW)};
	CHECK_EQ_INT(lk_db_exec(app.store,
	                        "INSERT INTO users (id, email, email_verified, created_at) "
	                        "VALUES (?1, ?2, 0, ?3)",
	                        p, 3, NULL, NULL, NULL),
	             LK_OK);
}

static void
new_session(const char *user_id, struct lk_session *s)
{
	char token[LK_SESSION_TOKEN_LEN + 1];

	CHECK_EQ_INT(lk_session_create(&app, user_id, 1, "pwd", "192.0.2.1", "t", NOW, token, s),
	             LK_OK);
	sodium_memzero(token, sizeof(token));
}

static int
test_issue(void)
{
	char a[LK_CHALLENGE_LEN + 1], b[LK_CHALLENGE_LEN + 1], u[32];
	unsigned char raw[64], hash[LK_TOKEN_HASH];
	size_t raw_len = 0;
	int64_t n = -1;

	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, NULL, NOW, a), LK_OK);
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, NULL, NOW, b), LK_OK);
	CHECK_EQ_INT(strlen(a), LK_CHALLENGE_LEN);
	CHECK(strcmp(a, b) != 0);
	CHECK_EQ_INT(lk_b64url_decode(a, strlen(a), raw, sizeof(raw), &raw_len), LK_OK);
	CHECK_EQ_INT(raw_len, 32);
	/* only the hash is kept */
	lk_token_hash(a, strlen(a), hash);
	struct lk_val p[] = {LK_BLOB(hash, sizeof(hash)), LK_TEXT(a)};
	CHECK_EQ_INT(lk_db_int(app.store,
	                       "SELECT COUNT(*) FROM webauthn_challenges WHERE hash = ?1 AND "
	                       "purpose = 'login' AND session_id IS NULL AND user_id IS NULL",
	                       p, 1, &n),
	             LK_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, a, NULL, NOW + 1, u), LK_OK);
	CHECK_EQ_STR(u, "");
	return 0;
}

static int
test_single_use(void)
{
	char c[LK_CHALLENGE_LEN + 1], u[32];

	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, NULL, NOW, c), LK_OK);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, c, NULL, NOW, u), LK_OK);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, c, NULL, NOW, u), LK_E_NOTFOUND);
	/* junk of any length is simply unknown */
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, "", NULL, NOW, u), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, "AAAA", NULL, NOW, u), LK_E_NOTFOUND);
	return 0;
}

static int
test_purpose_and_binding(void)
{
	char c[LK_CHALLENGE_LEN + 1], u[32], user[32], other[32];
	struct lk_session s, s2;

	new_user(user);
	new_user(other);
	new_session(user, &s);
	new_session(user, &s2);
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_REAUTH, s.id, user, NOW, c), LK_OK);
	/* another purpose, no session, another session: unknown, and not spent */
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_REGISTER, c, s.id, NOW, u), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_SECOND_FACTOR, c, s.id, NOW, u),
	             LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_REAUTH, c, NULL, NOW, u), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_REAUTH, c, s2.id, NOW, u), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_REAUTH, c, s.id, NOW, u), LK_OK);
	CHECK_EQ_STR(u, user);
	/* a login challenge bound to an account (email-scoped options) */
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, other, NOW, c), LK_OK);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, c, s.id, NOW, u), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, c, NULL, NOW, u), LK_OK);
	CHECK_EQ_STR(u, other);
	/* deleting the session drops its challenges */
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_REGISTER, s2.id, user, NOW, c), LK_OK);
	CHECK_EQ_INT(lk_session_delete(&app, s2.id), LK_OK);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_REGISTER, c, s2.id, NOW, u), LK_E_NOTFOUND);
	return 0;
}

static int
test_expiry(void)
{
	char c[LK_CHALLENGE_LEN + 1], d[LK_CHALLENGE_LEN + 1], u[32];
	int64_t n = -1;

	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, NULL, NOW, c), LK_OK);
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, NULL, NOW, d), LK_OK);
	CHECK_EQ_INT(
	    lk_challenge_consume(&app, LK_CH_LOGIN, c, NULL, NOW + LK_CHALLENGE_TTL - 1, u), LK_OK);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, d, NULL, NOW + LK_CHALLENGE_TTL, u),
	             LK_E_NOTFOUND);
	/* issuing later deletes every expired row */
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, NULL, NOW + LK_CHALLENGE_TTL, c),
	             LK_OK);
	struct lk_val p[] = {LK_INT(NOW + LK_CHALLENGE_TTL)};
	CHECK_EQ_INT(lk_db_int(app.store,
	                       "SELECT COUNT(*) FROM webauthn_challenges WHERE expires_at <= ?1", p,
	                       1, &n),
	             LK_OK);
	CHECK_EQ_INT(n, 0);
	return 0;
}

static int
test_drop_user(void)
{
	char c[LK_CHALLENGE_LEN + 1], d[LK_CHALLENGE_LEN + 1], u[32], user[32], other[32];

	new_user(user);
	new_user(other);
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, user, NOW, c), LK_OK);
	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, other, NOW, d), LK_OK);
	CHECK_EQ_INT(lk_challenge_drop_user(&app, user), LK_OK);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, c, NULL, NOW, u), LK_E_NOTFOUND);
	CHECK_EQ_INT(lk_challenge_consume(&app, LK_CH_LOGIN, d, NULL, NOW, u), LK_OK);
	return 0;
}

struct race {
	const char *challenge;
	int rc;
};

static void *
racer(void *arg)
{
	struct race *r = arg;
	char u[32];

	r->rc = lk_challenge_consume(&app, LK_CH_LOGIN, r->challenge, NULL, NOW, u);
	return NULL;
}

static int
test_one_winner(void)
{
	char c[LK_CHALLENGE_LEN + 1];
	struct race r[THREADS];
	pthread_t t[THREADS];
	int ok = 0, missing = 0;

	CHECK_EQ_INT(lk_challenge_issue(&app, LK_CH_LOGIN, NULL, NULL, NOW, c), LK_OK);
	for (int i = 0; i < THREADS; i++) {
		r[i].challenge = c;
		CHECK_EQ_INT(pthread_create(&t[i], NULL, racer, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += r[i].rc == LK_OK;
		missing += r[i].rc == LK_E_NOTFOUND;
	}
	CHECK_EQ_INT(ok, 1);
	CHECK_EQ_INT(missing, THREADS - 1);
	return 0;
}

static int
name_ok(const char *in, const char *want)
{
	char out[4 * LK_MAX_PASSKEY_NAME_CP + 1];

	if (lk_passkey_name_check(in, strlen(in), out, sizeof(out)) != LK_OK) {
		return 0;
	}
	return strcmp(out, want) == 0;
}

static int
name_bad(const char *in, size_t len)
{
	char out[4 * LK_MAX_PASSKEY_NAME_CP + 1];

	return lk_passkey_name_check(in, len, out, sizeof(out)) == LK_E_INVAL;
}

static int
test_names(void)
{
	char max[4 * LK_MAX_PASSKEY_NAME_CP + 8];

	CHECK(name_ok("Laptop", "Laptop"));
	CHECK(name_ok(" \t Work laptop \r\n", "Work laptop"));
	CHECK(name_ok("Schlüssel für 🔑", "Schlüssel für 🔑"));
	/* 64 four-byte code points fit; 65 do not */
	for (int i = 0; i < LK_MAX_PASSKEY_NAME_CP; i++) {
		memcpy(max + 4 * i, "\xf0\x9f\x94\x91", 4); /* U+1F511 */
	}
	max[4 * LK_MAX_PASSKEY_NAME_CP] = '\0';
	CHECK(name_ok(max, max));
	CHECK(name_bad("", 0));
	CHECK(name_bad("   ", 3));
	CHECK(name_bad(max, strlen(max)) == 0);
	memset(max, 'x', 65);
	CHECK(name_bad(max, 65));
	CHECK(name_bad("a\nb", 3));
	CHECK(name_bad("a\x7f", 2));
	CHECK(name_bad("a\xc2\x85", 3));     /* U+0085, a C1 control */
	CHECK(name_bad("a\xe2\x80\xa8", 4)); /* U+2028 */
	CHECK(name_bad("\xc0\xaf", 2));      /* overlong */
	CHECK(name_bad("a\0b", 3));
	return 0;
}

static int
open_app(const char *url)
{
	unsigned char key[LK_KEY_BYTES];

	memset(&app, 0, sizeof(app));
	app.cfg.session_ttl = 3600 * 1000;
	app.cfg.session_idle_ttl = 3600 * 1000;
	randombytes_buf(key, sizeof(key));
	if (lk_serverkey_from_bytes(key, &app.key) != LK_OK ||
	    lk_store_open(url, &app.store) != LK_OK) {
		fprintf(stderr, "test_passkeys: cannot open %s\n", url);
		return -1;
	}
	return 0;
}

static void
run_all(void)
{
	RUN(test_issue);
	RUN(test_single_use);
	RUN(test_purpose_and_binding);
	RUN(test_expiry);
	RUN(test_drop_user);
	RUN(test_one_winner);
	RUN(test_names);
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
	return fixture_run("test_passkeys", open_app, run_all, close_app);
}
