/* h_passkeys.c: handlers of API.md "Passkeys" (registration, passwordless sign-in,
 * listing, renaming, deleting) and of the passkey options of /login/2fa and /me/reauth.
 * Shapes are checked here; every rule lives in auth/passkeys.c. */
#include <string.h>

#include "auth/passkeys.h"
#include "core/limits.h"
#include "core/rc.h"
#include "http/handlers.h"

#define NAME_CAP (4 * LK_MAX_PASSKEY_NAME_CP + 1)
/* A passkey id in a path is base64url of at most LK_MAX_CREDENTIAL_ID bytes. */
#define MAX_ID_CHARS 1364

/* A WebAuthn refusal: the error code, "<check>: <detail>" and check (API-NOTES 110). */
static void
wa_refusal(struct lk_resp *r, int status, const char *code, const struct lk_wa_error *e)
{
	const char *check = e->check && e->check[0] ? e->check : "clientDataJSON";

	lk_resp_json(r, status,
	             json_pack("{s:s, s:s, s:s}", "error", code, "message",
	                       e->message[0] ? e->message : "verification failed", "check", check));
}

/* The "response" member: an object, else 400 missing_field / invalid_field into r. */
static json_t *
response_member(struct lk_req *q, struct lk_resp *r)
{
	json_t *v = json_object_get(q->json, "response");

	if (v == NULL || json_is_null(v)) {
		lk_resp_error_field(r, 400, "missing_field", "response");
		return NULL;
	}
	if (!json_is_object(v)) {
		lk_resp_error_field(r, 400, "invalid_field", "response");
		return NULL;
	}
	return v;
}

static void
answer_json(struct lk_resp *r, int rc, int status, json_t *out)
{
	if (rc != LK_OK) {
		json_decref(out);
		lk_resp_internal(r);
		return;
	}
	lk_resp_json(r, status, out);
}

void
h_passkey_register_options(struct lk_req *q, struct lk_resp *r)
{
	json_t *out = NULL;
	int rc = lk_passkey_register_options(q->app, &q->session, q->now, &out);

	answer_json(r, rc, 200, out);
}

void
h_passkey_register_verify(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	char name[NAME_CAP];
	const char *raw_name = NULL;
	struct lk_wa_error err;
	json_t *response, *passkey = NULL;
	int rc;

	if ((response = response_member(q, r)) == NULL ||
	    lk_req_opt_string(q, r, "name", &raw_name)) {
		return;
	}
	if (raw_name &&
	    lk_passkey_name_check(raw_name, strlen(raw_name), name, sizeof(name)) != LK_OK) {
		lk_resp_error_field(r, 400, "invalid_field", "name");
		return;
	}
	rc = lk_passkey_register_verify(q->app, &q->session, response, raw_name ? name : NULL, &cl,
	                                q->now, &passkey, &err);
	switch (rc) {
	case LK_OK:
		lk_resp_json(r, 201, json_pack("{s:o}", "passkey", passkey));
		break;
	case LK_E_VERIFY:
		wa_refusal(r, 400, "verification_failed", &err);
		break;
	case LK_E_EXISTS:
		lk_resp_error(r, 409, "credential_exists",
		              "this passkey is already registered to an account");
		break;
	default:
		lk_resp_internal(r);
	}
}

void
h_passkey_options(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	const char *email = NULL;
	json_t *out = NULL;
	int64_t retry = 0;
	int rc;

	if (lk_req_opt_string(q, r, "email", &email)) {
		return;
	}
	rc = lk_passkey_login_options(q->app, email, &cl, q->now, &out, &retry);
	if (rc == LK_E_LOCKED) {
		lk_resp_rate_limited(r, retry);
	} else if (rc == LK_E_MALFORMED) {
		lk_resp_error_field(r, 400, "invalid_field", "email");
	} else {
		answer_json(r, rc, 200, out);
	}
}

void
h_passkey_verify(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_wa_error err;
	struct lk_signin si;
	json_t *response;
	int rc;

	if ((response = response_member(q, r)) == NULL) {
		return;
	}
	rc = lk_passkey_login_verify(q->app, response, &cl, q->now, &si, &err);
	switch (rc) {
	case LK_OK:
		lk_resp_json(r, 200,
		             json_pack("{s:s, s:o}", "status", "authenticated", "user",
		                       lk_user_json(&si.user)));
		lk_resp_set_cookie(r, q->app, si.token, si.session.expires_at - q->now);
		break;
	case LK_E_VERIFY:
		wa_refusal(r, 401, "verification_failed", &err);
		break;
	case LK_E_STATE:
		lk_resp_error(r, 401, "invalid_credentials", "wrong email or password");
		break;
	case LK_E_LOCKED:
		lk_resp_rate_limited(r, si.retry_after);
		break;
	default:
		lk_resp_internal(r);
	}
}

void
h_2fa_passkey_options(struct lk_req *q, struct lk_resp *r)
{
	json_t *out = NULL;
	int rc;

	if (!q->has_session || q->session.full) {
		lk_resp_error(r, 401, "no_pending_session", "sign in with your password first");
		return;
	}
	rc = lk_passkey_step_options(q->app, LK_PASSKEY_2FA, &q->session, q->now, &out);
	answer_json(r, rc, 200, out);
}

void
h_reauth_passkey_options(struct lk_req *q, struct lk_resp *r)
{
	json_t *out = NULL;
	int rc = lk_passkey_step_options(q->app, LK_PASSKEY_REAUTH, &q->session, q->now, &out);

	answer_json(r, rc, 200, out);
}

void
h_me_passkeys(struct lk_req *q, struct lk_resp *r)
{
	json_t *out = NULL;
	int rc = lk_passkey_list(q->app, q->session.user_id, &out);

	answer_json(r, rc, 200, out);
}

static int
known_passkey(struct lk_req *q, struct lk_resp *r)
{
	int rc = strlen(q->param) > MAX_ID_CHARS
	             ? LK_E_NOTFOUND
	             : lk_passkey_exists(q->app, q->session.user_id, q->param);

	if (rc == LK_E_NOTFOUND) {
		lk_resp_error(r, 404, "not_found", "no such passkey");
	} else if (rc != LK_OK) {
		lk_resp_internal(r);
	}
	return rc == LK_OK;
}

void
h_me_passkey_rename(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	char name[NAME_CAP];
	const char *raw;
	json_t *passkey = NULL;
	int rc;

	/* API-NOTES 97: 404 before 400 */
	if (!known_passkey(q, r) || lk_req_string(q, r, "name", &raw)) {
		return;
	}
	if (lk_passkey_name_check(raw, strlen(raw), name, sizeof(name)) != LK_OK) {
		lk_resp_error_field(r, 400, "invalid_field", "name");
		return;
	}
	rc = lk_passkey_rename(q->app, q->session.user_id, q->param, name, &cl, q->now, &passkey);
	if (rc == LK_E_NOTFOUND) {
		lk_resp_error(r, 404, "not_found", "no such passkey");
		return;
	}
	if (rc == LK_OK) {
		passkey = json_pack("{s:o}", "passkey", passkey);
	}
	answer_json(r, rc, 200, passkey);
}

void
h_me_passkey_delete(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	int rc = strlen(q->param) > MAX_ID_CHARS
	             ? LK_E_NOTFOUND
	             : lk_passkey_delete(q->app, q->session.user_id, q->param, &cl, q->now);

	switch (rc) {
	case LK_OK:
		lk_resp_empty(r, 204);
		break;
	case LK_E_NOTFOUND:
		lk_resp_error(r, 404, "not_found", "no such passkey");
		break;
	case LK_E_STATE:
		lk_resp_error(r, 409, "last_method",
		              "this passkey is the account's only way to sign in");
		break;
	default:
		lk_resp_internal(r);
	}
}
