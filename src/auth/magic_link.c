/* magic_link.c: magic-link sign-in (API.md "Magic links", API-NOTES 83-94). A request
 * queues an email holding a 256-bit token (in a link) and an 8-digit code; the database keeps
 * the token's SHA-256 and an HMAC of email and code under a key derived from secret.key.
 * Using either spends the row by one conditional UPDATE ... RETURNING, so of concurrent uses
 * (on any instance sharing the database) exactly one wins.
 * Trust boundary: request fields are untrusted; the identity always comes from the spent
 * row, never from what the client sends beside the token. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/account_recovery.h"
#include "auth/events.h"
#include "auth/lockdown.h"
#include "auth/magic_link.h"
#include "auth/mailer.h"
#include "auth/notify.h"
#include "auth/outbox.h"
#include "auth/ratelimit.h"
#include "auth/totp2fa.h"
#include "core/email.h"
#include "core/rc.h"
#include "core/redirect.h"
#include "core/secretbox.h"
#include "core/timefmt.h"
#include "core/token.h"
#include "store/store.h"

#define HOUR_MS (3600LL * 1000)
/* Spent and expired rows are deleted a day after they expire. */
#define KEEP_MS  (24 * HOUR_MS)
#define CODE_MAC crypto_auth_hmacsha256_BYTES

/* The pre-hijack defence removes everything an unverified party could have set. */
static const char *const removed_factors[] = {"password", "totp", "recovery_codes", "passkeys"};

/* HMAC-SHA-256 of "email\0code" under the derived code key: a code is worth nothing without
 * its email, and the table alone does not let anyone try the 10^8 codes offline. */
static int
code_mac(struct lk_app *app, const char *email, const char *code, unsigned char mac[CODE_MAC])
{
	unsigned char key[LK_KEY_BYTES];
	crypto_auth_hmacsha256_state st;
	int rc;

	if ((rc = lk_key_derive(app->key, LK_KEY_MAGIC_CODE, key)) != LK_OK) {
		return rc;
	}
	crypto_auth_hmacsha256_init(&st, key, sizeof(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)email, strlen(email) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)code, strlen(code));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(key, sizeof(key));
	return LK_OK;
}

/* "15 minutes", "2 seconds": the lifetime as the email states it. */
static void
describe_ttl(int64_t ms, char *out, size_t cap)
{
	long long n;
	const char *unit;

	if (ms >= HOUR_MS && ms % HOUR_MS == 0) {
		n = ms / HOUR_MS;
		unit = "hour";
	} else if (ms >= 60000 && ms % 60000 == 0) {
		n = ms / 60000;
		unit = "minute";
	} else if (ms >= 1000 && ms % 1000 == 0) {
		n = ms / 1000;
		unit = "second";
	} else {
		n = ms;
		unit = "millisecond";
	}
	snprintf(out, cap, "%lld %s%s", n, unit, n == 1 ? "" : "s");
}

/* The client address as the email names it: only the characters of an IPv4 or IPv6
 * address, so nothing a proxy header carried can shape the message. */
static const char *
printable_ip(const char *ip)
{
	if (!ip || !*ip || strspn(ip, "0123456789abcdefABCDEF:.") != strlen(ip)) {
		return "an unknown address";
	}
	return ip;
}

static int
compose(struct lk_app *app, const char *email, const char *token, const char *code,
        const struct lk_client *cl, int64_t now, char *body, size_t cap)
{
	char iso[LK_TIMEFMT_LEN + 1], ttl[48];
	int n;

	if (lk_timefmt_format(now, iso) != LK_OK) {
		snprintf(iso, sizeof(iso), "(unknown time)");
	} else {
		iso[10] = ' '; /* "2026-11-25 17:27:10 UTC": drop the T and the milliseconds */
		iso[19] = '\0';
	}
	describe_ttl(app->cfg.magic_link_ttl, ttl, sizeof(ttl));
	/* The link alone on its own line (API.md "Email"); the code as 8 plain digits. */
	n = snprintf(body, cap,
	             "Someone asked to sign in to %s as %s.\n"
	             "\n"
	             "To sign in on this device, open this link and press \"Sign in\":\n"
	             "\n"
	             "%s/auth/magic-link/verify?token=%s\n"
	             "\n"
	             "To sign in on another device, enter this code there:\n"
	             "\n"
	             "    %s\n"
	             "\n"
	             "The link and the code work once, within %s.\n"
	             "\n"
	             "Requested at %s UTC from %s.\n"
	             "If this was not you, ignore this message: nobody can use the link or the "
	             "code without it.\n",
	             app->cfg.origin, email, app->cfg.origin, token, code, ttl, iso,
	             printable_ip(cl->ip));
	return n > 0 && (size_t)n < cap ? LK_OK : LK_E_TOOBIG;
}

/* Whether a magic link may sign u in at all: not when disabled (API-NOTES 71, 94), nor when
 * locked down unless the link leads on to a second factor (auth/lockdown.h); a locked-down
 * account whose email is unverified would lose that factor to the pre-hijack defence. */
static int
may_sign_in(struct lk_app *app, const struct lk_user *u)
{
	if (u->disabled) {
		return 0;
	}
	if (u->locked_down) {
		return u->email_verified && lk_lockdown_first_factor_allowed(app, u);
	}
	return 1;
}

enum lk_outcome
lk_magic_link_request(struct lk_app *app, const char *email, const char *redirect,
                      const struct lk_client *cl, int64_t now, int64_t *retry_after)
{
	char norm[LK_MAX_EMAIL + 1];
	char token[LK_TOKEN_LEN + 1], code[LK_MAGIC_CODE_DIGITS + 1], body[2048];
	unsigned char token_hash[LK_TOKEN_HASH], mac[CODE_MAC];
	enum lk_outcome o = LK_FAILED_INTERNAL;
	struct lk_user u;
	int found, send, within = 1, rc;

	*retry_after = 0;
	if (lk_email_normalize(email, strlen(email), norm, NULL) != LK_OK) {
		return LK_BAD_EMAIL;
	}
	if (redirect && lk_redirect_check(redirect, strlen(redirect)) != LK_OK) {
		redirect = NULL; /* API-NOTES 85: ignored, never refused */
	}
	/* API-NOTES 84: past the address limit, 429; such answers are not counted. Both limits
	 * decide and count in one step serialised per bucket (lk_rate_take), so parallel
	 * requests, on any instance, cannot slip past them. */
	rc = lk_rate_mail_admit(app, "magic", cl->ip, norm, now, &within, retry_after);
	if (rc == LK_E_LOCKED) {
		return LK_LIMITED;
	}
	if (rc != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	found = lk_user_by_email(app, norm, &u) == LK_OK;
	send = within && (found ? may_sign_in(app, &u) : app->cfg.magic_link_signup);

	/* The secrets and the message are made whether or not they will be sent, so a known
	 * and an unknown address cost the request the same work. */
	if (lk_token_new(token) != LK_OK ||
	    lk_token_digits(LK_MAGIC_CODE_DIGITS, code, sizeof(code)) != LK_OK ||
	    code_mac(app, norm, code, mac) != LK_OK ||
	    compose(app, norm, token, code, cl, now, body, sizeof(body)) != LK_OK) {
		goto out;
	}
	lk_token_hash(token, LK_TOKEN_LEN, token_hash);

	if (lk_db_begin(app->store) != LK_OK) {
		goto out;
	}
	if (send) {
		struct lk_val p[] = {LK_BLOB(token_hash, sizeof(token_hash)),
		                     LK_BLOB(mac, sizeof(mac)),
		                     LK_TEXT(norm),
		                     found ? LK_TEXT(u.id) : LK_NULLV,
		                     redirect ? LK_TEXT(redirect) : LK_NULLV,
		                     LK_INT(now),
		                     LK_INT(now + app->cfg.magic_link_ttl)};
		if (lk_db_exec(
		        app->store,
		        "INSERT INTO magic_links (token_hash, code_hash, email, user_id, "
		        "redirect, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		        p, 7, NULL, NULL, NULL) != LK_OK ||
		    lk_outbox_queue(app->store, now, norm, "magic-link", "Your sign-in link", body,
		                    NULL) != LK_OK) {
			goto rollback;
		}
		if (found && lk_event_add(app, u.id, "magic_link.requested", cl->ip, cl->ua, now,
		                          NULL) != LK_OK) {
			goto rollback;
		}
	}
	if (lk_db_commit(app->store) != LK_OK) {
		goto out;
	}
	if (send && app->mailer) {
		lk_mailer_kick(app->mailer);
	}
	if (now % 64 == 0) {
		struct lk_val q[] = {LK_INT(now - KEEP_MS)};
		lk_db_exec(app->store, "DELETE FROM magic_links WHERE expires_at < ?1", q, 1, NULL,
		           NULL, NULL);
	}
	o = LK_DONE;
	goto out;
rollback:
	lk_db_rollback(app->store);
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(code, sizeof(code));
	sodium_memzero(body, sizeof(body));
	sodium_memzero(mac, sizeof(mac));
	return o;
}

/* The row a use spent. */
struct spent {
	char email[LK_MAX_EMAIL + 1];
	char user_id[32];
	char redirect[LK_MAX_REDIRECT + 1];
	int found;
};

int
lk_magic_link_spend_all(struct lk_app *app, const char *user_id, int64_t now)
{
	struct lk_val p[] = {LK_TEXT(user_id), LK_INT(now)};

	return lk_db_exec(
	    app->store,
	    "UPDATE magic_links SET used_at = ?2 WHERE used_at IS NULL AND (user_id = "
	    "?1 OR (user_id IS NULL AND email = (SELECT email FROM users WHERE id = "
	    "?1)))",
	    p, 2, NULL, NULL, NULL);
}

static int
spent_row(void *arg, const struct lk_val *c, int n)
{
	struct spent *s = arg;

	if (n >= 3) {
		lk_val_text(&c[0], s->email, sizeof(s->email));
		lk_val_text(&c[1], s->user_id, sizeof(s->user_id));
		lk_val_text(&c[2], s->redirect, sizeof(s->redirect));
		s->found = s->email[0] != '\0';
	}
	return 1;
}

#define SPENT_COLS "email, COALESCE(user_id, ''), COALESCE(redirect, '')"

/* Finds (or, for a signup link, creates) the account of a spent row. LK_OK, LK_E_NOTFOUND
 * (gone, email changed, signup links no longer allowed), LK_E_STORAGE. */
static int
account_of(struct lk_app *app, const struct spent *sp, int64_t now, struct lk_user *u)
{
	int rc;

	if (sp->user_id[0]) {
		if ((rc = lk_user_by_id(app, sp->user_id, u)) != LK_OK) {
			return rc;
		}
		/* SPEC P-081: the link belongs to the address it was sent to. */
		return strcmp(u->email, sp->email) == 0 ? LK_OK : LK_E_NOTFOUND;
	}
	if (!app->cfg.magic_link_signup) {
		return LK_E_NOTFOUND;
	}
	/* API-NOTES 92: created when used. An account made for the address since the link was
	 * sent is that address's account: the link proves ownership of it like any other. */
	if ((rc = lk_user_by_email(app, sp->email, u)) != LK_E_NOTFOUND) {
		return rc;
	}
	memset(u, 0, sizeof(*u));
	lk_token_random_b64url(16, u->id, sizeof(u->id));
	snprintf(u->email, sizeof(u->email), "%s", sp->email);
	u->email_verified = 1;
	u->created_at = now;
	struct lk_val p[] = {LK_TEXT(u->id), LK_TEXT(u->email), LK_INT(now)};
	rc = lk_db_exec(app->store,
	                "INSERT INTO users (id, email, email_verified, password_hash, created_at) "
	                "VALUES (?1, ?2, 1, NULL, ?3)",
	                p, 3, NULL, NULL, NULL);
	if (rc == LK_E_EXISTS) {
		return lk_user_by_email(app, sp->email, u); /* a concurrent creation won */
	}
	return rc;
}

static enum lk_outcome
fail(struct lk_app *app, enum lk_outcome o)
{
	lk_metrics_login(&app->metrics, LK_LM_MAGIC_LINK, LK_LO_FAILURE);
	return o;
}

/* Signs in the account of a spent row (see lk_magic_link_verify_code). */
static enum lk_outcome
finish(struct lk_app *app, const struct spent *sp, const char *via, const char *fallback,
       const struct lk_client *cl, int64_t now, struct lk_magic_result *out)
{
	struct lk_signin *si = &out->si;
	int owed = 0, rc;

	if (sp->redirect[0] && lk_redirect_check(sp->redirect, strlen(sp->redirect)) == LK_OK) {
		snprintf(out->redirect, sizeof(out->redirect), "%s", sp->redirect);
	} else if (fallback && lk_redirect_check(fallback, strlen(fallback)) == LK_OK) {
		snprintf(out->redirect, sizeof(out->redirect), "%s", fallback);
	}
	rc = account_of(app, sp, now, &si->user);
	if (rc == LK_E_NOTFOUND) {
		return fail(app, LK_BAD_TOKEN);
	}
	if (rc != LK_OK) {
		return fail(app, LK_FAILED_INTERNAL);
	}
	if (!may_sign_in(app, &si->user)) {
		/* API-NOTES 94: 401 invalid_credentials, the link stays spent. */
		lk_event_add(app, si->user.id, "magic_link.used", cl->ip, cl->ua, now,
		             json_pack("{s:s}", "via", via));
		lk_event_add(app, si->user.id, "login.failure", cl->ip, cl->ua, now,
		             json_pack("{s:s, s:s}", "method", "magic_link", "reason",
		                       si->user.disabled ? "disabled" : "locked_down"));
		return fail(app, LK_BAD_CREDENTIALS);
	}
	if (!si->user.email_verified) {
		/* API-NOTES 89: the first proof of ownership of the address undoes whatever an
		 * unverified party set up, then the new session is made (always a full one: no
		 * second factor is left). */
		int64_t revoked = 0;
		json_t *removed = json_array();
		if (lk_account_prehijack_reset(app, si->user.id, &revoked) != LK_OK) {
			json_decref(removed);
			return fail(app, LK_FAILED_INTERNAL);
		}
		for (size_t i = 0; i < sizeof(removed_factors) / sizeof(removed_factors[0]); i++) {
			json_array_append_new(removed, json_string(removed_factors[i]));
		}
		lk_event_add(app, si->user.id, "email.verified", cl->ip, cl->ua, now,
		             json_pack("{s:s, s:o, s:I}", "via", "magic_link", "removed", removed,
		                       "sessionsRevoked", (json_int_t)revoked));
		si->user.email_verified = 1;
		si->user.password_hash[0] = '\0';
	} else if (lk_totp2fa_methods(app, si->user.id, &owed, si->methods, sizeof(si->methods)) !=
	           LK_OK) {
		return fail(app, LK_FAILED_INTERNAL);
	}
	lk_event_add(app, si->user.id, "magic_link.used", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "via", via));
	if (owed) {
		/* SPEC P-078: an email alone is one factor; a TOTP user still owes the second. */
		if (lk_session_create(app, si->user.id, 0, "email_link", cl->ip, cl->ua, now,
		                      si->token, &si->session) != LK_OK) {
			return fail(app, LK_FAILED_INTERNAL);
		}
		lk_metrics_login(&app->metrics, LK_LM_MAGIC_LINK, LK_LO_2FA_REQUIRED);
		return LK_NEED_2FA;
	}
	if (lk_session_create(app, si->user.id, 1, "email_link", cl->ip, cl->ua, now, si->token,
	                      &si->session) != LK_OK) {
		return fail(app, LK_FAILED_INTERNAL);
	}
	lk_event_add(app, si->user.id, "login.success", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "method", "magic_link"));
	/* API-NOTES 119: a full sign-in cancels account recoveries in their waiting period. */
	lk_recovery_cancel_on_signin(app, si->user.id, now);
	lk_notify_signin(app, &si->user, cl->ip, cl->ua, now);
	lk_metrics_login(&app->metrics, LK_LM_MAGIC_LINK, LK_LO_SUCCESS);
	return LK_DONE;
}

enum lk_outcome
lk_magic_link_verify_token(struct lk_app *app, const char *token, const char *fallback_redirect,
                           const struct lk_client *cl, int64_t now, struct lk_magic_result *out)
{
	unsigned char hash[LK_TOKEN_HASH];
	struct spent sp = {0};

	memset(out, 0, sizeof(*out));
	if (lk_token_check_format(token, strlen(token)) != LK_OK) {
		return fail(app, LK_BAD_TOKEN);
	}
	lk_token_hash(token, LK_TOKEN_LEN, hash);
	/* SPEC single use: this one conditional UPDATE decides, also for the code. */
	struct lk_val p[] = {LK_BLOB(hash, sizeof(hash)), LK_INT(now)};
	if (lk_db_exec(app->store,
	               "UPDATE magic_links SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS "
	               "NULL AND expires_at > ?2 RETURNING " SPENT_COLS,
	               p, 2, spent_row, &sp, NULL) != LK_OK) {
		return fail(app, LK_FAILED_INTERNAL);
	}
	if (!sp.found) {
		return fail(app, LK_BAD_TOKEN);
	}
	return finish(app, &sp, "link", fallback_redirect, cl, now, out);
}

/* Rows that took a try: the first whose code_hash equals mac (compared in constant time). */
struct code_try {
	const unsigned char *mac;
	int64_t match_id;
};

static int
code_try_row(void *arg, const struct lk_val *c, int n)
{
	struct code_try *t = arg;

	if (n >= 2 && c[0].type == LK_V_INT && c[1].type == LK_V_BLOB && c[1].len == CODE_MAC &&
	    lk_token_compare(c[1].p, t->mac, CODE_MAC) == LK_OK && t->match_id < 0) {
		t->match_id = c[0].i;
	}
	return 0;
}

/* The 8 digits of a typed code with spaces and dashes dropped; LK_E_MALFORMED otherwise. */
static int
clean_code(const char *in, char out[LK_MAGIC_CODE_DIGITS + 1])
{
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		if (*p == ' ' || *p == '-') {
			continue;
		}
		if (*p < '0' || *p > '9' || n == LK_MAGIC_CODE_DIGITS) {
			return LK_E_MALFORMED;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
	return n == LK_MAGIC_CODE_DIGITS ? LK_OK : LK_E_MALFORMED;
}

enum lk_outcome
lk_magic_link_verify_code(struct lk_app *app, const char *email, const char *code,
                          const char *fallback_redirect, const struct lk_client *cl, int64_t now,
                          struct lk_magic_result *out)
{
	char norm[LK_MAX_EMAIL + 1], digits[LK_MAGIC_CODE_DIGITS + 1];
	unsigned char mac[CODE_MAC];
	struct code_try t = {mac, -1};
	struct spent sp = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	if (lk_email_normalize(email, strlen(email), norm, NULL) != LK_OK ||
	    clean_code(code, digits) != LK_OK) {
		return fail(app, LK_BAD_TOKEN);
	}
	rc = code_mac(app, norm, digits, mac);
	sodium_memzero(digits, sizeof(digits));
	if (rc != LK_OK) {
		return fail(app, LK_FAILED_INTERNAL);
	}
	/* Take the try first, from every live link of the address whose code is not dead yet;
	 * only a link that granted this try can match. Concurrent guesses cannot exceed the
	 * budget: each increment is conditional on the count before it. */
	struct lk_val p[] = {LK_TEXT(norm), LK_INT(now), LK_INT(LK_MAGIC_CODE_TRIES)};
	rc = lk_db_exec(app->store,
	                "UPDATE magic_links SET code_tries = code_tries + 1 WHERE email = ?1 AND "
	                "used_at IS NULL AND expires_at > ?2 AND code_tries < ?3 "
	                "RETURNING id, code_hash",
	                p, 3, code_try_row, &t, NULL);
	sodium_memzero(mac, sizeof(mac));
	if (rc != LK_OK) {
		return fail(app, LK_FAILED_INTERNAL);
	}
	if (t.match_id < 0) {
		return fail(app, LK_BAD_TOKEN);
	}
	struct lk_val q[] = {LK_INT(t.match_id), LK_INT(now)};
	if (lk_db_exec(app->store,
	               "UPDATE magic_links SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND "
	               "expires_at > ?2 RETURNING " SPENT_COLS,
	               q, 2, spent_row, &sp, NULL) != LK_OK) {
		return fail(app, LK_FAILED_INTERNAL);
	}
	if (!sp.found) {
		return fail(app, LK_BAD_TOKEN);
	}
	return finish(app, &sp, "code", fallback_redirect, cl, now, out);
}
