/* h_me.c: handlers of the signed-in account: /me and its sessions, events, password and
 * re-authentication. */
#include <string.h>

#include "auth/accounts.h"
#include "auth/events.h"
#include "auth/factors.h"
#include "auth/jsonutil.h"
#include "core/rc.h"
#include "http/handlers.h"

static json_t *
amr_json(const char *amr)
{
	json_t *a = json_array();

	for (const char *p = amr; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, n));
		p += n + (e ? 1 : 0);
	}
	return a;
}

void
h_me(struct lk_req *q, struct lk_resp *r)
{
	const struct lk_session *s = &q->session;
	struct lk_factors f;
	struct lk_user u;

	if (lk_user_by_id(q->app, s->user_id, &u) != LK_OK ||
	    lk_factors_get(q->app, u.id, &f) != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(
	    r, 200,
	    json_pack("{s:s, s:s, s:b, s:o, s:b, s:b, s:I, s:I, s:{s:s, s:o, s:i, s:o, s:o}}", "id",
	              u.id, "email", u.email, "emailVerified", u.email_verified, "createdAt",
	              lk_json_time(u.created_at), "hasPassword", u.password_hash[0] != '\0',
	              "totpEnabled", f.totp_enabled, "recoveryCodesRemaining",
	              (json_int_t)f.recovery_codes, "passkeys", (json_int_t)f.passkeys, "session",
	              "id", s->id, "amr", amr_json(s->amr), "aal", lk_amr_aal(s->amr),
	              "authenticatedAt", lk_json_time(s->authenticated_at), "sudoUntil",
	              lk_json_time(s->sudo_at + q->app->cfg.sudo_ttl)));
}

void
h_me_auth_methods(struct lk_req *q, struct lk_resp *r)
{
	struct lk_factors f;
	struct lk_user u;

	if (lk_user_by_id(q->app, q->session.user_id, &u) != LK_OK ||
	    lk_factors_get(q->app, u.id, &f) != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(r, 200,
	             json_pack("{s:b, s:b, s:I, s:I, s:b}", "password", u.password_hash[0] != '\0',
	                       "totp", f.totp_enabled, "recoveryCodes",
	                       (json_int_t)f.recovery_codes, "passkeys", (json_int_t)f.passkeys,
	                       "magicLink", u.email_verified));
}

static const char *const reauth_fields[] = {"password", "code", "passkeyResponse"};

void
h_me_reauth(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	const char *given = NULL;
	struct lk_wa_error why = {.check = ""};
	int64_t retry = 0;
	enum lk_outcome o;

	for (size_t i = 0; i < sizeof(reauth_fields) / sizeof(reauth_fields[0]); i++) {
		json_t *v = json_object_get(q->json, reauth_fields[i]);
		if (!v || json_is_null(v)) {
			continue;
		}
		if (given) {
			lk_resp_error_field(r, 400, "invalid_field", reauth_fields[i]);
			return;
		}
		given = reauth_fields[i];
	}
	if (!given) {
		lk_resp_error_field(r, 400, "missing_field", "password");
		return;
	}
	if (strcmp(given, "password") == 0) {
		const char *pw;
		if (lk_req_string(q, r, "password", &pw)) {
			return;
		}
		o = lk_account_reauth_password(q->app, &q->session, pw, &cl, q->now, &retry);
	} else {
		o = lk_factors_reauth(q->app, &q->session, given, json_object_get(q->json, given),
		                      &cl, q->now, &retry, &why);
	}
	switch (o) {
	case LK_DONE:
		lk_resp_json(r, 200,
		             json_pack("{s:o}", "sudoUntil",
		                       lk_json_time(q->session.sudo_at + q->app->cfg.sudo_ttl)));
		break;
	case LK_LIMITED:
		lk_resp_rate_limited(r, retry);
		break;
	case LK_BAD_CREDENTIALS:
		if (strcmp(given, "code") == 0) {
			lk_resp_error(r, 401, "invalid_code", "the code is not valid");
		} else if (why.check[0]) {
			/* API-NOTES 50: a passkey failure names its WebAuthn check */
			lk_resp_json(r, 401,
			             json_pack("{s:s, s:s, s:s}", "error", "invalid_credentials",
			                       "message", why.message, "check", why.check));
		} else {
			lk_resp_error(r, 401, "invalid_credentials",
			              "that did not prove it is you");
		}
		break;
	case LK_BAD_EMAIL:
		lk_resp_error_field(r, 400, "invalid_field", given);
		break;
	default:
		lk_resp_internal(r);
	}
}

void
h_me_password(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	const char *pw, *reason = NULL;
	enum lk_outcome o;

	if (lk_req_string(q, r, "newPassword", &pw)) {
		return;
	}
	o = lk_account_change_password(q->app, &q->session, pw, &cl, q->now, &reason);
	if (o == LK_WEAK_PASSWORD) {
		lk_resp_error(r, 400, "weak_password",
		              reason ? reason : "choose a stronger password");
	} else if (o != LK_DONE) {
		lk_resp_internal(r);
	} else {
		lk_resp_empty(r, 204);
	}
}

void
h_me_sessions(struct lk_req *q, struct lk_resp *r)
{
	json_t *out;

	if (lk_session_list(q->app, q->session.user_id, q->session.id, q->now, &out) != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(r, 200, out);
}

void
h_me_session_delete(struct lk_req *q, struct lk_resp *r)
{
	int current = strcmp(q->param, q->session.id) == 0;
	int rc = lk_session_delete_of_user(q->app, q->session.user_id, q->param, q->now);

	if (rc == LK_E_NOTFOUND) {
		lk_resp_error(r, 404, "not_found", "no such session");
		return;
	}
	if (rc != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_event_add(q->app, q->session.user_id, "session.revoked", q->ip, q->user_agent, q->now,
	             json_pack("{s:s, s:b}", "sessionId", q->param, "current", current));
	lk_resp_empty(r, 204);
	if (current) {
		lk_resp_clear_cookie(r, q->app);
	}
}

void
h_me_events(struct lk_req *q, struct lk_resp *r)
{
	json_t *out;

	if (lk_event_list(q->app, q->session.user_id, &out) != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(r, 200, out);
}
