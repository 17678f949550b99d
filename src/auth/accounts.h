/* accounts.h: sign-up, password sign-in, email verification, password change and
 * password re-authentication. Inputs are already shape-checked by the edge; every rule of
 * the contract about them (policy, limits, events, mail) is decided here. */
#ifndef LK_ACCOUNTS_H
#define LK_ACCOUNTS_H

#include <stdint.h>

#include "auth/app.h"
#include "auth/sessions.h"

struct lk_client {
	const char *ip;
	const char *ua;
};

enum lk_outcome {
	LK_DONE = 0,        /* success */
	LK_BAD_EMAIL,       /* invalid_field email */
	LK_WEAK_PASSWORD,   /* weak_password */
	LK_TAKEN,           /* email_taken */
	LK_BAD_CREDENTIALS, /* invalid_credentials */
	LK_BAD_TOKEN,       /* invalid_or_expired_token */
	LK_NEED_2FA,        /* first factor accepted, pending session made */
	LK_LIMITED,         /* rate_limited, retry_after set */
	LK_FAILED_INTERNAL, /* storage or crypto failure */
};

struct lk_signin {
	struct lk_user user;
	struct lk_session session;
	char token[LK_SESSION_TOKEN_LEN + 1];
	int64_t retry_after;
	char methods[64]; /* for LK_NEED_2FA: comma list */
	const char *weak_reason;
};

/* Counts a signup from cl's address (API-NOTES 131: every signup whose body parsed, whatever
 * its outcome): LK_DONE, or LK_LIMITED with *retry_after in seconds. Call before checking
 * the fields; lk_account_signup does not count. */
enum lk_outcome lk_account_signup_admit(struct lk_app *app, const struct lk_client *cl, int64_t now,
                                        int64_t *retry_after);
enum lk_outcome lk_account_signup(struct lk_app *app, const char *email, const char *password,
                                  const struct lk_client *cl, int64_t now, struct lk_signin *out);
enum lk_outcome lk_account_login(struct lk_app *app, const char *email, const char *password,
                                 const struct lk_client *cl, int64_t now, struct lk_signin *out);
/* Consumes an email-verification token; session_user_id is the user of the request's full
 * session ("" when none) — without it the pre-hijack defence applies. */
enum lk_outcome lk_account_verify_email(struct lk_app *app, const char *token,
                                        const char *session_user_id, int64_t now);
enum lk_outcome lk_account_change_password(struct lk_app *app, const struct lk_session *s,
                                           const char *password, const struct lk_client *cl,
                                           int64_t now, const char **weak_reason);
enum lk_outcome lk_account_reauth_password(struct lk_app *app, struct lk_session *s,
                                           const char *password, const struct lk_client *cl,
                                           int64_t now, int64_t *retry_after);

/* The pre-hijack defence (API-NOTES 89): marks the email verified, removes password and
 * every factor, revokes every session; *revoked receives how many. */
int lk_account_prehijack_reset(struct lk_app *app, const char *user_id, int64_t *revoked);
/* The same writes inside the caller's transaction (lk_db_begin; it neither begins nor
 * commits, so a caller can make them part of a larger change, as account recovery does).
 * On an error the caller must roll back. */
int lk_account_prehijack_reset_in_tx(struct lk_app *app, const char *user_id, int64_t *revoked);

/* Queues one email and wakes the mailer. */
int lk_mail(struct lk_app *app, const char *to, const char *purpose, const char *subject,
            const char *body, int64_t now);

#endif
