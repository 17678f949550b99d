/* account_recovery.h: account recovery when every factor is lost (API.md "Account recovery
 * when every factor is lost", API-NOTES 113-120). A request emails R (<origin>/recovery?
 * token=R, starts within 1 h); starting opens a waiting period of --recovery-delay and
 * emails a cancel link C; from completesAt until completesAt + 7 days R completes it: the
 * password is replaced, every other factor removed, every session revoked. A full sign-in
 * by the account during the wait cancels it. Tokens arrive from links (untrusted): they
 * are shape-checked and only their SHA-256 is looked up; every state change is one
 * conditional UPDATE, so concurrent requests (and instances) agree. */
#ifndef LK_ACCOUNT_RECOVERY_H
#define LK_ACCOUNT_RECOVERY_H

#include <stdint.h>

#include "auth/accounts.h"

#define LK_RECOVERY_START_TTL_MS (3600LL * 1000)          /* R starts within 1 h */
#define LK_RECOVERY_WINDOW_MS    (7LL * 24 * 3600 * 1000) /* completes until +7 d */

enum lk_recovery_result {
	LK_RECOVERY_OK = 0,
	LK_RECOVERY_BAD_EMAIL, /* 400 invalid_field email */
	LK_RECOVERY_LIMITED,   /* 429, retry_after set */
	LK_RECOVERY_BAD_TOKEN, /* 400 invalid_or_expired_token */
	LK_RECOVERY_TOO_EARLY, /* 409 recovery_pending, completes_at set */
	LK_RECOVERY_WEAK,      /* 400 weak_password, weak_reason set */
	LK_RECOVERY_DISABLED,  /* 401 invalid_credentials: the account was disabled since */
	LK_RECOVERY_INTERNAL,  /* 500 */
};

struct lk_recovery_out {
	int64_t completes_at;
	int64_t retry_after;
	const char *weak_reason;
	struct lk_signin signin; /* complete: the new session and user */
};

/* POST /auth/recovery: counts the request per client address (cfg.rate_mail_ip an hour,
 * then LK_RECOVERY_LIMITED) and per address (cfg.rate_mail_email an hour, its own budget:
 * past it nothing is sent); for an existing, enabled account emails R and records
 * recovery.requested. LK_RECOVERY_OK whether or not anything was sent. */
enum lk_recovery_result lk_recovery_request(struct lk_app *app, const char *email,
                                            const struct lk_client *cl, int64_t now,
                                            struct lk_recovery_out *out);
/* POST /auth/recovery/start: out->completes_at. A second start of the same pending recovery
 * answers the same time and sends nothing; a first one cancels the account's other open
 * recoveries, emails the cancel link and records recovery.started. */
enum lk_recovery_result lk_recovery_start(struct lk_app *app, const char *token,
                                          const struct lk_client *cl, int64_t now,
                                          struct lk_recovery_out *out);
/* POST /auth/recovery/cancel with R or C: OK (also for one already cancelled) or
 * BAD_TOKEN (completed, expired, unknown). Records recovery.cancelled {reason: link}. */
enum lk_recovery_result lk_recovery_cancel(struct lk_app *app, const char *token,
                                           const struct lk_client *cl, int64_t now);
/* POST /auth/recovery/complete, fields present: BAD_TOKEN → TOO_EARLY → WEAK → DISABLED;
 * on OK out->signin holds the new full session (amr email_link) and the user. */
enum lk_recovery_result lk_recovery_complete(struct lk_app *app, const char *token,
                                             const char *new_password, const struct lk_client *cl,
                                             int64_t now, struct lk_recovery_out *out);

/* Call on every successful FULL sign-in of user_id (password without a second factor, a
 * completed /login/2fa, a passwordless passkey, a magic link ending authenticated): cancels
 * the account's started, unfinished recoveries (reason "sign-in", event recovery.cancelled,
 * a notification). Requested-but-not-started ones stay. LK_OK or LK_E_STORAGE. */
int lk_recovery_cancel_on_signin(struct lk_app *app, const char *user_id, int64_t now);

/* Cancels every open recovery (requested or started) of user_id with reason (no event);
 * *n (may be NULL) receives how many. For lockdown. LK_OK or LK_E_STORAGE. */
int lk_recovery_cancel_all(struct lk_app *app, const char *user_id, const char *reason, int64_t now,
                           int64_t *n);

#endif
