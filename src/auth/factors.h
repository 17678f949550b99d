/* factors.h: what an account has besides its password (TOTP, recovery codes, passkeys),
 * and re-authentication with those factors. The TOTP and passkey modules extend this. */
#ifndef LK_FACTORS_H
#define LK_FACTORS_H

#include <jansson.h>
#include <stdint.h>

#include "auth/accounts.h"

struct lk_factors {
	int totp_enabled;
	int64_t recovery_codes; /* unused codes */
	int64_t passkeys;
};

int lk_factors_get(struct lk_app *app, const char *user_id, struct lk_factors *out);
/* /me/reauth with "code" or "passkeyResponse" (field names the one given). LK_BAD_EMAIL
 * stands for a value of the wrong type (400 invalid_field). */
enum lk_outcome lk_factors_reauth(struct lk_app *app, struct lk_session *s, const char *field,
                                  json_t *value, const struct lk_client *cl, int64_t now,
                                  int64_t *retry_after);

#endif
