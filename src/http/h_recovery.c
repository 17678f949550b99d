/* h_recovery.c: handlers of account recovery (/auth/recovery*) and lockdown
 * (/auth/lockdown). No session is needed: the tokens in the links are the authority. */
#include <string.h>

#include "auth/account_recovery.h"
#include "auth/jsonutil.h"
#include "auth/lockdown.h"
#include "http/handlers.h"

static void
answer(struct lk_resp *r, enum lk_recovery_result res, const struct lk_recovery_out *o)
{
	switch (res) {
	case LK_RECOVERY_BAD_EMAIL:
		lk_resp_error_field(r, 400, "invalid_field", "email");
		break;
	case LK_RECOVERY_LIMITED:
		lk_resp_rate_limited(r, o && o->retry_after > 0 ? o->retry_after : 1);
		break;
	case LK_RECOVERY_BAD_TOKEN:
		lk_resp_error(r, 400, "invalid_or_expired_token",
		              "the link is invalid or has expired");
		break;
	case LK_RECOVERY_TOO_EARLY: {
		json_t *j = json_pack("{s:s, s:s, s:o}", "error", "recovery_pending", "message",
		                      "the waiting period has not ended yet", "completesAt",
		                      lk_json_time(o->completes_at));
		lk_resp_json(r, 409, j);
		break;
	}
	case LK_RECOVERY_WEAK:
		lk_resp_error(r, 400, "weak_password",
		              o && o->weak_reason ? o->weak_reason : "choose a stronger password");
		break;
	case LK_RECOVERY_DISABLED:
		lk_resp_error(r, 401, "invalid_credentials", "wrong email or password");
		break;
	default:
		lk_resp_internal(r);
		break;
	}
}

void
h_recovery_request(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_recovery_out o;
	enum lk_recovery_result res;
	const char *email;

	if (lk_req_string(q, r, "email", &email)) {
		return;
	}
	res = lk_recovery_request(q->app, email, &cl, q->now, &o);
	if (res != LK_RECOVERY_OK) {
		answer(r, res, &o);
		return;
	}
	lk_resp_json(r, 202, json_pack("{s:s}", "status", "sent"));
}

void
h_recovery_start(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_recovery_out o;
	enum lk_recovery_result res;
	const char *token;

	if (lk_req_string(q, r, "token", &token)) {
		return;
	}
	res = lk_recovery_start(q->app, token, &cl, q->now, &o);
	if (res != LK_RECOVERY_OK) {
		answer(r, res, &o);
		return;
	}
	lk_resp_json(r, 200,
	             json_pack("{s:s, s:o}", "status", "pending", "completesAt",
	                       lk_json_time(o.completes_at)));
}

void
h_recovery_cancel(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	enum lk_recovery_result res;
	const char *token;

	if (lk_req_string(q, r, "token", &token)) {
		return;
	}
	res = lk_recovery_cancel(q->app, token, &cl, q->now);
	if (res != LK_RECOVERY_OK) {
		answer(r, res, NULL);
		return;
	}
	lk_resp_json(r, 200, json_pack("{s:s}", "status", "cancelled"));
}

void
h_recovery_complete(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_recovery_out o;
	enum lk_recovery_result res;
	const char *token, *password;

	if (lk_req_string(q, r, "token", &token) || lk_req_string(q, r, "newPassword", &password)) {
		return;
	}
	res = lk_recovery_complete(q->app, token, password, &cl, q->now, &o);
	if (res != LK_RECOVERY_OK) {
		answer(r, res, &o);
		return;
	}
	lk_resp_json(r, 200,
	             json_pack("{s:s, s:o}", "status", "authenticated", "user",
	                       lk_user_json(&o.signin.user)));
	lk_resp_set_cookie(r, q->app, o.signin.token, o.signin.session.expires_at - q->now);
}

void
h_lockdown(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	enum lk_outcome o;
	const char *token;

	if (lk_req_string(q, r, "token", &token)) {
		return;
	}
	o = lk_lockdown_apply(q->app, token, &cl, q->now);
	if (o == LK_BAD_TOKEN) {
		lk_resp_error(r, 400, "invalid_or_expired_token",
		              "the link is invalid or has expired");
		return;
	}
	if (o != LK_DONE) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(r, 200, json_pack("{s:s}", "status", "locked"));
}
