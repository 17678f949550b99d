/* passkeys.h: WebAuthn passkeys of an account (API.md "Passkeys", API-NOTES 95-112):
 * registration, passwordless sign-in, the passkey as a second factor (/login/2fa) and for
 * re-authentication (/me/reauth), and listing, renaming and deleting. Trust boundary:
 * every RegistrationResponseJSON / AuthenticationResponseJSON and every name is
 * attacker-controlled; core/webauthn verifies the ceremonies, this module decides which
 * challenge, credential record and policy (UV, user handle, counter, BE) apply, and
 * records events and notifications. Challenges are single use (auth/challenges.h): a
 * refused response still consumes its challenge. */
#ifndef LK_PASSKEYS_H
#define LK_PASSKEYS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/accounts.h"
#include "core/webauthn/webauthn.h"

/* The number of passkeys of user_id in *n. LK_OK or LK_E_STORAGE. */
int lk_passkey_count(struct lk_app *app, const char *user_id, int64_t *n);

/* Deletes every passkey of user_id and the account's outstanding challenges, recording
 * nothing (pre-hijack defence, account recovery). Two statements: call inside a
 * transaction for atomicity. LK_OK or LK_E_STORAGE. */
int lk_passkey_remove_all(struct lk_app *app, const char *user_id);

/* Checks and trims a passkey name (API-NOTES 97): leading and trailing white space
 * removed, then 1..LK_MAX_PASSKEY_NAME_CP code points of valid UTF-8 without control
 * characters. Writes the trimmed name to out (cap >= 4 * LK_MAX_PASSKEY_NAME_CP + 1).
 * LK_OK or LK_E_INVAL. */
int lk_passkey_name_check(const char *name, size_t name_len, char *out, size_t cap);

/* POST /auth/passkey/register/options for the full (sudo) session s: the creation options
 * as JSON in *out (caller decrefs); makes the account's user handle on first use and a
 * challenge bound to s and its user. LK_OK, LK_E_NOMEM, LK_E_CRYPTO, LK_E_STORAGE. */
int lk_passkey_register_options(struct lk_app *app, const struct lk_session *s, int64_t now,
                                json_t **out);

/* POST /auth/passkey/register/verify: consumes the register challenge of s named in the
 * response, verifies it (UV not required), stores the credential with name (already
 * checked by lk_passkey_name_check; NULL: the AAGUID's name when known, else "Passkey"),
 * records passkey.added and emails the account. *passkey receives the passkey object.
 * LK_OK; LK_E_VERIFY with err filled (any verification failure, the challenge included);
 * LK_E_EXISTS (the credential id is registered to some account); LK_E_NOMEM,
 * LK_E_CRYPTO, LK_E_STORAGE. */
int lk_passkey_register_verify(struct lk_app *app, const struct lk_session *s,
                               const json_t *response, const char *name, const struct lk_client *cl,
                               int64_t now, json_t **passkey, struct lk_wa_error *err);

/* POST /auth/passkey/options: counts the request against the address (--rate-passkey-ip)
 * and answers the request options (userVerification "required") in *out. email NULL: no
 * allowCredentials, challenge bound to no account; else (a raw client string) that
 * account's passkeys with the challenge bound to it, or for an unknown email or an
 * account without passkeys a stable fake list (HMAC of the normalised email under the
 * LK_KEY_FAKE_PASSKEYS subkey) and no binding. LK_OK; LK_E_LOCKED (*retry_after
 * seconds); LK_E_MALFORMED (the email is not valid: 400 invalid_field); LK_E_NOMEM,
 * LK_E_CRYPTO, LK_E_STORAGE. */
int lk_passkey_login_options(struct lk_app *app, const char *email, const struct lk_client *cl,
                             int64_t now, json_t **out, int64_t *retry_after);

/* POST /auth/passkey/verify: a passwordless sign-in. Refuses past --rate-passkey-ip
 * failed verifications of the address; consumes the login challenge; finds the
 * credential; requires UV, the owner's userHandle (present for a discoverable login),
 * the counter rule (a regression records passkey.counter_regression) and BE/BS
 * consistency; then updates the counter, BS and last use, creates a full session (amr
 * passkey_uv) into out and records login.success. LK_OK; LK_E_VERIFY with err filled
 * (counted against the address; login.failure recorded when the credential is known);
 * LK_E_STATE (a disabled account: 401 invalid_credentials); LK_E_LOCKED
 * (out->retry_after); LK_E_NOMEM, LK_E_STORAGE. */
int lk_passkey_login_verify(struct lk_app *app, const json_t *response, const struct lk_client *cl,
                            int64_t now, struct lk_signin *out, struct lk_wa_error *err);

/* The two ceremonies that prove a passkey of an identified user. */
enum lk_passkey_step {
	LK_PASSKEY_2FA,    /* /login/2fa on a pending session */
	LK_PASSKEY_REAUTH, /* /me/reauth on a full session */
};

/* POST /login/2fa/passkey/options and /me/reauth/passkey/options: request options
 * (userVerification "preferred", allowCredentials the user's passkeys, [] when none) with
 * a challenge bound to s and its user, in *out. LK_OK, LK_E_NOMEM, LK_E_CRYPTO,
 * LK_E_STORAGE. */
int lk_passkey_step_options(struct lk_app *app, enum lk_passkey_step step,
                            const struct lk_session *s, int64_t now, json_t **out);

/* Verifies the passkeyResponse (an object) of /login/2fa (step LK_PASSKEY_2FA, s pending)
 * or /me/reauth (LK_PASSKEY_REAUTH, s full): consumes the challenge that step's options
 * issued to s (refused or not), requires a credential of s's user, UP (UV optional), the
 * counter rule (a regression records passkey.counter_regression) and BE/BS consistency,
 * then updates the counter, BS and last use. On LK_OK *amr is "passkey_uv" when UV was
 * set, else "passkey" (for lk_session_promote / lk_session_reauth). Counts nothing and
 * records no 2fa/reauth event: the caller does. LK_OK; LK_E_VERIFY with err->check and
 * err->message naming the failed check; LK_E_NOMEM, LK_E_STORAGE (err->check ""). */
int lk_passkey_verify_step(struct lk_app *app, enum lk_passkey_step step,
                           const struct lk_session *s, const json_t *response,
                           const struct lk_client *cl, int64_t now, const char **amr,
                           struct lk_wa_error *err);

/* GET /me/passkeys: {"passkeys":[...]} oldest first, never key material. LK_OK,
 * LK_E_NOMEM, LK_E_STORAGE. */
int lk_passkey_list(struct lk_app *app, const char *user_id, json_t **out);

/* LK_OK when id (the base64url credential id) is one of user_id's passkeys, else
 * LK_E_NOTFOUND (or LK_E_STORAGE, LK_E_NOMEM). */
int lk_passkey_exists(struct lk_app *app, const char *user_id, const char *id);

/* PATCH /me/passkeys/{id}: renames the user's passkey id to name (checked by
 * lk_passkey_name_check), records passkey.renamed; *passkey receives the object. LK_OK,
 * LK_E_NOTFOUND, LK_E_NOMEM, LK_E_STORAGE. */
int lk_passkey_rename(struct lk_app *app, const char *user_id, const char *id, const char *name,
                      const struct lk_client *cl, int64_t now, json_t **passkey);

/* DELETE /me/passkeys/{id}: deletes the user's passkey id unless the account has no
 * password and it is the only one; records passkey.removed and emails the account. LK_OK,
 * LK_E_NOTFOUND, LK_E_STATE (409 last_method), LK_E_STORAGE. */
int lk_passkey_delete(struct lk_app *app, const char *user_id, const char *id,
                      const struct lk_client *cl, int64_t now);

#endif
