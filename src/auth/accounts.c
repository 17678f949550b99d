/* accounts.c: sign-up, password sign-in, email verification, password change and
 * password re-authentication (API.md "Accounts and sessions"). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/account_recovery.h"
#include "auth/accounts.h"
#include "auth/events.h"
#include "auth/lockdown.h"
#include "auth/magic_link.h"
#include "auth/notify.h"
#include "auth/outbox.h"
#include "auth/mailer.h"
#include "auth/ratelimit.h"
#include "auth/totp2fa.h"
#include "core/email.h"
#include "core/password.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "core/token.h"
#include "store/store.h"

#define HOUR_MS       (3600LL * 1000)
#define VERIFY_TTL_MS (24 * HOUR_MS)

static int
weak(const char *password, const char **reason)
{
	enum lk_password_weakness w = lk_password_check(password, strlen(password));

	*reason = lk_password_weakness_str(w);
	return w != LK_PASSWORD_OK;
}

int
lk_mail(struct lk_app *app, const char *to, const char *purpose, const char *subject,
        const char *body, int64_t now)
{
	int rc = lk_outbox_queue(app->store, now, to, purpose, subject, body, NULL);

	if (rc == LK_OK && app->mailer) {
		lk_mailer_kick(app->mailer);
	}
	return rc;
}

/* The client address as an email names it: only the characters of an IP address, so
 * nothing a proxy header carried can shape the message. */
static const char *
mail_ip(const char *ip)
{
	if (!ip || !*ip || strspn(ip, "0123456789abcdefABCDEF:.") != strlen(ip)) {
		return "an unknown address";
	}
	return ip;
}

static int
send_verification(struct lk_app *app, const struct lk_user *u, const struct lk_client *cl,
                  int64_t now)
{
	char token[LK_TOKEN_LEN + 1], body[2048], when[LK_TIMEFMT_LEN + 1];
	unsigned char hash[LK_TOKEN_HASH];
	int rc, n;

	lk_token_new(token);
	lk_token_hash(token, LK_TOKEN_LEN, hash);
	struct lk_val p[] = {LK_BLOB(hash, sizeof(hash)), LK_TEXT(u->id), LK_TEXT(u->email),
	                     LK_INT(now), LK_INT(now + VERIFY_TTL_MS)};
	rc =
	    lk_db_exec(app->store,
	               "INSERT INTO tokens (hash, purpose, user_id, email, created_at, expires_at) "
	               "VALUES (?1, 'verify-email', ?2, ?3, ?4, ?5)",
	               p, 5, NULL, NULL, NULL);
	if (lk_timefmt_format(now, when) == LK_OK) {
		when[10] = ' '; /* "2026-11-25 17:27:10": no T, no milliseconds */
		when[19] = '\0';
	} else {
		snprintf(when, sizeof(when), "an unknown time");
	}
	if (rc == LK_OK) {
		/* The link alone on its own line (API.md "Email"). */
		n = snprintf(
		    body, sizeof(body),
		    "Someone created an account at %s with the address %s.\n"
		    "\n"
		    "If it was you, confirm the address by opening this link and pressing "
		    "\"Verify email\":\n"
		    "\n"
		    "%s/auth/verify-email?token=%s\n"
		    "\n"
		    "The link works once, within 24 hours.\n"
		    "\n"
		    "Signed up at %s UTC from %s.\n"
		    "If this was not you, ignore this message: the address stays unconfirmed, "
		    "and whoever owns it can later sign in with a magic link, which removes "
		    "the password and anything else set up without them.\n",
		    app->cfg.origin, u->email, app->cfg.origin, token, when, mail_ip(cl->ip));
		rc = n > 0 && (size_t)n < sizeof(body)
		         ? lk_mail(app, u->email, "verify-email", "Confirm your email address",
		                   body, now)
		         : LK_E_TOOBIG;
	}
	sodium_memzero(token, sizeof(token));
	sodium_memzero(body, sizeof(body));
	return rc;
}

enum lk_outcome
lk_account_signup_admit(struct lk_app *app, const struct lk_client *cl, int64_t now,
                        int64_t *retry_after)
{
	char bucket[128];
	int64_t slot;

	*retry_after = 0;
	snprintf(bucket, sizeof(bucket), "signup-ip:%s", cl->ip);
	/* every admitted request counts: checked and counted in one step */
	if (lk_rate_take(app, bucket, app->cfg.rate_signup_ip, LK_RATE_HOUR_MS, now, &slot,
	                 retry_after) == LK_E_LOCKED) {
		return LK_LIMITED;
	}
	return LK_DONE;
}

enum lk_outcome
lk_account_signup(struct lk_app *app, const char *email, const char *password,
                  const struct lk_client *cl, int64_t now, struct lk_signin *out)
{
	char norm[LK_MAX_EMAIL + 1], hash[LK_PASSWORD_HASH_SIZE];
	size_t norm_len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (lk_email_normalize(email, strlen(email), norm, &norm_len) != LK_OK) {
		return LK_BAD_EMAIL;
	}
	if (weak(password, &out->weak_reason)) {
		return LK_WEAK_PASSWORD;
	}
	if (lk_user_by_email(app, norm, &out->user) == LK_OK) {
		return LK_TAKEN;
	}
	if (lk_password_hash(password, strlen(password), hash) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	memset(&out->user, 0, sizeof(out->user));
	lk_token_random_b64url(16, out->user.id, sizeof(out->user.id));
	snprintf(out->user.email, sizeof(out->user.email), "%s", norm);
	out->user.created_at = now;
	struct lk_val p[] = {LK_TEXT(out->user.id), LK_TEXT(norm), LK_TEXT(hash), LK_INT(now)};
	rc = lk_db_exec(app->store,
	                "INSERT INTO users (id, email, email_verified, password_hash, created_at) "
	                "VALUES (?1, ?2, 0, ?3, ?4)",
	                p, 4, NULL, NULL, NULL);
	if (rc == LK_E_EXISTS) {
		return LK_TAKEN;
	}
	if (rc != LK_OK || lk_session_create(app, out->user.id, 1, "pwd", cl->ip, cl->ua, now,
	                                     out->token, &out->session) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	send_verification(app, &out->user, cl, now);
	lk_notify_signin(app, &out->user, cl->ip, cl->ua, now); /* its first device */
	return LK_DONE;
}

/* The attempt was counted when lk_account_login took its rate-limit slots: they stay. */
static enum lk_outcome
login_failure(struct lk_app *app, const struct lk_user *u, const char *reason,
              const struct lk_client *cl, int64_t now)
{
	if (u) {
		json_t *d = json_pack("{s:s}", "method", "password");
		if (reason) {
			json_object_set_new(d, "reason", json_string(reason));
		}
		lk_event_add(app, u->id, "login.failure", cl->ip, cl->ua, now, d);
	}
	lk_metrics_login(&app->metrics, LK_LM_PASSWORD, LK_LO_FAILURE);
	return LK_BAD_CREDENTIALS;
}

/* API-NOTES 35, 60: with TOTP on, the password opens only a pending session (amr pwd);
 * nothing is recorded until the second step. */
static enum lk_outcome
second_factor_owed(struct lk_app *app, const struct lk_client *cl, int64_t now,
                   struct lk_signin *out)
{
	if (lk_session_create(app, out->user.id, 0, "pwd", cl->ip, cl->ua, now, out->token,
	                      &out->session) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	lk_metrics_login(&app->metrics, LK_LM_PASSWORD, LK_LO_2FA_REQUIRED);
	return LK_NEED_2FA;
}

enum lk_outcome
lk_account_login(struct lk_app *app, const char *email, const char *password,
                 const struct lk_client *cl, int64_t now, struct lk_signin *out)
{
	char norm[LK_MAX_EMAIL + 1], ip_bucket[128], acct_bucket[LK_MAX_EMAIL + 32];
	size_t norm_len, pw_len = strlen(password);
	int64_t retry, ip_slot = 0, acct_slot = 0;
	int found, owed = 0;

	memset(out, 0, sizeof(*out));
	if (lk_email_normalize(email, strlen(email), norm, &norm_len) != LK_OK) {
		snprintf(norm, sizeof(norm), "%.254s", email);
	}
	snprintf(ip_bucket, sizeof(ip_bucket), "login-ip:%s", cl->ip);
	snprintf(acct_bucket, sizeof(acct_bucket), "login-acct:%s", norm);
	/* Every attempt takes a slot of both limits up front (one decision per bucket, so
	 * parallel guesses on several instances cannot all pass a check); a correct password
	 * gives them back below, a failure leaves them counted. */
	if (lk_rate_take(app, ip_bucket, app->cfg.rate_login_ip, LK_RATE_15MIN_MS, now, &ip_slot,
	                 &retry) == LK_E_LOCKED ||
	    lk_rate_take(app, acct_bucket, app->cfg.rate_login_account, LK_RATE_15MIN_MS, now,
	                 &acct_slot, &retry) == LK_E_LOCKED) {
		lk_rate_release(app, ip_slot);
		out->retry_after = retry;
		lk_metrics_login(&app->metrics, LK_LM_PASSWORD, LK_LO_RATE_LIMITED);
		return LK_LIMITED;
	}
	found = lk_user_by_email(app, norm, &out->user) == LK_OK;
	if (!found || out->user.password_hash[0] == '\0') {
		lk_password_verify_dummy(password, pw_len);
		return login_failure(app, found ? &out->user : NULL, NULL, cl, now);
	}
	if (lk_password_verify(out->user.password_hash, password, pw_len) != LK_OK) {
		return login_failure(app, &out->user, NULL, cl, now);
	}
	if (out->user.disabled) {
		return login_failure(app, &out->user, "disabled", cl, now);
	}
	if (out->user.locked_down && !lk_lockdown_first_factor_allowed(app, &out->user)) {
		/* a locked-down account needs a second factor: like a wrong password */
		return login_failure(app, &out->user, "locked_down", cl, now);
	}
	lk_rate_release(app, ip_slot);
	lk_rate_release(app, acct_slot);
	if (lk_password_needs_rehash(out->user.password_hash)) {
		char hash[LK_PASSWORD_HASH_SIZE];
		if (lk_password_hash(password, pw_len, hash) == LK_OK) {
			struct lk_val p[] = {LK_TEXT(hash), LK_TEXT(out->user.id)};
			lk_db_exec(app->store, "UPDATE users SET password_hash = ?1 WHERE id = ?2",
			           p, 2, NULL, NULL, NULL);
		}
	}
	if (lk_totp2fa_methods(app, out->user.id, &owed, out->methods, sizeof(out->methods)) !=
	    LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	if (owed) {
		return second_factor_owed(app, cl, now, out);
	}
	if (lk_session_create(app, out->user.id, 1, "pwd", cl->ip, cl->ua, now, out->token,
	                      &out->session) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	lk_event_add(app, out->user.id, "login.success", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "method", "password"));
	lk_recovery_cancel_on_signin(app, out->user.id, now);
	lk_notify_signin(app, &out->user, cl->ip, cl->ua, now);
	lk_metrics_login(&app->metrics, LK_LM_PASSWORD, LK_LO_SUCCESS);
	return LK_DONE;
}

struct token_row {
	char user_id[32];
	char email[LK_MAX_EMAIL + 1];
	int found;
};

static int
token_row_fn(void *arg, const struct lk_val *c, int n)
{
	struct token_row *t = arg;

	if (n >= 2 && c[0].type == LK_V_TEXT && c[1].type == LK_V_TEXT) {
		snprintf(t->user_id, sizeof(t->user_id), "%.*s", (int)c[0].len,
		         (const char *)c[0].p);
		snprintf(t->email, sizeof(t->email), "%.*s", (int)c[1].len, (const char *)c[1].p);
		t->found = 1;
	}
	return 1;
}

enum lk_outcome
lk_account_verify_email(struct lk_app *app, const char *token, const char *session_user_id,
                        int64_t now)
{
	unsigned char hash[LK_TOKEN_HASH];
	struct token_row t = {0};
	struct lk_user u;
	json_t *detail;

	if (lk_token_check_format(token, strlen(token)) != LK_OK) {
		return LK_BAD_TOKEN;
	}
	lk_token_hash(token, strlen(token), hash);
	/* SPEC single use: one conditional update decides. */
	struct lk_val p[] = {LK_BLOB(hash, sizeof(hash)), LK_INT(now)};
	if (lk_db_exec(
	        app->store,
	        "UPDATE tokens SET used_at = ?2 WHERE hash = ?1 AND purpose = 'verify-email' "
	        "AND used_at IS NULL AND expires_at > ?2 RETURNING user_id, email",
	        p, 2, token_row_fn, &t, NULL) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	if (!t.found || lk_user_by_id(app, t.user_id, &u) != LK_OK ||
	    strcmp(u.email, t.email) != 0) {
		return LK_BAD_TOKEN;
	}
	if (u.email_verified) {
		return LK_DONE;
	}
	detail = json_pack("{s:s}", "via", "link");
	if (strcmp(session_user_id, u.id) == 0) {
		struct lk_val q[] = {LK_TEXT(u.id)};
		lk_db_exec(app->store, "UPDATE users SET email_verified = 1 WHERE id = ?1", q, 1,
		           NULL, NULL, NULL);
	} else {
		int64_t revoked = 0;
		if (lk_account_prehijack_reset(app, u.id, &revoked) != LK_OK) {
			json_decref(detail);
			return LK_FAILED_INTERNAL;
		}
		json_object_set_new(
		    detail, "removed",
		    json_pack("[s,s,s,s]", "password", "totp", "recovery_codes", "passkeys"));
		json_object_set_new(detail, "sessionsRevoked", json_integer(revoked));
	}
	lk_event_add(app, u.id, "email.verified", NULL, NULL, now, detail);
	return LK_DONE;
}

int
lk_account_prehijack_reset_in_tx(struct lk_app *app, const char *user_id, int64_t *revoked)
{
	static const char *const wipe[] = {
	    "UPDATE users SET email_verified = 1, password_hash = NULL WHERE id = ?1",
	    "DELETE FROM sessions WHERE user_id = ?1",
	    "DELETE FROM totp WHERE user_id = ?1",
	    "DELETE FROM totp_setup WHERE user_id = ?1",
	    "DELETE FROM recovery_codes WHERE user_id = ?1",
	    "DELETE FROM passkeys WHERE user_id = ?1",
	    "DELETE FROM webauthn_challenges WHERE user_id = ?1",
	};
	int rc;

	struct lk_val p[] = {LK_TEXT(user_id)};
	for (size_t i = 0; i < sizeof(wipe) / sizeof(wipe[0]); i++) {
		if ((rc = lk_db_exec(app->store, wipe[i], p, 1, NULL, NULL,
		                     i == 1 ? revoked : NULL)) != LK_OK) {
			return rc;
		}
	}
	return LK_OK;
}

int
lk_account_prehijack_reset(struct lk_app *app, const char *user_id, int64_t *revoked)
{
	int rc;

	if ((rc = lk_db_begin(app->store)) != LK_OK) {
		return rc;
	}
	if ((rc = lk_account_prehijack_reset_in_tx(app, user_id, revoked)) != LK_OK) {
		lk_db_rollback(app->store);
		return rc;
	}
	return lk_db_commit(app->store);
}

enum lk_outcome
lk_account_change_password(struct lk_app *app, const struct lk_session *s, const char *password,
                           const struct lk_client *cl, int64_t now, const char **weak_reason)
{
	char hash[LK_PASSWORD_HASH_SIZE];
	int64_t revoked = 0;

	if (weak(password, weak_reason)) {
		return LK_WEAK_PASSWORD;
	}
	if (lk_password_hash(password, strlen(password), hash) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	/* one transaction (SECURITY-PROBES P-148): a new password never stands beside the
	 * other sessions it was meant to end */
	struct lk_val p[] = {LK_TEXT(hash), LK_TEXT(s->user_id)};
	if (lk_db_begin(app->store) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	if (lk_db_exec(app->store, "UPDATE users SET password_hash = ?1 WHERE id = ?2", p, 2, NULL,
	               NULL, NULL) != LK_OK ||
	    lk_session_revoke_user(app, s->user_id, s->id, &revoked) != LK_OK ||
	    lk_magic_link_spend_all(app, s->user_id, now) != LK_OK) {
		lk_db_rollback(app->store);
		return LK_FAILED_INTERNAL;
	}
	if (lk_db_commit(app->store) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	lk_event_add(app, s->user_id, "password.changed", cl->ip, cl->ua, now,
	             json_pack("{s:I}", "otherSessionsRevoked", (json_int_t)revoked));
	struct lk_user u;
	if (lk_user_by_id(app, s->user_id, &u) == LK_OK) {
		lk_notify(app, &u, "password-changed", "Your password was changed.", cl->ip, cl->ua,
		          now);
	}
	return LK_DONE;
}

enum lk_outcome
lk_account_reauth_password(struct lk_app *app, struct lk_session *s, const char *password,
                           const struct lk_client *cl, int64_t now, int64_t *retry_after)
{
	char bucket[64];
	struct lk_user u;
	int64_t slot = 0;

	snprintf(bucket, sizeof(bucket), "reauth:%s", s->user_id);
	/* counted up front (see lk_account_login), given back on success */
	if (lk_rate_take(app, bucket, app->cfg.rate_2fa_account, LK_RATE_15MIN_MS, now, &slot,
	                 retry_after) == LK_E_LOCKED) {
		return LK_LIMITED;
	}
	if (lk_user_by_id(app, s->user_id, &u) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	if (u.password_hash[0] == '\0') {
		lk_password_verify_dummy(password, strlen(password));
	} else if (lk_password_verify(u.password_hash, password, strlen(password)) == LK_OK) {
		lk_rate_release(app, slot);
		if (lk_session_reauth(app, s, "pwd", now) != LK_OK) {
			return LK_FAILED_INTERNAL;
		}
		lk_event_add(app, u.id, "reauth.success", cl->ip, cl->ua, now,
		             json_pack("{s:s}", "method", "password"));
		return LK_DONE;
	}
	lk_event_add(app, u.id, "reauth.failure", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "method", "password"));
	return LK_BAD_CREDENTIALS;
}
