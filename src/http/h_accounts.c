/* h_accounts.c: handlers of sign-up, sign-in, verification and sign-out. */
#include <string.h>

#include "auth/accounts.h"
#include "auth/events.h"
#include "core/email.h"
#include "http/handlers.h"

static void
answer_outcome(struct lk_resp *r, enum lk_outcome o, const struct lk_signin *si)
{
	switch (o) {
	case LK_BAD_EMAIL:
		lk_resp_error_field(r, 400, "invalid_field", "email");
		break;
	case LK_WEAK_PASSWORD:
		lk_resp_error(r, 400, "weak_password",
		              si && si->weak_reason ? si->weak_reason
		                                    : "choose a stronger password");
		break;
	case LK_TAKEN:
		lk_resp_error(r, 409, "email_taken", "an account with this email exists");
		break;
	case LK_BAD_CREDENTIALS:
		lk_resp_error(r, 401, "invalid_credentials", "wrong email or password");
		break;
	case LK_BAD_TOKEN:
		lk_resp_error(r, 400, "invalid_or_expired_token",
		              "the link is invalid or has expired");
		break;
	case LK_LIMITED:
		lk_resp_rate_limited(r, si ? si->retry_after : 1);
		break;
	default:
		lk_resp_internal(r);
		break;
	}
}

void
h_signup(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_signin si;
	const char *email, *password;
	enum lk_outcome o;
	int64_t retry;

	if (lk_account_signup_admit(q->app, &cl, q->now, &retry) == LK_LIMITED) {
		lk_resp_rate_limited(r, retry);
		return;
	}
	if (lk_req_string(q, r, "email", &email)) {
		return;
	}
	if (!json_is_string(json_object_get(q->json, "password"))) {
		/* API-NOTES 27: a bad email is named before a missing or mistyped password */
		char norm[LK_MAX_EMAIL + 1];
		size_t norm_len;
		if (lk_email_normalize(email, strlen(email), norm, &norm_len) != LK_OK) {
			lk_resp_error_field(r, 400, "invalid_field", "email");
			return;
		}
	}
	if (lk_req_string(q, r, "password", &password)) {
		return;
	}
	o = lk_account_signup(q->app, email, password, &cl, q->now, &si);
	if (o != LK_DONE) {
		answer_outcome(r, o, &si);
		return;
	}
	lk_resp_json(r, 201, json_pack("{s:o}", "user", lk_user_json(&si.user)));
	lk_resp_set_cookie(r, q->app, si.token, si.session.expires_at - q->now);
}

void
h_login(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_signin si;
	const char *email, *password;
	enum lk_outcome o;

	if (lk_req_string(q, r, "email", &email) || lk_req_string(q, r, "password", &password)) {
		return;
	}
	o = lk_account_login(q->app, email, password, &cl, q->now, &si);
	if (o == LK_NEED_2FA) {
		json_t *methods = json_array();
		for (const char *p = si.methods; *p;) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			json_array_append_new(methods, json_stringn(p, n));
			p += n + (e ? 1 : 0);
		}
		lk_resp_json(r, 200,
		             json_pack("{s:s, s:o}", "status", "2fa_required", "methods", methods));
		lk_resp_set_cookie(r, q->app, si.token, si.session.expires_at - q->now);
		return;
	}
	if (o != LK_DONE) {
		answer_outcome(r, o, &si);
		return;
	}
	lk_resp_json(
	    r, 200,
	    json_pack("{s:s, s:o}", "status", "authenticated", "user", lk_user_json(&si.user)));
	lk_resp_set_cookie(r, q->app, si.token, si.session.expires_at - q->now);
}

void
h_verify_email(struct lk_req *q, struct lk_resp *r)
{
	const char *token;
	enum lk_outcome o;

	if (lk_req_string(q, r, "token", &token)) {
		return;
	}
	o = lk_account_verify_email(
	    q->app, token, q->has_session && q->session.full ? q->session.user_id : "", q->now);
	if (o != LK_DONE) {
		answer_outcome(r, o, NULL);
		return;
	}
	lk_resp_json(r, 200, json_pack("{s:s}", "status", "verified"));
}

void
h_logout(struct lk_req *q, struct lk_resp *r)
{
	if (q->has_session) {
		/* fail closed (P-149): a 204 must mean the session is gone; on a storage failure
		 * the cookie is kept so that the client can retry */
		if (lk_session_delete(q->app, q->session.id) != LK_OK) {
			lk_resp_internal(r);
			return;
		}
		if (q->session.full) {
			lk_event_add(q->app, q->session.user_id, "session.revoked", q->ip,
			             q->user_agent, q->now, json_pack("{s:s}", "reason", "logout"));
		}
	}
	lk_resp_empty(r, 204);
	lk_resp_clear_cookie(r, q->app);
}
