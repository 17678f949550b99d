/* response.c: building responses: JSON bodies, errors, cookies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

void
lk_resp_json(struct lk_resp *r, int status, json_t *json)
{
	free(r->body);
	r->status = status;
	r->body = json_dumps(json, JSON_COMPACT);
	r->body_len = r->body ? strlen(r->body) : 0;
	r->content_type = "application/json; charset=utf-8";
	json_decref(json);
	if (!r->body) {
		r->status = 500;
	}
}

void
lk_resp_error(struct lk_resp *r, int status, const char *code, const char *message)
{
	lk_resp_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

static const char *
field_message(const char *code)
{
	if (strcmp(code, "missing_field") == 0) {
		return "a required field is missing";
	}
	return "a field has an invalid value";
}

void
lk_resp_error_field(struct lk_resp *r, int status, const char *code, const char *field)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %.100s", field_message(code), field);
	lk_resp_json(r, status,
	             json_pack("{s:s, s:s, s:s}", "error", code, "message", msg, "field", field));
}

void
lk_resp_empty(struct lk_resp *r, int status)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = status;
	r->content_type = NULL;
}

void
lk_resp_header(struct lk_resp *r, const char *name, const char *value)
{
	if (r->n_headers >= LK_MAX_EXTRA_HEADERS) {
		return;
	}
	r->headers[r->n_headers][0] = strdup(name);
	r->headers[r->n_headers][1] = strdup(value);
	r->n_headers++;
}

void
lk_resp_set_cookie(struct lk_resp *r, const struct lk_app *app, const char *token,
                   int64_t max_age_ms)
{
	char c[256];

	snprintf(c, sizeof(c),
	         "latchkey_session=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s", token,
	         (long long)(max_age_ms / 1000), app->cfg.secure_cookie ? "; Secure" : "");
	lk_resp_header(r, "Set-Cookie", c);
}

void
lk_resp_clear_cookie(struct lk_resp *r, const struct lk_app *app)
{
	char c[256];

	snprintf(c, sizeof(c),
	         "latchkey_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
	         "HttpOnly; SameSite=Lax%s",
	         app->cfg.secure_cookie ? "; Secure" : "");
	lk_resp_header(r, "Set-Cookie", c);
}

void
lk_resp_rate_limited(struct lk_resp *r, int64_t retry_after_s)
{
	char s[32];

	if (retry_after_s < 1) {
		retry_after_s = 1;
	}
	snprintf(s, sizeof(s), "%lld", (long long)retry_after_s);
	lk_resp_json(r, 429,
	             json_pack("{s:s, s:s, s:I}", "error", "rate_limited", "message",
	                       "too many attempts; try again later", "retryAfter",
	                       (json_int_t)retry_after_s));
	lk_resp_header(r, "Retry-After", s);
}

void
lk_resp_internal(struct lk_resp *r)
{
	lk_resp_error(r, 500, "internal", "internal error");
}

void
lk_resp_free(struct lk_resp *r)
{
	free(r->body);
	for (int i = 0; i < r->n_headers; i++) {
		free(r->headers[i][0]);
		free(r->headers[i][1]);
	}
	memset(r, 0, sizeof(*r));
}

int
lk_req_opt_string(struct lk_req *q, struct lk_resp *r, const char *name, const char **out)
{
	json_t *v = json_object_get(q->json, name);

	*out = NULL;
	if (!v || json_is_null(v)) {
		return 0;
	}
	if (!json_is_string(v)) {
		lk_resp_error_field(r, 400, "invalid_field", name);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
lk_req_string(struct lk_req *q, struct lk_resp *r, const char *name, const char **out)
{
	if (lk_req_opt_string(q, r, name, out) != 0) {
		return -1;
	}
	if (!*out) {
		lk_resp_error_field(r, 400, "missing_field", name);
		return -1;
	}
	return 0;
}

json_t *
lk_user_json(const struct lk_user *u)
{
	return json_pack("{s:s, s:s, s:b}", "id", u->id, "email", u->email, "emailVerified",
	                 u->email_verified);
}
