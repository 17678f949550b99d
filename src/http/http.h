/* http.h: the request and response of the HTTP edge. Handlers (h_*.c) read a parsed
 * request and fill a response; server.c owns the sockets and router.c the checks that
 * come before a handler (API-NOTES 7). Nothing here runs SQL. */
#ifndef LK_HTTP_H
#define LK_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/app.h"
#include "auth/sessions.h"

struct MHD_Connection;

struct lk_req {
	struct lk_app *app;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;  /* without the query */
	const char *param; /* the {id} segment of the matched route, or NULL */
	char *body;
	size_t body_len;
	json_t *json; /* the body as an object ({} when empty); owned */
	char ip[64];
	char user_agent[512];
	char token[64];            /* session cookie value, "" when none */
	struct lk_session session; /* valid when has_session */
	int has_session;
	int64_t now;         /* unix ms, fixed for the request */
	const char *route;   /* the route's pattern, for metrics */
	const void *matched; /* the route table entry found before the body was read */
	int ignore_body;     /* forward auth: a body is read and dropped, never checked */
};

#define LK_MAX_EXTRA_HEADERS 6

struct lk_resp {
	int status;
	char *body; /* owned */
	size_t body_len;
	const char *content_type;
	int is_page;   /* HTML page: the page CSP instead of the JSON one */
	int cacheable; /* static assets only */
	char *headers[LK_MAX_EXTRA_HEADERS][2]; /* owned name, value */
	int n_headers;
};

/* Response builders. json is stolen. */
void lk_resp_json(struct lk_resp *r, int status, json_t *json);
void lk_resp_error(struct lk_resp *r, int status, const char *code, const char *message);
void lk_resp_error_field(struct lk_resp *r, int status, const char *code, const char *field);
void lk_resp_empty(struct lk_resp *r, int status);
void lk_resp_header(struct lk_resp *r, const char *name, const char *value);
void lk_resp_set_cookie(struct lk_resp *r, const struct lk_app *app, const char *token,
                        int64_t max_age_ms);
void lk_resp_clear_cookie(struct lk_resp *r, const struct lk_app *app);
void lk_resp_rate_limited(struct lk_resp *r, int64_t retry_after_s);
void lk_resp_internal(struct lk_resp *r);
void lk_resp_free(struct lk_resp *r);

/* Field readers: answer 400 missing_field / invalid_field into r and return -1 when the
 * field is absent (or null) / of the wrong type. */
int lk_req_string(struct lk_req *q, struct lk_resp *r, const char *name, const char **out);
/* Like lk_req_string but absence is fine: *out is NULL. */
int lk_req_opt_string(struct lk_req *q, struct lk_resp *r, const char *name, const char **out);

/* The user object of signup, login and friends. */
json_t *lk_user_json(const struct lk_user *u);

/* Router entry, called by server.c with the body read. */
void lk_route(struct lk_req *q, struct lk_resp *r);
/* The pre-body checks (404, csrf, 405, 415, 413 by Content-Length); returns 0 to read
 * the body, or non-zero with r filled. */
int lk_route_precheck(struct lk_req *q, const char *content_type, const char *origin,
                      const char *fetch_site, int64_t content_length, struct lk_resp *r);

#endif
