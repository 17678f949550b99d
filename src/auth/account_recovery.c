/* account_recovery.c: the recovery flow of account_recovery.h. Rows of recoveries
 * (migration 0006) go requested -> started -> completed, or -> cancelled; each step is a
 * conditional UPDATE whose affected-row count decides. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/account_recovery.h"
#include "auth/events.h"
#include "auth/jsonutil.h"
#include "auth/magic_link.h"
#include "auth/mailer.h"
#include "auth/notify.h"
#include "auth/outbox.h"
#include "auth/ratelimit.h"
#include "core/email.h"
#include "core/password.h"
#include "core/rc.h"
#include "core/token.h"
#include "store/store.h"

#define HOUR_MS  (3600LL * 1000)
#define NO_TIME  INT64_MIN
#define KEEP_MS  (30LL * 24 * HOUR_MS) /* ended recoveries are kept a month */
#define REC_COLS "id, user_id, start_by, started_at, completes_at, cancelled_at, completed_at"

struct rec {
	char id[32];
	char user_id[32];
	int64_t start_by, started_at, completes_at, cancelled_at, completed_at;
	int found;
};

static int64_t
opt_time(const struct lk_val *v)
{
	return v->type == LK_V_INT ? v->i : NO_TIME;
}

static int
rec_row(void *arg, const struct lk_val *c, int n)
{
	struct rec *r = arg;

	if (n < 7) {
		return 1;
	}
	lk_val_text(&c[0], r->id, sizeof(r->id));
	lk_val_text(&c[1], r->user_id, sizeof(r->user_id));
	r->start_by = opt_time(&c[2]);
	r->started_at = opt_time(&c[3]);
	r->completes_at = opt_time(&c[4]);
	r->cancelled_at = opt_time(&c[5]);
	r->completed_at = opt_time(&c[6]);
	r->found = 1;
	return 1;
}

/* Reads the recovery whose R (or, with by_cancel, R or C) hashes to hash. */
static int
rec_find(struct lk_app *app, const unsigned char hash[LK_TOKEN_HASH], int by_cancel, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	struct lk_val p[] = {LK_BLOB(hash, LK_TOKEN_HASH), LK_BLOB(hash, LK_TOKEN_HASH)};
	if (by_cancel) {
		return lk_db_exec(app->store,
		                  "SELECT " REC_COLS " FROM recoveries WHERE request_hash = ?1 OR "
		                  "cancel_hash = ?2",
		                  p, 2, rec_row, r, NULL);
	}
	return lk_db_exec(app->store, "SELECT " REC_COLS " FROM recoveries WHERE request_hash = ?1",
	                  p, 1, rec_row, r, NULL);
}

/* 0 when the token has the shape of ours (then hash is set). */
static int
token_hash(const char *token, unsigned char hash[LK_TOKEN_HASH])
{
	if (lk_token_check_format(token, strlen(token)) != LK_OK) {
		return -1;
	}
	lk_token_hash(token, strlen(token), hash);
	return 0;
}

static int
is_open(const struct rec *r)
{
	return r->cancelled_at == NO_TIME && r->completed_at == NO_TIME;
}

/* An open recovery whose token still means something at now. */
static int
is_live(const struct rec *r, int64_t now)
{
	if (!r->found || !is_open(r)) {
		return 0;
	}
	if (r->started_at == NO_TIME) {
		return now < r->start_by;
	}
	return now < r->completes_at + LK_RECOVERY_WINDOW_MS;
}

/* Deletes the unsent reminders of user_id's recoveries that have ended (P-065). */
static int
drop_reminders(struct lk_app *app, const char *user_id)
{
	struct lk_val p[] = {LK_TEXT(user_id)};
	return lk_db_exec(
	    app->store,
	    "DELETE FROM outbox WHERE sent_at IS NULL AND id IN (SELECT reminder_outbox_id "
	    "FROM recoveries WHERE user_id = ?1 AND reminder_outbox_id IS NOT NULL AND "
	    "(cancelled_at IS NOT NULL OR completed_at IS NOT NULL))",
	    p, 1, NULL, NULL, NULL);
}

/* A started recovery reminds the account before it completes: halfway through the wait,
 * and at most 12 hours before the end; none for waits under 10 minutes, whose "started"
 * notice is reminder enough. */
static void
queue_reminder(struct lk_app *app, const struct lk_user *u, const char *recovery_id,
               const char *extra, const struct lk_client *cl, int64_t now, int64_t completes_at)
{
	int64_t delay = completes_at - now, due, outbox_id = 0;

	if (delay < 10 * 60 * 1000) {
		return;
	}
	due = now + delay / 2;
	if (due < completes_at - 12 * HOUR_MS) {
		due = completes_at - 12 * HOUR_MS;
	}
	if (lk_notify_at(app, u, "recovery-reminder",
	                 "Reminder: account recovery for your account is about to complete.", extra,
	                 cl->ip, cl->ua, now, due, &outbox_id) == LK_OK) {
		struct lk_val p[] = {LK_TEXT(recovery_id), LK_INT(outbox_id)};
		lk_db_exec(app->store,
		           "UPDATE recoveries SET reminder_outbox_id = ?2 WHERE id = ?1", p, 2,
		           NULL, NULL, NULL);
	}
}

static void
describe_delay(int64_t ms, char *out, size_t cap)
{
	if (ms >= HOUR_MS && ms % HOUR_MS == 0) {
		long long h = (long long)(ms / HOUR_MS);
		snprintf(out, cap, "%lld hour%s", h, h == 1 ? "" : "s");
	} else if (ms >= 60000 && ms % 60000 == 0) {
		long long m = (long long)(ms / 60000);
		snprintf(out, cap, "%lld minute%s", m, m == 1 ? "" : "s");
	} else {
		long long s = (long long)((ms + 999) / 1000);
		snprintf(out, cap, "%lld second%s", s, s == 1 ? "" : "s");
	}
}

enum lk_recovery_result
lk_recovery_request(struct lk_app *app, const char *email, const struct lk_client *cl, int64_t now,
                    struct lk_recovery_out *out)
{
	char norm[LK_MAX_EMAIL + 1];
	char token[LK_TOKEN_LEN + 1], id[32], delay[48], body[1536];
	unsigned char hash[LK_TOKEN_HASH];
	size_t norm_len;
	struct lk_user u;
	int64_t retry = 0;
	int found, send, within = 1, rc;
	enum lk_recovery_result res = LK_RECOVERY_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (lk_email_normalize(email, strlen(email), norm, &norm_len) != LK_OK) {
		return LK_RECOVERY_BAD_EMAIL;
	}
	/* Past the address limit: 429, not counted (as for magic links, API-NOTES 84). Both
	 * limits decide and count in one step per bucket (lk_rate_take), so parallel requests
	 * on any instance cannot slip past them. */
	rc = lk_rate_mail_admit(app, "recovery", cl->ip, norm, now, &within, &retry);
	if (rc == LK_E_LOCKED) {
		out->retry_after = retry;
		return LK_RECOVERY_LIMITED;
	}
	if (rc != LK_OK) {
		return LK_RECOVERY_INTERNAL;
	}
	found = lk_user_by_email(app, norm, &u) == LK_OK;
	/* API-NOTES 120: nothing for an unknown or disabled account */
	send = found && !u.disabled && within;

	/* The secret and the message are made whatever happens next, so that a known and an
	 * unknown address cost the request about the same work (SECURITY-PROBES P-058). */
	if (lk_token_new(token) != LK_OK || lk_token_random_b64url(16, id, sizeof(id)) != LK_OK) {
		goto out;
	}
	lk_token_hash(token, LK_TOKEN_LEN, hash);
	describe_delay(app->cfg.recovery_delay, delay, sizeof(delay));
	snprintf(body, sizeof(body),
	         "Someone asked to recover the latchkey account %s because every way of signing "
	         "in was lost.\n\nTo start the recovery, open this link within 1 hour:\n\n"
	         "%s/recovery?token=%s\n\n"
	         "Recovery replaces the password and removes the authenticator app, recovery "
	         "codes and passkeys. It takes effect only after a waiting period of %s, during "
	         "which we email this address a link to cancel it, and signing in normally "
	         "cancels it.\n\nIf you did not ask for this, ignore this email: nothing changes "
	         "unless the link is used.\n",
	         norm, app->cfg.origin, token, delay);

	if (lk_db_begin(app->store) != LK_OK) {
		goto out;
	}
	if (send) {
		struct lk_val p[] = {LK_TEXT(id), LK_TEXT(u.id), LK_BLOB(hash, sizeof(hash)),
		                     LK_INT(now), LK_INT(now + LK_RECOVERY_START_TTL_MS)};
		if (lk_db_exec(app->store,
		               "INSERT INTO recoveries (id, user_id, request_hash, requested_at, "
		               "start_by) VALUES (?1, ?2, ?3, ?4, ?5)",
		               p, 5, NULL, NULL, NULL) != LK_OK ||
		    lk_outbox_queue(app->store, now, u.email, "recovery", "Recover your account",
		                    body, NULL) != LK_OK ||
		    lk_event_add(app, u.id, "recovery.requested", cl->ip, cl->ua, now, NULL) !=
		        LK_OK) {
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
		/* now and then, forget recoveries that ended (or lapsed) a month ago */
		struct lk_val q[] = {LK_INT(now - KEEP_MS),
		                     LK_INT(now - KEEP_MS - LK_RECOVERY_WINDOW_MS)};
		lk_db_exec(
		    app->store,
		    "DELETE FROM recoveries WHERE (cancelled_at < ?1 OR completed_at < ?1 OR "
		    "(started_at IS NULL AND start_by < ?1) OR completes_at < ?2)",
		    q, 2, NULL, NULL, NULL);
	}
	res = LK_RECOVERY_OK;
	goto out;
rollback:
	lk_db_rollback(app->store);
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(body, sizeof(body));
	return res;
}

static void
cancel_paragraph(struct lk_app *app, const char *cancel_token, int64_t completes_at, char *out,
                 size_t cap)
{
	char when[40];

	lk_iso_time(completes_at, when, sizeof(when));
	snprintf(out, cap,
	         "The recovery can be completed from %s. Until then, signing in normally cancels "
	         "it. To cancel it now, open this link:\n\n%s/recovery/cancel?token=%s",
	         when, app->cfg.origin, cancel_token);
}

enum lk_recovery_result
lk_recovery_start(struct lk_app *app, const char *token, const struct lk_client *cl, int64_t now,
                  struct lk_recovery_out *out)
{
	unsigned char hash[LK_TOKEN_HASH], chash[LK_TOKEN_HASH];
	char ctoken[LK_TOKEN_LEN + 1], extra[1024];
	struct rec r;
	struct lk_user u;
	int64_t changes = 0;
	enum lk_recovery_result res = LK_RECOVERY_BAD_TOKEN;

	memset(out, 0, sizeof(*out));
	if (token_hash(token, hash) != 0) {
		return LK_RECOVERY_BAD_TOKEN;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (rec_find(app, hash, 0, &r) != LK_OK) {
			return LK_RECOVERY_INTERNAL;
		}
		if (!is_live(&r, now)) {
			return LK_RECOVERY_BAD_TOKEN;
		}
		if (r.started_at != NO_TIME) {
			/* API-NOTES 115: the same pending state, no second notification */
			out->completes_at = r.completes_at;
			return LK_RECOVERY_OK;
		}
		if (lk_user_by_id(app, r.user_id, &u) != LK_OK || u.disabled) {
			return LK_RECOVERY_BAD_TOKEN;
		}
		if (lk_token_new(ctoken) != LK_OK) {
			return LK_RECOVERY_INTERNAL;
		}
		lk_token_hash(ctoken, LK_TOKEN_LEN, chash);
		out->completes_at = now + app->cfg.recovery_delay;
		struct lk_val p[] = {LK_TEXT(r.id), LK_INT(now), LK_INT(out->completes_at),
		                     LK_BLOB(chash, sizeof(chash))};
		if (lk_db_exec(app->store,
		               "UPDATE recoveries SET started_at = ?2, completes_at = ?3, "
		               "cancel_hash = ?4 WHERE id = ?1 AND started_at IS NULL AND "
		               "cancelled_at IS NULL AND completed_at IS NULL AND start_by > ?2",
		               p, 4, NULL, NULL, &changes) != LK_OK) {
			res = LK_RECOVERY_INTERNAL;
			goto out;
		}
		if (changes == 1) {
			break;
		}
		sodium_memzero(ctoken, sizeof(ctoken)); /* a concurrent start won: read again */
	}
	if (changes != 1) {
		goto out;
	}
	/* API-NOTES 115: starting cancels any other open recovery of the account */
	struct lk_val q[] = {LK_TEXT(r.user_id), LK_TEXT(r.id), LK_INT(now)};
	lk_db_exec(app->store,
	           "UPDATE recoveries SET cancelled_at = ?3, cancel_reason = 'superseded' WHERE "
	           "user_id = ?1 AND id <> ?2 AND cancelled_at IS NULL AND completed_at IS NULL",
	           q, 3, NULL, NULL, NULL);
	lk_event_add(app, u.id, "recovery.started", cl->ip, cl->ua, now,
	             json_pack("{s:o}", "completesAt", lk_json_time(out->completes_at)));
	cancel_paragraph(app, ctoken, out->completes_at, extra, sizeof(extra));
	lk_notify_ex(app, &u, "recovery-started", "Account recovery was started for your account.",
	             extra, cl->ip, cl->ua, now);
	queue_reminder(app, &u, r.id, extra, cl, now, out->completes_at);
	drop_reminders(app, u.id);
	res = LK_RECOVERY_OK;
out:
	sodium_memzero(ctoken, sizeof(ctoken));
	sodium_memzero(extra, sizeof(extra));
	return res;
}

enum lk_recovery_result
lk_recovery_cancel(struct lk_app *app, const char *token, const struct lk_client *cl, int64_t now)
{
	unsigned char hash[LK_TOKEN_HASH];
	struct rec r;
	struct lk_user u;
	int64_t changes = 0;

	if (token_hash(token, hash) != 0) {
		return LK_RECOVERY_BAD_TOKEN;
	}
	if (rec_find(app, hash, 1, &r) != LK_OK) {
		return LK_RECOVERY_INTERNAL;
	}
	if (r.found && r.cancelled_at != NO_TIME) {
		return LK_RECOVERY_OK; /* API-NOTES 116: idempotent */
	}
	if (!is_live(&r, now)) {
		return LK_RECOVERY_BAD_TOKEN;
	}
	struct lk_val p[] = {LK_TEXT(r.id), LK_INT(now)};
	if (lk_db_exec(
	        app->store,
	        "UPDATE recoveries SET cancelled_at = ?2, cancel_reason = 'link' WHERE id = ?1 "
	        "AND cancelled_at IS NULL AND completed_at IS NULL",
	        p, 2, NULL, NULL, &changes) != LK_OK) {
		return LK_RECOVERY_INTERNAL;
	}
	if (changes != 1) {
		/* a concurrent cancel or completion: answer from the state it left */
		if (rec_find(app, hash, 1, &r) != LK_OK) {
			return LK_RECOVERY_INTERNAL;
		}
		return r.found && r.cancelled_at != NO_TIME ? LK_RECOVERY_OK
		                                            : LK_RECOVERY_BAD_TOKEN;
	}
	lk_event_add(app, r.user_id, "recovery.cancelled", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "reason", "link"));
	drop_reminders(app, r.user_id);
	if (lk_user_by_id(app, r.user_id, &u) == LK_OK) {
		lk_notify(app, &u, "recovery-cancelled",
		          "Account recovery for your account was cancelled.", cl->ip, cl->ua, now);
	}
	return LK_RECOVERY_OK;
}

static enum lk_recovery_result
complete(struct lk_app *app, const char *token, const char *new_password,
         const struct lk_client *cl, int64_t now, struct lk_recovery_out *out)
{
	unsigned char hash[LK_TOKEN_HASH];
	char pwhash[LK_PASSWORD_HASH_SIZE];
	enum lk_password_weakness w;
	struct rec r;
	struct lk_user *u = &out->signin.user;
	int64_t changes = 0, revoked = 0;
	enum lk_recovery_result res = LK_RECOVERY_INTERNAL;

	memset(out, 0, sizeof(*out));
	/* API-NOTES 117: token → too early → weak */
	if (token_hash(token, hash) != 0) {
		return LK_RECOVERY_BAD_TOKEN;
	}
	if (rec_find(app, hash, 0, &r) != LK_OK) {
		return LK_RECOVERY_INTERNAL;
	}
	if (!is_live(&r, now) || r.started_at == NO_TIME) {
		return LK_RECOVERY_BAD_TOKEN;
	}
	if (now < r.completes_at) {
		out->completes_at = r.completes_at;
		return LK_RECOVERY_TOO_EARLY;
	}
	w = lk_password_check(new_password, strlen(new_password));
	if (w != LK_PASSWORD_OK) {
		out->weak_reason = lk_password_weakness_str(w);
		return LK_RECOVERY_WEAK;
	}
	if (lk_user_by_id(app, r.user_id, u) != LK_OK) {
		return LK_RECOVERY_BAD_TOKEN;
	}
	if (u->disabled) {
		return LK_RECOVERY_DISABLED;
	}
	if (lk_password_hash(new_password, strlen(new_password), pwhash) != LK_OK) {
		return LK_RECOVERY_INTERNAL;
	}
	/* One transaction (SECURITY-PROBES P-148): claiming the token, the wipe, the new
	 * password and the new session happen together or not at all, so a failure between
	 * them cannot leave a spent token beside an account with no way in. The slow hash is
	 * made above, before the write lock is taken. */
	if (lk_db_begin(app->store) != LK_OK) {
		goto out;
	}
	/* SPEC single use: one conditional update decides which request completes it. */
	struct lk_val p[] = {LK_TEXT(r.id), LK_INT(now)};
	if (lk_db_exec(app->store,
	               "UPDATE recoveries SET completed_at = ?2 WHERE id = ?1 AND completed_at IS "
	               "NULL AND cancelled_at IS NULL AND started_at IS NOT NULL AND completes_at "
	               "<= ?2",
	               p, 2, NULL, NULL, &changes) != LK_OK) {
		goto rollback;
	}
	if (changes != 1) {
		res = LK_RECOVERY_BAD_TOKEN;
		goto rollback;
	}
	/* Everything but the email goes, as in the pre-hijack defence (API-NOTES 89, 118):
	 * password, TOTP with any unconfirmed set-up, recovery codes, passkeys and their
	 * outstanding challenges, every session. */
	if (lk_account_prehijack_reset_in_tx(app, u->id, &revoked) != LK_OK) {
		goto rollback;
	}
	struct lk_val q[] = {LK_TEXT(pwhash), LK_TEXT(u->id)};
	if (lk_db_exec(app->store,
	               "UPDATE users SET password_hash = ?1, email_verified = 1, locked_down = 0 "
	               "WHERE id = ?2",
	               q, 2, NULL, NULL, NULL) != LK_OK) {
		goto rollback;
	}
	struct lk_val c[] = {LK_TEXT(u->id), LK_TEXT(r.id), LK_INT(now)};
	if (lk_db_exec(
	        app->store,
	        "UPDATE recoveries SET cancelled_at = ?3, cancel_reason = 'superseded' WHERE "
	        "user_id = ?1 AND id <> ?2 AND cancelled_at IS NULL AND completed_at IS NULL",
	        c, 3, NULL, NULL, NULL) != LK_OK ||
	    drop_reminders(app, u->id) != LK_OK ||
	    lk_magic_link_spend_all(app, u->id, now) != LK_OK ||
	    lk_session_create(app, u->id, 1, "email_link", cl->ip, cl->ua, now, out->signin.token,
	                      &out->signin.session) != LK_OK) {
		goto rollback;
	}
	if (lk_db_commit(app->store) != LK_OK) {
		goto wipe_token;
	}
	u->email_verified = 1;
	u->locked_down = 0;
	lk_event_add(app, u->id, "recovery.completed", cl->ip, cl->ua, now,
	             json_pack("{s:I, s:[s,s,s,s]}", "sessionsRevoked", (json_int_t)revoked,
	                       "removed", "totp", "recovery_codes", "passkeys", "password"));
	lk_notify(app, u, "recovery-completed",
	          "Account recovery was completed for your account: the password was replaced and "
	          "every other factor removed.",
	          cl->ip, cl->ua, now);
	res = LK_RECOVERY_OK;
	goto out;
rollback:
	lk_db_rollback(app->store);
wipe_token:
	/* nothing was made: no token goes back to the caller */
	sodium_memzero(out->signin.token, sizeof(out->signin.token));
	memset(&out->signin.session, 0, sizeof(out->signin.session));
out:
	sodium_memzero(pwhash, sizeof(pwhash));
	return res;
}

enum lk_recovery_result
lk_recovery_complete(struct lk_app *app, const char *token, const char *new_password,
                     const struct lk_client *cl, int64_t now, struct lk_recovery_out *out)
{
	enum lk_recovery_result res = complete(app, token, new_password, cl, now, out);

	if (res == LK_RECOVERY_OK) {
		lk_metrics_login(&app->metrics, LK_LM_RECOVERY, LK_LO_SUCCESS);
	} else if (res == LK_RECOVERY_BAD_TOKEN || res == LK_RECOVERY_DISABLED) {
		lk_metrics_login(&app->metrics, LK_LM_RECOVERY, LK_LO_FAILURE);
	}
	return res;
}

struct id_list {
	int n;
	char ids[8][32];
};

static int
id_list_row(void *arg, const struct lk_val *c, int n)
{
	struct id_list *l = arg;

	if (n >= 1 && l->n < 8) {
		lk_val_text(&c[0], l->ids[l->n++], sizeof(l->ids[0]));
	}
	return 0;
}

int
lk_recovery_cancel_on_signin(struct lk_app *app, const char *user_id, int64_t now)
{
	struct id_list l = {0};
	struct lk_user u;
	int rc;

	/* Started and not finished, within the completion window: API-NOTES 119. */
	struct lk_val p[] = {LK_TEXT(user_id), LK_INT(now), LK_INT(now - LK_RECOVERY_WINDOW_MS)};
	rc = lk_db_exec(app->store,
	                "UPDATE recoveries SET cancelled_at = ?2, cancel_reason = 'sign-in' WHERE "
	                "user_id = ?1 AND started_at IS NOT NULL AND cancelled_at IS NULL AND "
	                "completed_at IS NULL AND completes_at > ?3 RETURNING id",
	                p, 3, id_list_row, &l, NULL);
	if (rc != LK_OK || l.n == 0) {
		return rc;
	}
	drop_reminders(app, user_id);
	for (int i = 0; i < l.n; i++) {
		lk_event_add(app, user_id, "recovery.cancelled", NULL, NULL, now,
		             json_pack("{s:s}", "reason", "sign-in"));
	}
	if (lk_user_by_id(app, user_id, &u) == LK_OK) {
		lk_notify(app, &u, "recovery-cancelled",
		          "Account recovery for your account was cancelled because you signed in.",
		          "", "", now);
	}
	return LK_OK;
}

int
lk_recovery_cancel_all(struct lk_app *app, const char *user_id, const char *reason, int64_t now,
                       int64_t *n)
{
	int64_t changes = 0;
	int rc;

	struct lk_val p[] = {LK_TEXT(user_id), LK_INT(now), LK_TEXT(reason)};
	rc = lk_db_exec(app->store,
	                "UPDATE recoveries SET cancelled_at = ?2, cancel_reason = ?3 WHERE user_id "
	                "= ?1 AND cancelled_at IS NULL AND completed_at IS NULL",
	                p, 3, NULL, NULL, &changes);
	if (n) {
		*n = changes;
	}
	if (rc == LK_OK && changes > 0) {
		drop_reminders(app, user_id);
	}
	return rc;
}
