/* factors.c: the account's second factors as /me reports them, and re-authentication
 * with them. Until TOTP and passkeys land an account has neither, so a code or a passkey
 * cannot prove anything (API-NOTES 50). */
#include <stdio.h>
#include <string.h>

#include "auth/events.h"
#include "auth/factors.h"
#include "auth/ratelimit.h"
#include "core/rc.h"

int
lk_factors_get(struct lk_app *app, const char *user_id, struct lk_factors *out)
{
	(void)app;
	(void)user_id;
	memset(out, 0, sizeof(*out));
	return LK_OK;
}

enum lk_outcome
lk_factors_reauth(struct lk_app *app, struct lk_session *s, const char *field, json_t *value,
                  const struct lk_client *cl, int64_t now, int64_t *retry_after)
{
	char bucket[64];

	if (strcmp(field, "code") == 0 && !json_is_string(value) &&
	    !(json_is_integer(value) && json_integer_value(value) >= 0)) {
		return LK_BAD_EMAIL;
	}
	if (strcmp(field, "passkeyResponse") == 0 && !json_is_object(value)) {
		return LK_BAD_EMAIL;
	}
	snprintf(bucket, sizeof(bucket), "reauth:%s", s->user_id);
	if (lk_rate_check(app, bucket, app->cfg.rate_2fa_account, 15LL * 60 * 1000, now,
	                  retry_after) == LK_E_LOCKED) {
		return LK_LIMITED;
	}
	lk_rate_hit(app, bucket, now);
	lk_event_add(app, s->user_id, "reauth.failure", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "method", strcmp(field, "code") == 0 ? "totp" : "passkey"));
	return LK_BAD_CREDENTIALS;
}
