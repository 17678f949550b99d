/* totp2fa.h: the TOTP second factor of an account (API.md "TOTP and recovery codes" and
 * /login/2fa; API-NOTES 37-42, 72-81): set-up with an unconfirmed secret, enabling,
 * checking codes (replay rule, drift learning), disabling, and the second step of a
 * sign-in. Codes and recovery codes come from clients; TOTP secrets are sealed at rest
 * with the server key (associated data = the user id) and unsealed only in memory that
 * is wiped after use. Nothing here logs a secret. */
#ifndef LK_TOTP2FA_H
#define LK_TOTP2FA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/accounts.h"
#include "auth/recovery_codes.h"
#include "core/totp.h"

#define LK_TOTP_MAX_DRIFT 2 /* learnt widening of the window, steps (RFC 6238 section 6) */

/* The answer of POST /2fa/totp/setup. Clear it with lk_totp2fa_setup_clear. */
struct lk_totp_setup {
	char secret[LK_TOTP_SECRET_B32 + 1]; /* base32 */
	char *uri;                           /* otpauth URI, malloc'ed */
	char *svg;                           /* QR code of uri, malloc'ed */
};

/* Wipes the secret and the URI and frees both strings; NULL is fine. */
void lk_totp2fa_setup_clear(struct lk_totp_setup *s);

/* *enabled = 1 when the user has a TOTP enrolment. LK_OK or LK_E_STORAGE. */
int lk_totp2fa_enabled(struct lk_app *app, const char *user_id, int *enabled);

/* *enabled = 1 when the user has a TOTP enrolment, *pending = 1 when an unconfirmed
 * set-up waits (either pointer may be NULL). LK_OK or LK_E_STORAGE. */
int lk_totp2fa_state(struct lk_app *app, const char *user_id, int *enabled, int *pending);

/* Creates a fresh 160-bit secret for u with the configured algorithm, digits and period,
 * stores it sealed as the unconfirmed set-up (replacing any earlier one) and fills out.
 * LK_OK; LK_E_EXISTS (TOTP already enabled); LK_E_CRYPTO; LK_E_NOMEM; LK_E_STORAGE. */
int lk_totp2fa_setup(struct lk_app *app, const struct lk_user *u, int64_t now,
                     struct lk_totp_setup *out);

/* The QR SVG of u's unconfirmed secret (malloc'ed into *svg, length *len).
 * LK_OK; LK_E_NOTFOUND (no unconfirmed secret, or TOTP enabled); LK_E_NOMEM; LK_E_STORAGE. */
int lk_totp2fa_qr(struct lk_app *app, const struct lk_user *u, char **svg, size_t *len);

/* 1 when v may be a code: a JSON string or a non-negative JSON integer (API-NOTES 38, 73). */
int lk_totp2fa_code_type_ok(const json_t *v);

/* Enables TOTP with the unconfirmed set-up when code (lk_totp2fa_code_type_ok) is right:
 * the enrolment keeps the set-up's parameters, the code's step becomes the last accepted
 * one, 10 recovery codes replace any older ones and go to codes; records totp.enabled and
 * mails the account. LK_OK; LK_E_EXISTS (already enabled); LK_E_NOTFOUND (no set-up);
 * LK_E_VERIFY (wrong code); LK_E_CRYPTO; LK_E_STORAGE. */
int lk_totp2fa_enable(struct lk_app *app, const struct lk_user *u, const json_t *code,
                      const struct lk_client *cl, int64_t now, lk_recovery_set codes);

/* Checks code (lk_totp2fa_code_type_ok) against the user's enrolment: steps t-skew..t+skew
 * of the stored period, widened by the learnt drift; a step at or before the last
 * accepted one is refused. One conditional UPDATE (last_step < step) spends the step, so
 * two concurrent requests with one code cannot both pass. On success the code's offset is
 * recorded, and when the same non-zero offset repeats the window widens that way (at most
 * LK_TOTP_MAX_DRIFT steps; a repeated zero offset narrows it again).
 * LK_OK; LK_E_VERIFY (wrong, replayed, wrong length or not digits); LK_E_NOTFOUND (no
 * TOTP); LK_E_CRYPTO; LK_E_STORAGE. */
int lk_totp2fa_check(struct lk_app *app, const char *user_id, const json_t *code, int64_t now);

/* POST /2fa/totp/disable after its field checks: field is "code" or "recoveryCode" and
 * value its (type-checked) value. Counts a wrong one in the reauth budget (API-NOTES 52)
 * with a reauth.failure event (action totp.disable). On success deletes the enrolment,
 * any set-up and the recovery codes, records totp.disabled {with} and mails the account.
 * LK_OK; LK_E_NOTFOUND (TOTP not enabled); LK_E_LOCKED (*retry_after seconds);
 * LK_E_VERIFY; LK_E_STORAGE. */
int lk_totp2fa_disable(struct lk_app *app, const struct lk_user *u, const char *field,
                       const json_t *value, const struct lk_client *cl, int64_t now,
                       int64_t *retry_after);

/* Replaces the recovery codes of u (TOTP enabled) with 10 fresh ones into codes, records
 * recovery_codes.regenerated and mails the account. LK_OK; LK_E_NOTFOUND (TOTP not
 * enabled); LK_E_CRYPTO; LK_E_STORAGE. */
int lk_totp2fa_regenerate_codes(struct lk_app *app, const struct lk_user *u,
                                const struct lk_client *cl, int64_t now, lk_recovery_set codes);

/* Deletes the user's enrolment, unconfirmed set-up and recovery codes, recording nothing
 * (for the pre-hijack defence, account recovery, `user reset-2fa`). Several statements:
 * call inside a transaction for atomicity. LK_OK or LK_E_STORAGE. */
int lk_totp2fa_remove(struct lk_app *app, const char *user_id);

/* Whether a first factor of user_id must be followed by a second one (API-NOTES 35-36):
 * *required = 1 when TOTP is enabled, and then methods receives "totp", ",recovery_code"
 * while unused codes remain and ",passkey" when the user has one. LK_OK or LK_E_STORAGE. */
int lk_totp2fa_methods(struct lk_app *app, const char *user_id, int *required, char *methods,
                       size_t cap);

/* The outcome of POST /login/2fa. */
struct lk_2fa_result {
	struct lk_user user;                  /* on success */
	char token[LK_SESSION_TOKEN_LEN + 1]; /* the new full session's cookie, on success */
	int64_t expires_at;                   /* of the full session */
	int64_t retry_after;                  /* LK_LIMITED */
	int64_t failures;                     /* of the pending session, on failure */
	int session_destroyed;                /* the failure ended the pending session */
	int64_t recovery_remaining;           /* after a recovery code; -1 otherwise */
	char check[32];                       /* passkey failure: the WebAuthn check */
	char message[160];                    /* passkey failure: "<check>: <detail>" */
};

/* The second step of a sign-in on the pending session s: field is "code", "recoveryCode" or
 * "passkeyResponse" and value its type-checked value. Refuses with LK_LIMITED past the
 * account's 2FA budget (before checking); a failure is counted per session and per account
 * and the session destroyed at the --rate-2fa-session-th; a success makes s full under a
 * new token (out->token), adds otp / recovery_code / passkey to its amr and records
 * 2fa.success then login.success. Returns LK_DONE, LK_LIMITED, LK_BAD_CREDENTIALS
 * (invalid_code) or LK_FAILED_INTERNAL. */
enum lk_outcome lk_totp2fa_login(struct lk_app *app, struct lk_session *s, const char *field,
                                 const json_t *value, const struct lk_client *cl, int64_t now,
                                 struct lk_2fa_result *out);

#endif
