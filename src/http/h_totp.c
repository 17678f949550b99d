/* h_totp.c: handlers of TOTP set-up, enabling and disabling, recovery codes (under /2fa) and
 * the second step of a sign-in (POST /login/2fa). They check the request's shape and the
 * contract's order of answers (API-NOTES 37-41, 77-79); auth/totp2fa.c decides. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/factors.h"
#include "auth/totp2fa.h"
#include "core/rc.h"
#include "http/handlers.h"

static const char *const second_fields[] = {"code", "recoveryCode", "passkeyResponse"};

/* The signed-in user, or 500 into r and -1. */
static int
load_user(struct lk_req *q, struct lk_resp *r, struct lk_user *u)
{
	if (lk_user_by_id(q->app, q->session.user_id, u) != LK_OK) {
		lk_resp_internal(r);
		return -1;
	}
	return 0;
}

static json_t *
codes_json(lk_recovery_set codes)
{
	json_t *a = json_array();

	for (int i = 0; i < LK_RECOVERY_CODES; i++) {
		json_array_append_new(a, json_string(codes[i]));
	}
	return a;
}

static void
answer_codes(struct lk_resp *r, lk_recovery_set codes)
{
	lk_resp_json(r, 200, json_pack("{s:o}", "recoveryCodes", codes_json(codes)));
	sodium_memzero(codes, sizeof(lk_recovery_set));
}

static void
already_enabled(struct lk_resp *r)
{
	lk_resp_error(r, 409, "totp_already_enabled", "two-step verification is already on");
}

static void
not_enabled(struct lk_resp *r)
{
	lk_resp_error(r, 409, "totp_not_enabled", "two-step verification is off");
}

void
h_totp_setup(struct lk_req *q, struct lk_resp *r)
{
	struct lk_totp_setup st;
	struct lk_user u;
	int rc;

	if (load_user(q, r, &u)) {
		return;
	}
	rc = lk_totp2fa_setup(q->app, &u, q->now, &st);
	if (rc == LK_E_EXISTS) {
		already_enabled(r);
		return;
	}
	if (rc != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(r, 200,
	             json_pack("{s:s, s:s, s:s}", "secret", st.secret, "otpauthUri", st.uri,
	                       "qrSvg", st.svg));
	lk_totp2fa_setup_clear(&st);
}

void
h_totp_qr(struct lk_req *q, struct lk_resp *r)
{
	struct lk_user u;
	size_t len = 0;
	char *svg = NULL;
	int rc;

	if (load_user(q, r, &u)) {
		return;
	}
	rc = lk_totp2fa_qr(q->app, &u, &svg, &len);
	if (rc == LK_E_NOTFOUND) {
		lk_resp_error(r, 404, "not_found", "no authenticator set-up is waiting");
		return;
	}
	if (rc != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_empty(r, 200);
	r->body = svg;
	r->body_len = len;
	r->content_type = "image/svg+xml";
}

/* The code field of /2fa/totp/enable: 400 into r and -1 when missing or mistyped. */
static int
code_field(struct lk_req *q, struct lk_resp *r, json_t **code)
{
	*code = json_object_get(q->json, "code");
	if (!*code || json_is_null(*code)) {
		lk_resp_error_field(r, 400, "missing_field", "code");
		return -1;
	}
	if (!lk_totp2fa_code_type_ok(*code)) {
		lk_resp_error_field(r, 400, "invalid_field", "code");
		return -1;
	}
	return 0;
}

void
h_totp_enable(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	lk_recovery_set codes;
	struct lk_user u;
	int enabled = 0, pending = 0, rc;
	json_t *code;

	if (load_user(q, r, &u)) {
		return;
	}
	if (lk_totp2fa_state(q->app, u.id, &enabled, &pending) != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	/* API-NOTES 78: 409 -> no_pending_setup -> the code */
	if (enabled) {
		already_enabled(r);
		return;
	}
	if (!pending) {
		lk_resp_error(r, 400, "no_pending_setup", "start the set-up first");
		return;
	}
	if (code_field(q, r, &code)) {
		return;
	}
	rc = lk_totp2fa_enable(q->app, &u, code, &cl, q->now, codes);
	if (rc == LK_OK) {
		answer_codes(r, codes);
	} else if (rc == LK_E_EXISTS) {
		already_enabled(r);
	} else if (rc == LK_E_NOTFOUND) {
		lk_resp_error(r, 400, "no_pending_setup", "start the set-up first");
	} else if (rc == LK_E_VERIFY) {
		lk_resp_error(r, 400, "invalid_code", "the code is not valid");
	} else {
		lk_resp_internal(r);
	}
}

/* The one given of "code" / "recoveryCode" for /2fa/totp/disable (API-NOTES 79), or 400
 * into r and NULL. */
static const char *
disable_field(struct lk_req *q, struct lk_resp *r)
{
	json_t *code = json_object_get(q->json, "code");
	json_t *rcode = json_object_get(q->json, "recoveryCode");
	int has_code = code && !json_is_null(code), has_rcode = rcode && !json_is_null(rcode);

	if (!has_code && !has_rcode) {
		lk_resp_error_field(r, 400, "missing_field", "code");
		return NULL;
	}
	if (has_code && has_rcode) {
		lk_resp_error_field(r, 400, "invalid_field", "recoveryCode");
		return NULL;
	}
	if (has_code && !lk_totp2fa_code_type_ok(code)) {
		lk_resp_error_field(r, 400, "invalid_field", "code");
		return NULL;
	}
	if (has_rcode && !json_is_string(rcode)) {
		lk_resp_error_field(r, 400, "invalid_field", "recoveryCode");
		return NULL;
	}
	return has_code ? "code" : "recoveryCode";
}

void
h_totp_disable(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	const char *field;
	struct lk_user u;
	int64_t retry = 0;
	int enabled = 0, rc;

	if (load_user(q, r, &u)) {
		return;
	}
	if (lk_totp2fa_state(q->app, u.id, &enabled, NULL) != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	if (!enabled) {
		not_enabled(r);
		return;
	}
	if (!(field = disable_field(q, r))) {
		return;
	}
	rc = lk_totp2fa_disable(q->app, &u, field, json_object_get(q->json, field), &cl, q->now,
	                        &retry);
	if (rc == LK_OK) {
		lk_resp_json(r, 200, json_pack("{s:s}", "status", "disabled"));
	} else if (rc == LK_E_NOTFOUND) {
		not_enabled(r);
	} else if (rc == LK_E_LOCKED) {
		lk_resp_rate_limited(r, retry);
	} else if (rc == LK_E_VERIFY) {
		lk_resp_error(r, 400, "invalid_code", "the code is not valid");
	} else {
		lk_resp_internal(r);
	}
}

void
h_recovery_codes_get(struct lk_req *q, struct lk_resp *r)
{
	struct lk_factors f;

	if (lk_factors_get(q->app, q->session.user_id, &f) != LK_OK) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(r, 200, json_pack("{s:I}", "remaining", (json_int_t)f.recovery_codes));
}

void
h_recovery_codes_new(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	lk_recovery_set codes;
	struct lk_user u;
	int rc;

	if (load_user(q, r, &u)) {
		return;
	}
	rc = lk_totp2fa_regenerate_codes(q->app, &u, &cl, q->now, codes);
	if (rc == LK_OK) {
		answer_codes(r, codes);
	} else if (rc == LK_E_NOTFOUND) {
		not_enabled(r);
	} else {
		lk_resp_internal(r);
	}
}

/* The one factor of a /login/2fa body (API-NOTES 37, 38, 40), or 400 into r and NULL. */
static const char *
second_factor_field(struct lk_req *q, struct lk_resp *r)
{
	const char *given = NULL;
	json_t *v;

	for (size_t i = 0; i < sizeof(second_fields) / sizeof(second_fields[0]); i++) {
		v = json_object_get(q->json, second_fields[i]);
		if (!v || json_is_null(v)) {
			continue;
		}
		if (given) {
			lk_resp_error_field(r, 400, "invalid_field", second_fields[i]);
			return NULL;
		}
		given = second_fields[i];
	}
	if (!given) {
		lk_resp_error(r, 400, "missing_factor",
		              "send one of code, recoveryCode or passkeyResponse");
		return NULL;
	}
	v = json_object_get(q->json, given);
	if ((strcmp(given, "code") == 0 && !lk_totp2fa_code_type_ok(v)) ||
	    (strcmp(given, "recoveryCode") == 0 && !json_is_string(v)) ||
	    (strcmp(given, "passkeyResponse") == 0 && !json_is_object(v))) {
		lk_resp_error_field(r, 400, "invalid_field", given);
		return NULL;
	}
	return given;
}

static void
answer_2fa_failure(struct lk_req *q, struct lk_resp *r, const struct lk_2fa_result *res)
{
	json_t *body = json_pack("{s:s, s:s}", "error", "invalid_code", "message",
	                         res->message[0] ? res->message : "the code is not valid");

	if (res->check[0]) {
		json_object_set_new(body, "check", json_string(res->check));
	}
	lk_resp_json(r, 401, body);
	if (res->session_destroyed) {
		lk_resp_clear_cookie(r, q->app);
	}
}

void
h_login_2fa(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_2fa_result res;
	const char *field;
	enum lk_outcome o;
	json_t *body;

	if (!q->has_session || q->session.full) {
		lk_resp_error(r, 401, "no_pending_session", "sign in with your password first");
		return;
	}
	if (!(field = second_factor_field(q, r))) {
		return;
	}
	o = lk_totp2fa_login(q->app, &q->session, field, json_object_get(q->json, field), &cl,
	                     q->now, &res);
	if (o == LK_LIMITED) {
		lk_resp_rate_limited(r, res.retry_after);
	} else if (o == LK_BAD_CREDENTIALS) {
		answer_2fa_failure(q, r, &res);
	} else if (o != LK_DONE) {
		lk_resp_internal(r);
	} else {
		body = json_pack("{s:s, s:o}", "status", "authenticated", "user",
		                 lk_user_json(&res.user));
		if (res.recovery_remaining >= 0) {
			json_object_set_new(body, "recoveryCodesRemaining",
			                    json_integer(res.recovery_remaining));
		}
		lk_resp_json(r, 200, body);
		lk_resp_set_cookie(r, q->app, res.token, res.expires_at - q->now);
	}
	sodium_memzero(res.token, sizeof(res.token));
}
