/* factors.c: the account's second factors as /me reports them, and re-authentication
 * with them. TOTP codes are checked by auth/totp2fa.c (replay rule included, API-NOTES
 * 51); passkeys by auth/passkeys.c (UP required, UV not: API-NOTES 100). */
#include <stdio.h>
#include <string.h>

#include "auth/events.h"
#include "auth/factors.h"
#include "auth/passkeys.h"
#include "auth/ratelimit.h"
#include "auth/recovery_codes.h"
#include "auth/totp2fa.h"
#include "core/rc.h"

int
lk_factors_passkey_count(struct lk_app *app, const char *user_id, int64_t *n)
{
	return lk_passkey_count(app, user_id, n);
}

int
lk_factors_passkey_2fa(struct lk_app *app, const struct lk_session *s, const json_t *response,
                       int64_t now, char amr[16], char check[32], char message[160])
{
	/* the client of the pending session's sign-in (events of this step) */
	struct lk_client cl = {s->ip, s->user_agent};
	struct lk_wa_error err;
	const char *proved = NULL;
	int rc = lk_passkey_verify_step(app, LK_PASSKEY_2FA, s, response, &cl, now, &proved, &err);

	snprintf(amr, 16, "%s", rc == LK_OK ? proved : "");
	snprintf(check, 32, "%s", rc == LK_OK ? "" : err.check);
	snprintf(message, 160, "%.159s", rc == LK_OK ? "" : err.message);
	return rc;
}

int
lk_factors_get(struct lk_app *app, const char *user_id, struct lk_factors *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = lk_totp2fa_enabled(app, user_id, &out->totp_enabled)) != LK_OK) {
		return rc;
	}
	if (out->totp_enabled &&
	    (rc = lk_recovery_codes_remaining(app, user_id, &out->recovery_codes)) != LK_OK) {
		return rc;
	}
	return lk_factors_passkey_count(app, user_id, &out->passkeys);
}

/* Proves the factor: LK_OK with *amr set, LK_E_VERIFY (a passkey's check in err), or a
 * storage failure. */
static int
reauth_prove(struct lk_app *app, struct lk_session *s, const char *field, json_t *value,
             const struct lk_client *cl, int64_t now, char amr[16], struct lk_wa_error *err)
{
	const char *proved = NULL;
	int rc;

	if (strcmp(field, "code") == 0) {
		snprintf(amr, 16, "otp");
		rc = lk_totp2fa_check(app, s->user_id, value, now);
		return rc == LK_E_NOTFOUND ? LK_E_VERIFY : rc; /* API-NOTES 50 */
	}
	rc = lk_passkey_verify_step(app, LK_PASSKEY_REAUTH, s, value, cl, now, &proved, err);
	snprintf(amr, 16, "%s", rc == LK_OK ? proved : "");
	return rc;
}

enum lk_outcome
lk_factors_reauth(struct lk_app *app, struct lk_session *s, const char *field, json_t *value,
                  const struct lk_client *cl, int64_t now, int64_t *retry_after,
                  struct lk_wa_error *why)
{
	const char *method = strcmp(field, "code") == 0 ? "totp" : "passkey";
	char bucket[64], amr[16];
	json_t *detail;
	int64_t slot = 0;
	int rc;

	why->check = "";
	why->message[0] = '\0';
	if (strcmp(field, "code") == 0 && !lk_totp2fa_code_type_ok(value)) {
		return LK_BAD_EMAIL;
	}
	if (strcmp(field, "passkeyResponse") == 0 && !json_is_object(value)) {
		return LK_BAD_EMAIL;
	}
	/* API-NOTES 52, 130: one reauth budget per account, apart from /login/2fa's */
	snprintf(bucket, sizeof(bucket), "reauth:%s", s->user_id);
	/* counted up front (parallel tries cannot all pass), given back on success */
	if (lk_rate_take(app, bucket, app->cfg.rate_2fa_account, LK_RATE_15MIN_MS, now, &slot,
	                 retry_after) == LK_E_LOCKED) {
		return LK_LIMITED;
	}
	rc = reauth_prove(app, s, field, value, cl, now, amr, why);
	if (rc == LK_OK) {
		lk_rate_release(app, slot);
		if (lk_session_reauth(app, s, amr, now) != LK_OK) {
			return LK_FAILED_INTERNAL;
		}
		lk_event_add(app, s->user_id, "reauth.success", cl->ip, cl->ua, now,
		             json_pack("{s:s}", "method", method));
		return LK_DONE;
	}
	if (rc != LK_E_VERIFY) {
		return LK_FAILED_INTERNAL;
	}
	detail = json_pack("{s:s}", "method", method);
	if (strcmp(field, "passkeyResponse") == 0) {
		/* API-NOTES 50: a passkey failure names its check */
		if (why->check[0] == '\0') {
			why->check = "clientDataJSON";
			snprintf(why->message, sizeof(why->message), "clientDataJSON: malformed");
		}
		json_object_set_new(detail, "check", json_string(why->check));
	}
	lk_event_add(app, s->user_id, "reauth.failure", cl->ip, cl->ua, now, detail);
	return LK_BAD_CREDENTIALS;
}
