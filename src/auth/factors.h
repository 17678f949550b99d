/* factors.h: what an account has besides its password (TOTP, recovery codes, passkeys),
 * and re-authentication with those factors. The TOTP and passkey modules extend this. */
#ifndef LK_FACTORS_H
#define LK_FACTORS_H

#include <jansson.h>
#include <stdint.h>

#include "auth/accounts.h"
#include "core/webauthn/webauthn.h"

struct lk_factors {
	int totp_enabled;
	int64_t recovery_codes; /* unused codes */
	int64_t passkeys;
};

/* What /me and /me/auth-methods report: TOTP enabled, unused recovery codes (0 without
 * TOTP), passkeys. LK_OK or LK_E_STORAGE. */
int lk_factors_get(struct lk_app *app, const char *user_id, struct lk_factors *out);
/* The number of passkeys of the user into *n. LK_OK or LK_E_STORAGE. The passkey module
 * fills this in; until then an account has none. */
int lk_factors_passkey_count(struct lk_app *app, const char *user_id, int64_t *n);
/* HOOK for the passkey module: the passkeyResponse (an object) of POST /login/2fa for the
 * pending session s (API-NOTES 40, 100). LK_OK when one of s->user_id's passkeys answered
 * the session's second-factor challenge: amr receives "passkey" (or "passkey_uv").
 * Otherwise LK_E_VERIFY with check (a WebAuthn check name, may be "") and message
 * ("<check>: <detail>") filled, or LK_E_STORAGE. Until passkeys land every answer fails
 * with "passkey: not available". */
int lk_factors_passkey_2fa(struct lk_app *app, const struct lk_session *s, const json_t *response,
                           int64_t now, char amr[16], char check[32], char message[160]);
/* /me/reauth with "code" or "passkeyResponse" (field names the one given). LK_BAD_EMAIL
 * stands for a value of the wrong type (400 invalid_field). On LK_BAD_CREDENTIALS for a
 * passkey, why->check names the failed WebAuthn check and why->message is "<check>:
 * <detail>"; otherwise why->check is "". */
enum lk_outcome lk_factors_reauth(struct lk_app *app, struct lk_session *s, const char *field,
                                  json_t *value, const struct lk_client *cl, int64_t now,
                                  int64_t *retry_after, struct lk_wa_error *why);

#endif
