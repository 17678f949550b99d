/* test_account_recovery.c: account recovery, lockdown and notifications (auth/
 * account_recovery.c, auth/lockdown.c, auth/notify.c) over a real store at fixed times, where
 * the API tests cannot reach: the 1-hour start window, the waiting period to the millisecond,
 * the 7-day completion window, the 7-day lockdown link, cancel on sign-in, and the known-
 * devices rule. SQLite in a temporary directory; also PostgreSQL when LATCHKEY_TEST_PG_URL is
 * set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"
#include "fixture.h"

#include "auth/account_recovery.h"
#include "auth/accounts.h"
#include "auth/lockdown.h"
#include "auth/magic_link.h"
#include "auth/notify.h"
#include "core/rc.h"
#include "core/secretbox.h"
#include "core/token.h"
#include "store/store.h"

#define T0     INT64_C(1764000000000) /* ms */
#define HOUR   INT64_C(3600000)
#define DAY    (24 * HOUR)
#define STRONG "a long enough passphrase 42"

static struct lk_app app;
static int user_seq;
static const struct lk_client cl = {"192.0.2.1", "test_account_recovery"};

static void
new_user(struct lk_user *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "r%d-%08x", ++user_seq, randombytes_random());
	snprintf(u->email, sizeof(u->email), "%s@example.com", u->id);
	struct lk_val p[] = {LK_TEXT(u->id), LK_TEXT(u->email), LK_INT(T0)};
	CHECK_EQ_INT(lk_db_exec(app.store,
	                        "INSERT INTO users (id, email, email_verified, password_hash, "
	                        "created_at) VALUES (?1, ?2, 0, 'x', ?3)",
	                        p, 3, NULL, NULL, NULL),
	             LK_OK);
}

static void
inject_fault(const char *table, const char *op, const char *user_id, int on)
{
	fixture_inject_fault(app.store, table, op, user_id, on);
}

struct mail_ctx {
	const char *marker;
	char token[LK_TOKEN_LEN + 1];
	int n;
};

static int
mail_row(void *arg, const struct lk_val *c, int n)
{
	struct mail_ctx *m = arg;
	const char *at;

	if (n < 1 || c[0].type != LK_V_TEXT) {
		return 0;
	}
	m->n++;
	at = strstr((const char *)c[0].p, m->marker);
	if (at && strlen(at + strlen(m->marker)) >= LK_TOKEN_LEN) {
		memcpy(m->token, at + strlen(m->marker), LK_TOKEN_LEN);
		m->token[LK_TOKEN_LEN] = '\0';
	}
	return 0;
}

/* The number of queued mails of purpose to u, and in token the link token after marker
 * ("/recovery?token=") in the newest one. */
static int
last_mail(const struct lk_user *u, const char *purpose, const char *marker,
          char token[LK_TOKEN_LEN + 1])
{
	struct mail_ctx m = {marker, "", 0};
	struct lk_val p[] = {LK_TEXT(u->email), LK_TEXT(purpose)};

	CHECK_EQ_INT(lk_db_exec(app.store,
	                        "SELECT body FROM outbox WHERE recipient = ?1 AND purpose = ?2 "
	                        "ORDER BY id",
	                        p, 2, mail_row, &m, NULL),
	             LK_OK);
	if (token) {
		memcpy(token, m.token, sizeof(m.token));
	}
	return m.n;
}

/* Requests a recovery for u at now and returns its token R. */
static void
request(const struct lk_user *u, int64_t now, char r[LK_TOKEN_LEN + 1])
{
	struct lk_recovery_out o;

	CHECK_EQ_INT(lk_recovery_request(&app, u->email, &cl, now, &o), LK_RECOVERY_OK);
	last_mail(u, "recovery", "/recovery?token=", r);
	CHECK_EQ_INT(strlen(r), LK_TOKEN_LEN);
}

static void
test_start_window(void)
{
	struct lk_user u;
	struct lk_recovery_out o;
	char r1[LK_TOKEN_LEN + 1], r2[LK_TOKEN_LEN + 1];

	new_user(&u);
	request(&u, T0, r1);
	/* 1 hour to start: the last millisecond works, the next one does not */
	CHECK_EQ_INT(lk_recovery_start(&app, r1, &cl, T0 + HOUR - 1, &o), LK_RECOVERY_OK);
	CHECK_EQ_INT(o.completes_at, T0 + HOUR - 1 + DAY);
	request(&u, T0 + 2 * HOUR, r2);
	CHECK_EQ_INT(lk_recovery_start(&app, r2, &cl, T0 + 3 * HOUR, &o), LK_RECOVERY_BAD_TOKEN);
	/* an expired request cannot be cancelled either */
	CHECK_EQ_INT(lk_recovery_cancel(&app, r2, &cl, T0 + 3 * HOUR), LK_RECOVERY_BAD_TOKEN);
	/* a malformed or unknown token */
	CHECK_EQ_INT(lk_recovery_start(&app, "short", &cl, T0, &o), LK_RECOVERY_BAD_TOKEN);
	CHECK_EQ_INT(lk_recovery_cancel(&app, "", &cl, T0), LK_RECOVERY_BAD_TOKEN);
}

static void
test_wait_and_window(void)
{
	struct lk_user u, after;
	struct lk_recovery_out o;
	char r[LK_TOKEN_LEN + 1], r2[LK_TOKEN_LEN + 1];
	int64_t at;

	new_user(&u);
	request(&u, T0, r);
	CHECK_EQ_INT(lk_recovery_start(&app, r, &cl, T0 + 1000, &o), LK_RECOVERY_OK);
	at = o.completes_at;
	CHECK_EQ_INT(at, T0 + 1000 + DAY);
	/* a second start: the same time, no second notice */
	CHECK_EQ_INT(lk_recovery_start(&app, r, &cl, T0 + 5000, &o), LK_RECOVERY_OK);
	CHECK_EQ_INT(o.completes_at, at);
	CHECK_EQ_INT(last_mail(&u, "recovery-started", "", NULL), 1);
	/* too early by one millisecond; the order is token, then time, then password */
	CHECK_EQ_INT(lk_recovery_complete(&app, r, "weak", &cl, at - 1, &o), LK_RECOVERY_TOO_EARLY);
	CHECK_EQ_INT(o.completes_at, at);
	CHECK_EQ_INT(lk_recovery_complete(&app, r, "password123", &cl, at, &o), LK_RECOVERY_WEAK);
	CHECK_EQ_INT(lk_recovery_complete(&app, r, STRONG, &cl, at, &o), LK_RECOVERY_OK);
	CHECK_EQ_STR(o.signin.user.id, u.id);
	CHECK(o.signin.session.full);
	CHECK_EQ_STR(o.signin.session.amr, "email_link");
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK(after.email_verified);
	CHECK(strcmp(after.password_hash, "x") != 0 && after.password_hash[0] != '\0');
	CHECK_EQ_INT(lk_recovery_complete(&app, r, STRONG, &cl, at, &o), LK_RECOVERY_BAD_TOKEN);
	CHECK_EQ_INT(lk_recovery_cancel(&app, r, &cl, at), LK_RECOVERY_BAD_TOKEN);

	/* the completion window ends 7 days after completesAt */
	request(&u, T0 + 2 * DAY, r2);
	CHECK_EQ_INT(lk_recovery_start(&app, r2, &cl, T0 + 2 * DAY, &o), LK_RECOVERY_OK);
	at = o.completes_at;
	CHECK_EQ_INT(lk_recovery_complete(&app, r2, STRONG, &cl, at + 7 * DAY, &o),
	             LK_RECOVERY_BAD_TOKEN);
	CHECK_EQ_INT(lk_recovery_start(&app, r2, &cl, at + 7 * DAY, &o), LK_RECOVERY_BAD_TOKEN);
	CHECK_EQ_INT(lk_recovery_complete(&app, r2, STRONG, &cl, at + 7 * DAY - 1, &o),
	             LK_RECOVERY_OK);
}

static void
test_cancel_on_signin(void)
{
	struct lk_user u;
	struct lk_recovery_out o;
	char started[LK_TOKEN_LEN + 1], requested[LK_TOKEN_LEN + 1];
	int64_t at;

	new_user(&u);
	request(&u, T0, started);
	CHECK_EQ_INT(lk_recovery_start(&app, started, &cl, T0, &o), LK_RECOVERY_OK);
	at = o.completes_at;
	request(&u, T0 + 10, requested); /* requested after the start: stays open */
	CHECK_EQ_INT(lk_recovery_cancel_on_signin(&app, u.id, T0 + HOUR / 2), LK_OK);
	CHECK_EQ_INT(last_mail(&u, "recovery-cancelled", "", NULL), 1);
	CHECK_EQ_INT(lk_recovery_complete(&app, started, STRONG, &cl, at, &o),
	             LK_RECOVERY_BAD_TOKEN);
	/* cancelled already: the link still answers cancelled */
	CHECK_EQ_INT(lk_recovery_cancel(&app, started, &cl, at), LK_RECOVERY_OK);
	/* the requested one was not touched: it starts */
	CHECK_EQ_INT(lk_recovery_start(&app, requested, &cl, T0 + HOUR / 2 + 1, &o),
	             LK_RECOVERY_OK);
	/* a sign-in with nothing waiting sends nothing more */
	CHECK_EQ_INT(lk_recovery_cancel_on_signin(&app, u.id, o.completes_at + 8 * DAY), LK_OK);
	CHECK_EQ_INT(last_mail(&u, "recovery-cancelled", "", NULL), 1);
}

static void
test_disabled_and_limits(void)
{
	struct lk_user u;
	struct lk_recovery_out o;
	char r[LK_TOKEN_LEN + 1];

	new_user(&u);
	request(&u, T0, r);
	CHECK_EQ_INT(lk_recovery_start(&app, r, &cl, T0, &o), LK_RECOVERY_OK);
	struct lk_val p[] = {LK_TEXT(u.id)};
	CHECK_EQ_INT(lk_db_exec(app.store, "UPDATE users SET disabled = 1 WHERE id = ?1", p, 1,
	                        NULL, NULL, NULL),
	             LK_OK);
	CHECK_EQ_INT(lk_recovery_complete(&app, r, STRONG, &cl, o.completes_at, &o),
	             LK_RECOVERY_DISABLED);
	/* a disabled account gets no recovery email */
	CHECK_EQ_INT(lk_recovery_request(&app, u.email, &cl, T0 + HOUR, &o), LK_RECOVERY_OK);
	CHECK_EQ_INT(last_mail(&u, "recovery", "", NULL), 1);
	CHECK_EQ_INT(lk_recovery_request(&app, "not an email", &cl, T0, &o), LK_RECOVERY_BAD_EMAIL);
}

/* A security notice to u (from ip and ua, at T0) and the lockdown token its link carries. */
static void
lockdown_token(const struct lk_user *u, const char *ip, const char *ua,
               char token[LK_TOKEN_LEN + 1])
{
	CHECK_EQ_INT(
	    lk_notify(&app, u, "password-changed", "Your password was changed.", ip, ua, T0),
	    LK_OK);
	last_mail(u, "password-changed", "/auth/lockdown?token=", token);
}

static void
test_lockdown_link(void)
{
	struct lk_user u, after;
	char t1[LK_TOKEN_LEN + 1], t2[LK_TOKEN_LEN + 1];
	struct lk_recovery_out o;
	char r[LK_TOKEN_LEN + 1];

	new_user(&u);
	lockdown_token(&u, cl.ip, cl.ua, t1);
	lockdown_token(&u, NULL, NULL, t2);
	CHECK(strcmp(t1, t2) != 0);
	/* 7 days, to the millisecond */
	CHECK_EQ_INT(lk_lockdown_apply(&app, t1, &cl, T0 + 7 * DAY), LK_BAD_TOKEN);
	request(&u, T0 + 7 * DAY - 10, r);
	CHECK_EQ_INT(lk_lockdown_apply(&app, t2, &cl, T0 + 7 * DAY - 1), LK_DONE);
	CHECK_EQ_INT(lk_lockdown_apply(&app, t2, &cl, T0 + 7 * DAY - 1), LK_BAD_TOKEN);
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK(after.locked_down);
	CHECK(!lk_lockdown_first_factor_allowed(&app, &after));
	/* the requested recovery was cancelled with it */
	CHECK_EQ_INT(lk_recovery_start(&app, r, &cl, T0 + 7 * DAY, &o), LK_RECOVERY_BAD_TOKEN);
	CHECK_EQ_INT(lk_lockdown_clear(&app, u.id), LK_OK);
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK(!after.locked_down);
}

static void
test_new_device(void)
{
	struct lk_user u;

	new_user(&u);
	/* the first device is the account's own: recorded silently */
	CHECK_EQ_INT(lk_notify_signin(&app, &u, "192.0.2.7", "Agent A", T0), LK_OK);
	CHECK_EQ_INT(lk_notify_signin(&app, &u, "192.0.2.7", "Agent A", T0 + 1), LK_OK);
	CHECK_EQ_INT(last_mail(&u, "new-sign-in", "", NULL), 0);
	/* another user agent, another address: each a new device, each once */
	CHECK_EQ_INT(lk_notify_signin(&app, &u, "192.0.2.7", "Agent B", T0 + 2), LK_OK);
	CHECK_EQ_INT(last_mail(&u, "new-sign-in", "", NULL), 1);
	CHECK_EQ_INT(lk_notify_signin(&app, &u, "192.0.2.8", "Agent A", T0 + 3), LK_OK);
	CHECK_EQ_INT(lk_notify_signin(&app, &u, "192.0.2.8", "Agent A", T0 + 4), LK_OK);
	CHECK_EQ_INT(last_mail(&u, "new-sign-in", "", NULL), 2);
	/* no ambiguity between the address and the agent ("1" + "2x" vs "12" + "x") */
	CHECK_EQ_INT(lk_notify_signin(&app, &u, "1", "2x", T0 + 5), LK_OK);
	CHECK_EQ_INT(lk_notify_signin(&app, &u, "12", "x", T0 + 6), LK_OK);
	CHECK_EQ_INT(last_mail(&u, "new-sign-in", "", NULL), 4);
}

static void
test_purge(void)
{
	struct lk_user u;
	char r[LK_TOKEN_LEN + 1];
	int64_t later = (T0 + 40 * DAY) / 64 * 64 + 64, n = -1;

	new_user(&u);
	request(&u, T0 + 1, r);
	CHECK_EQ_INT(lk_recovery_cancel(&app, r, &cl, T0 + 2), LK_RECOVERY_OK);
	request(&u, T0 + 3, r);             /* lapsed: never started */
	request(&u, later - 64 * 3 - 1, r); /* recent: kept */
	struct lk_val p[] = {LK_TEXT(u.id)};
	CHECK_EQ_INT(
	    lk_db_int(app.store, "SELECT COUNT(*) FROM recoveries WHERE user_id = ?1", p, 1, &n),
	    LK_OK);
	CHECK_EQ_INT(n, 3);
	/* a request at a multiple of 64 ms forgets what ended more than a month ago */
	request(&u, later, r);
	CHECK_EQ_INT(
	    lk_db_int(app.store, "SELECT COUNT(*) FROM recoveries WHERE user_id = ?1", p, 1, &n),
	    LK_OK);
	CHECK_EQ_INT(n, 2);
}

/* SECURITY-PROBES P-148: completion is one transaction. The new session (the last write)
 * fails: the token is not spent, and the password, the factors, the sessions and the
 * email's state are as they were; once the fault is gone the same token completes. */
static void
test_complete_all_or_nothing(void)
{
	struct lk_user u, after;
	struct lk_session old;
	struct lk_recovery_out o;
	char r[LK_TOKEN_LEN + 1], token[LK_SESSION_TOKEN_LEN + 1];
	unsigned char digest[32];
	int64_t at, n = -1;

	new_user(&u);
	randombytes_buf(digest, sizeof(digest));
	CHECK_EQ_INT(lk_session_create(&app, u.id, 1, "pwd", cl.ip, cl.ua, T0, token, &old), LK_OK);
	/* a factor: one stored recovery code */
	struct lk_val p[] = {LK_TEXT(u.id), LK_BLOB(digest, sizeof(digest)), LK_INT(T0)};
	CHECK_EQ_INT(lk_db_exec(app.store,
	                        "INSERT INTO recovery_codes (user_id, digest, created_at) VALUES "
	                        "(?1, ?2, ?3)",
	                        p, 3, NULL, NULL, NULL),
	             LK_OK);
	request(&u, T0, r);
	CHECK_EQ_INT(lk_recovery_start(&app, r, &cl, T0, &o), LK_RECOVERY_OK);
	at = o.completes_at;

	inject_fault("sessions", "INSERT", u.id, 1);
	CHECK_EQ_INT(lk_recovery_complete(&app, r, STRONG, &cl, at, &o), LK_RECOVERY_INTERNAL);
	inject_fault("sessions", "INSERT", u.id, 0);
	CHECK_EQ_STR(o.signin.token, "");
	struct lk_val q[] = {LK_TEXT(u.id)};
	CHECK_EQ_INT(lk_db_int(app.store,
	                       "SELECT COUNT(*) FROM recoveries WHERE user_id = ?1 AND "
	                       "completed_at IS NULL AND cancelled_at IS NULL",
	                       q, 1, &n),
	             LK_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK_EQ_STR(after.password_hash, "x");
	CHECK(!after.email_verified);
	CHECK_EQ_INT(
	    lk_db_int(app.store, "SELECT COUNT(*) FROM sessions WHERE user_id = ?1", q, 1, &n),
	    LK_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(lk_db_int(app.store, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1",
	                       q, 1, &n),
	             LK_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(last_mail(&u, "recovery-completed", "", NULL), 0);

	/* the same token, now that storage works: completed once */
	CHECK_EQ_INT(lk_recovery_complete(&app, r, STRONG, &cl, at, &o), LK_RECOVERY_OK);
	CHECK(o.signin.session.full);
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK(strcmp(after.password_hash, "x") != 0 && after.email_verified);
	CHECK_EQ_INT(
	    lk_db_int(app.store, "SELECT COUNT(*) FROM sessions WHERE user_id = ?1", q, 1, &n),
	    LK_OK);
	CHECK_EQ_INT(n, 1); /* the old one revoked, the new one made */
	CHECK_EQ_INT(lk_db_int(app.store, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1",
	                       q, 1, &n),
	             LK_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(lk_recovery_complete(&app, r, STRONG, &cl, at, &o), LK_RECOVERY_BAD_TOKEN);
}

/* A link stored for the account (user_id NULL: sent to its address before it existed). */
static void
add_link(const char *user_id, const char *email, int64_t used_at)
{
	unsigned char th[32], ch[32];

	randombytes_buf(th, sizeof(th));
	randombytes_buf(ch, sizeof(ch));
	struct lk_val p[] = {LK_BLOB(th, sizeof(th)),
	                     LK_BLOB(ch, sizeof(ch)),
	                     LK_TEXT(email),
	                     user_id ? LK_TEXT(user_id) : LK_NULLV,
	                     LK_INT(T0),
	                     LK_INT(T0 + HOUR),
	                     used_at ? LK_INT(used_at) : LK_NULLV};
	CHECK_EQ_INT(
	    lk_db_exec(app.store,
	               "INSERT INTO magic_links (token_hash, code_hash, email, user_id, "
	               "created_at, expires_at, used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	               p, 7, NULL, NULL, NULL),
	    LK_OK);
}

static int64_t
unused_links(const char *email)
{
	int64_t n = -1;
	struct lk_val p[] = {LK_TEXT(email)};

	CHECK_EQ_INT(
	    lk_db_int(app.store,
	              "SELECT COUNT(*) FROM magic_links WHERE email = ?1 AND used_at IS NULL", p, 1,
	              &n),
	    LK_OK);
	return n;
}

/* SECURITY-PROBES P-076: a password change, a lockdown or a completed recovery spends the
 * account's unused links, its address's signup links too, and no one else's; a spent one
 * keeps the time it was used. The password change and its spending are one transaction. */
static void
test_spend_links(void)
{
	struct lk_user u, v, after;
	struct lk_session s;
	char token[LK_SESSION_TOKEN_LEN + 1];
	const char *weak = NULL;
	int64_t used = -1;

	new_user(&u);
	new_user(&v);
	add_link(u.id, u.email, 0);
	add_link(NULL, u.email, 0);
	add_link(u.id, u.email, T0 + 1);
	add_link(v.id, v.email, 0);
	CHECK_EQ_INT(unused_links(u.email), 2);
	CHECK_EQ_INT(lk_magic_link_spend_all(&app, u.id, T0 + 5), LK_OK);
	CHECK_EQ_INT(unused_links(u.email), 0);
	CHECK_EQ_INT(unused_links(v.email), 1);
	struct lk_val p[] = {LK_TEXT(u.id)};
	CHECK_EQ_INT(lk_db_int(app.store, "SELECT MIN(used_at) FROM magic_links WHERE user_id = ?1",
	                       p, 1, &used),
	             LK_OK);
	CHECK_EQ_INT(used, T0 + 1);

	/* the password change: refused whole when the links cannot be spent */
	add_link(u.id, u.email, 0);
	CHECK_EQ_INT(lk_session_create(&app, u.id, 1, "pwd", cl.ip, cl.ua, T0, token, &s), LK_OK);
	inject_fault("magic_links", "UPDATE", u.id, 1);
	CHECK_EQ_INT(lk_account_change_password(&app, &s, STRONG, &cl, T0 + 6, &weak),
	             LK_FAILED_INTERNAL);
	inject_fault("magic_links", "UPDATE", u.id, 0);
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK_EQ_STR(after.password_hash, "x");
	CHECK_EQ_INT(unused_links(u.email), 1);
	CHECK_EQ_INT(lk_account_change_password(&app, &s, STRONG, &cl, T0 + 7, &weak), LK_DONE);
	CHECK_EQ_INT(unused_links(u.email), 0);
}

/* The lockdown link is one transaction: when a step fails (here, spending the magic
 * links), the token stays unspent and nothing is locked; the same link works once storage
 * does. */
static void
test_lockdown_all_or_nothing(void)
{
	struct lk_user u, after;
	char t[LK_TOKEN_LEN + 1];

	new_user(&u);
	lockdown_token(&u, cl.ip, cl.ua, t);
	add_link(u.id, u.email, 0);
	inject_fault("magic_links", "UPDATE", u.id, 1);
	CHECK_EQ_INT(lk_lockdown_apply(&app, t, &cl, T0 + 1), LK_FAILED_INTERNAL);
	inject_fault("magic_links", "UPDATE", u.id, 0);
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK(!after.locked_down);
	CHECK_EQ_INT(unused_links(u.email), 1);
	CHECK_EQ_INT(lk_lockdown_apply(&app, t, &cl, T0 + 2), LK_DONE);
	CHECK_EQ_INT(lk_user_by_id(&app, u.id, &after), LK_OK);
	CHECK(after.locked_down);
	CHECK_EQ_INT(unused_links(u.email), 0);
}

static void
run_all(void)
{
	RUN(test_start_window);
	RUN(test_wait_and_window);
	RUN(test_cancel_on_signin);
	RUN(test_disabled_and_limits);
	RUN(test_lockdown_link);
	RUN(test_new_device);
	RUN(test_purge);
	RUN(test_complete_all_or_nothing);
	RUN(test_spend_links);
	RUN(test_lockdown_all_or_nothing);
}

static int
open_app(const char *url)
{
	unsigned char key[LK_KEY_BYTES];

	memset(&app, 0, sizeof(app));
	snprintf(app.cfg.origin, sizeof(app.cfg.origin), "http://localhost:8080");
	app.cfg.recovery_delay = DAY;
	app.cfg.rate_mail_email = 0; /* limits are the API tests' business */
	app.cfg.rate_mail_ip = 0;
	app.cfg.session_ttl = 30 * DAY;
	app.cfg.session_idle_ttl = 7 * DAY;
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
	return fixture_run("test_account_recovery", open_app, run_all, close_app);
}
