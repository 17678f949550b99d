/* lockdown.c: the account lock a notification's "this wasn't me" link sets, and its
 * release. The token arrives from a link (untrusted): it is shape-checked, hashed and
 * consumed by one conditional UPDATE. */
#include <string.h>

#include "auth/account_recovery.h"
#include "auth/events.h"
#include "auth/factors.h"
#include "auth/lockdown.h"
#include "auth/magic_link.h"
#include "core/rc.h"
#include "core/token.h"
#include "store/store.h"

struct user_ref {
	char id[32];
	int found;
};

static int
user_ref_row(void *arg, const struct lk_val *c, int n)
{
	struct user_ref *r = arg;

	if (n >= 1 && c[0].type == LK_V_TEXT && c[0].len < sizeof(r->id)) {
		memcpy(r->id, c[0].p, c[0].len);
		r->id[c[0].len] = '\0';
		r->found = 1;
	}
	return 1;
}

enum lk_outcome
lk_lockdown_apply(struct lk_app *app, const char *token, const struct lk_client *cl, int64_t now)
{
	unsigned char hash[LK_TOKEN_HASH];
	struct user_ref ref = {{0}, 0};
	struct lk_user u;
	int64_t revoked = 0, cancelled = 0;

	if (lk_token_check_format(token, strlen(token)) != LK_OK) {
		return LK_BAD_TOKEN;
	}
	lk_token_hash(token, strlen(token), hash);
	/* One transaction: the token is spent only together with everything it does, so a
	 * storage failure part way leaves the link usable for a retry, never a spent link
	 * beside an account half locked. */
	if (lk_db_begin(app->store) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	/* SPEC single use: one conditional update decides. */
	struct lk_val p[] = {LK_BLOB(hash, sizeof(hash)), LK_INT(now)};
	if (lk_db_exec(app->store,
	               "UPDATE tokens SET used_at = ?2 WHERE hash = ?1 AND purpose = 'lockdown' "
	               "AND used_at IS NULL AND expires_at > ?2 RETURNING user_id",
	               p, 2, user_ref_row, &ref, NULL) != LK_OK) {
		goto fail;
	}
	if (!ref.found || lk_user_by_id(app, ref.id, &u) != LK_OK) {
		lk_db_rollback(app->store);
		return LK_BAD_TOKEN;
	}
	struct lk_val q[] = {LK_TEXT(u.id)};
	if (lk_db_exec(app->store, "UPDATE users SET locked_down = 1 WHERE id = ?1", q, 1, NULL,
	               NULL, NULL) != LK_OK ||
	    lk_session_revoke_user(app, u.id, NULL, &revoked) != LK_OK ||
	    lk_recovery_cancel_all(app, u.id, "lockdown", now, &cancelled) != LK_OK ||
	    lk_magic_link_spend_all(app, u.id, now) != LK_OK) {
		goto fail;
	}
	if (lk_db_commit(app->store) != LK_OK) {
		return LK_FAILED_INTERNAL; /* a failed commit has rolled back */
	}
	lk_event_add(app, u.id, "lockdown", cl->ip, cl->ua, now,
	             json_pack("{s:I, s:I}", "sessionsRevoked", (json_int_t)revoked,
	                       "recoveriesCancelled", (json_int_t)cancelled));
	lk_mail(app, u.email, "lockdown", "Your account is locked",
	        "Your account was locked from a link in one of our security emails.\n\n"
	        "Every session was signed out and any account recovery was cancelled. Signing in "
	        "by password or email link is refused until you prove a second factor: sign in "
	        "with a passkey, or with your password and then your authenticator app or a "
	        "recovery code. If you have lost every factor, recover your account from the "
	        "sign-in page.\n",
	        now);
	return LK_DONE;
fail:
	lk_db_rollback(app->store);
	return LK_FAILED_INTERNAL;
}

int
lk_lockdown_clear(struct lk_app *app, const char *user_id)
{
	struct lk_val q[] = {LK_TEXT(user_id)};

	return lk_db_exec(app->store,
	                  "UPDATE users SET locked_down = 0 WHERE id = ?1 AND locked_down <> 0", q,
	                  1, NULL, NULL, NULL);
}

int
lk_lockdown_first_factor_allowed(struct lk_app *app, const struct lk_user *u)
{
	struct lk_factors f;

	if (lk_factors_get(app, u->id, &f) != LK_OK) {
		return 0;
	}
	return f.totp_enabled != 0;
}
