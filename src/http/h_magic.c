/* h_magic.c: handlers of magic-link sign-in (API.md "Magic links"): the request, and the
 * use of a link by token or by email and code. The confirm page (GET) is h_page's. */
#include <stdio.h>
#include <string.h>

#include "auth/magic_link.h"
#include "core/email.h"
#include "http/handlers.h"

void
h_magic_link(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	char norm[LK_MAX_EMAIL + 1];
	const char *email, *redirect;
	enum lk_outcome o;
	int64_t retry = 0;

	/* Fields in order: email (present, a string, well-formed), then redirect (a string if
	 * present; an unsafe string is ignored, not refused: API-NOTES 85). */
	if (lk_req_string(q, r, "email", &email)) {
		return;
	}
	if (lk_email_normalize(email, strlen(email), norm, NULL) != LK_OK) {
		lk_resp_error_field(r, 400, "invalid_field", "email");
		return;
	}
	if (lk_req_opt_string(q, r, "redirect", &redirect)) {
		return;
	}
	o = lk_magic_link_request(q->app, email, redirect, &cl, q->now, &retry);
	switch (o) {
	case LK_DONE:
		lk_resp_json(r, 202, json_pack("{s:s}", "status", "sent"));
		break;
	case LK_BAD_EMAIL:
		lk_resp_error_field(r, 400, "invalid_field", "email");
		break;
	case LK_LIMITED:
		lk_resp_rate_limited(r, retry);
		break;
	default:
		lk_resp_internal(r);
		break;
	}
}

static json_t *
methods_json(const char *list)
{
	json_t *a = json_array();

	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, n));
		p += n + (e ? 1 : 0);
	}
	return a;
}

static int
present(struct lk_req *q, const char *name)
{
	json_t *v = json_object_get(q->json, name);

	return v && !json_is_null(v);
}

void
h_magic_link_verify(struct lk_req *q, struct lk_resp *r)
{
	struct lk_client cl = {q->ip, q->user_agent};
	struct lk_magic_result res;
	const char *token, *email, *code, *redirect;
	char code_buf[32];
	enum lk_outcome o;
	json_t *body;

	/* {"token"}, or {"email","code"}; the token wins when both are sent, and the identity
	 * comes from the link it names, never from an email beside it (P-077). */
	if (present(q, "token") || (!present(q, "email") && !present(q, "code"))) {
		if (lk_req_string(q, r, "token", &token) ||
		    lk_req_opt_string(q, r, "redirect", &redirect)) {
			return;
		}
		o = lk_magic_link_verify_token(q->app, token, redirect, &cl, q->now, &res);
	} else {
		json_t *c = json_object_get(q->json, "code");
		if (lk_req_string(q, r, "email", &email)) {
			return;
		}
		if (json_is_integer(c) && json_integer_value(c) >= 0) {
			/* A JSON number loses leading zeros: pad it back to 8 digits. */
			snprintf(code_buf, sizeof(code_buf), "%0*lld", LK_MAGIC_CODE_DIGITS,
			         (long long)json_integer_value(c));
			code = code_buf;
		} else if (lk_req_string(q, r, "code", &code)) {
			return;
		}
		if (lk_req_opt_string(q, r, "redirect", &redirect)) {
			return;
		}
		o = lk_magic_link_verify_code(q->app, email, code, redirect, &cl, q->now, &res);
	}
	switch (o) {
	case LK_DONE:
		body = json_pack("{s:s, s:o}", "status", "authenticated", "user",
		                 lk_user_json(&res.si.user));
		break;
	case LK_NEED_2FA:
		body = json_pack("{s:s, s:o}", "status", "2fa_required", "methods",
		                 methods_json(res.si.methods));
		break;
	case LK_BAD_TOKEN:
		lk_resp_error(r, 400, "invalid_or_expired_token",
		              "the link is invalid or has expired");
		return;
	case LK_BAD_CREDENTIALS:
		lk_resp_error(r, 401, "invalid_credentials", "this link cannot sign you in");
		return;
	default:
		lk_resp_internal(r);
		return;
	}
	/* API-NOTES 87: the safe redirect, exactly as sent, in both answers. */
	if (res.redirect[0]) {
		json_object_set_new(body, "redirect", json_string(res.redirect));
	}
	/* The new cookie replaces a pending session this client held: end that one. */
	if (q->has_session && !q->session.full) {
		lk_session_delete(q->app, q->session.id);
	}
	lk_resp_json(r, 200, body);
	lk_resp_set_cookie(r, q->app, res.si.token, res.si.session.expires_at - q->now);
}
