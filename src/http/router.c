/* router.c: the declarative route table and the checks every request passes before its
 * handler, in the contract's order (API-NOTES 7): path, cross-site, method, media type,
 * size, JSON, session, sudo. Whatever the table does not list is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/limits.h"
#include "core/rc.h"
#include "http/body.h"
#include "http/handlers.h"
#include "http/server.h"

enum {
	A_FULL = 1 << 0,
	A_SUDO = 1 << 1,
	A_PENDING = 1 << 2,
	F_NOCSRF = 1 << 3,
	F_ANY = 1 << 4,
	F_PAGE = 1 << 5,
};

struct route {
	const char *method;
	const char *path;
	void (*handler)(struct lk_req *, struct lk_resp *);
	int flags;
};

static const struct route routes[] = {
#define ROUTE(m, p, h, f) {m, p, h, f},
#include "http/routes.def"
#undef ROUTE
};
#define N_ROUTES ((int)(sizeof(routes) / sizeof(routes[0])))

int lk_route_patterns(const char **out, int cap);

int
lk_route_patterns(const char **out, int cap)
{
	int n = 0;

	for (int i = 0; i < N_ROUTES && n < cap; i++) {
		int seen = 0;
		for (int j = 0; j < n; j++) {
			seen |= strcmp(out[j], routes[i].path) == 0;
		}
		if (!seen) {
			out[n++] = routes[i].path;
		}
	}
	return n;
}

/* 1 when path matches pattern; *param points at the {id} segment. */
static int
path_match(const char *pattern, const char *path, const char **param)
{
	const char *brace = strchr(pattern, '{'); /* the only brace a pattern has is {id} */
	size_t pre;

	*param = NULL;
	if (!brace) {
		return strcmp(pattern, path) == 0;
	}
	pre = (size_t)(brace - pattern);
	if (strncmp(pattern, path, pre) != 0 || path[pre] == '\0' || strchr(path + pre, '/')) {
		return 0;
	}
	*param = path + pre;
	return 1;
}

static int
state_changing(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0 ||
	       strcmp(m, "DELETE") == 0;
}

static int
method_match(const struct route *rt, const char *m)
{
	if (rt->flags & F_ANY) {
		return 1;
	}
	return strcmp(rt->method, m) == 0 ||
	       (strcmp(m, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
}

int
lk_route_media_ok(const char *ct)
{
	size_t n = strlen("application/json");

	if (!ct) {
		return 0;
	}
	while (*ct == ' ' || *ct == '\t') {
		ct++;
	}
	if (strncasecmp(ct, "application/json", n) != 0) {
		return 0;
	}
	ct += n;
	while (*ct == ' ' || *ct == '\t') {
		ct++;
	}
	return *ct == '\0' || *ct == ';';
}

static void
method_not_allowed(const char *path, struct lk_resp *r)
{
	char allow[128] = "";
	const char *param;

	for (int i = 0; i < N_ROUTES; i++) {
		if (!path_match(routes[i].path, path, &param)) {
			continue;
		}
		size_t n = strlen(allow);
		snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "", routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0) {
			n = strlen(allow);
			snprintf(allow + n, sizeof(allow) - n, ", HEAD");
		}
	}
	lk_resp_error(r, 405, "method_not_allowed", "method not allowed on this path");
	lk_resp_header(r, "Allow", allow);
}

static const struct route *
find(const char *method, const char *path, const char **param, int *path_known)
{
	*path_known = 0;
	for (int i = 0; i < N_ROUTES; i++) {
		if (path_match(routes[i].path, path, param)) {
			*path_known = 1;
			if (method_match(&routes[i], method)) {
				return &routes[i];
			}
		}
	}
	return NULL;
}

int
lk_route_precheck(struct lk_req *q, const char *content_type, const char *origin,
                  const char *fetch_site, int64_t content_length, struct lk_resp *r)
{
	const struct route *rt;
	int known;

	rt = find(q->method, q->path, &q->param, &known);
	if (!known) {
		lk_resp_error(r, 404, "not_found", "no such resource");
		return 1;
	}
	if (!rt || !(rt->flags & F_NOCSRF)) {
		if (state_changing(q->method) &&
		    ((origin && strcmp(origin, q->app->cfg.origin) != 0) ||
		     (fetch_site && strcasecmp(fetch_site, "cross-site") == 0))) {
			lk_resp_error(r, 403, "csrf", "cross-site request refused");
			return 1;
		}
	}
	if (!rt) {
		method_not_allowed(q->path, r);
		return 1;
	}
	q->route = rt->path;
	q->matched = rt;
	if (rt->flags & F_ANY) {
		q->ignore_body = 1; /* API-NOTES 122 */
		return 0;
	}
	if (content_length > 0 && !lk_route_media_ok(content_type)) {
		lk_resp_error(r, 415, "unsupported_media_type", "send application/json");
		return 1;
	}
	if (content_length > LK_MAX_BODY) {
		lk_resp_error(r, 413, "payload_too_large", "the body is larger than 64 KiB");
		return 1;
	}
	return 0;
}

void
lk_route(struct lk_req *q, struct lk_resp *r)
{
	const struct route *rt = q->matched;
	const char *code;
	char field[128];
	int known;

	if (!rt) {
		rt = find(q->method, q->path, &q->param, &known);
	}
	if (!rt) {
		lk_resp_error(r, 404, "not_found", "no such resource");
		return;
	}
	if (rt->flags & F_ANY) {
		q->json = json_object();
	} else if (lk_body_parse(q->body, q->body_len, &q->json, &code, field, sizeof(field)) !=
	           0) {
		if (strcmp(code, "invalid_field") == 0) {
			lk_resp_error_field(r, 400, code, field);
		} else {
			lk_resp_error(r, 400, code, "the body is not a valid JSON object");
		}
		return;
	}
	if (q->token[0] && (rt->flags & (A_FULL | A_SUDO | A_PENDING))) {
		int rc = lk_session_lookup(q->app, q->token, q->now, &q->session);
		if (rc == LK_OK) {
			q->has_session = 1;
		} else if (rc != LK_E_NOTFOUND) {
			lk_resp_internal(r);
			return;
		}
	}
	if ((rt->flags & (A_FULL | A_SUDO)) && (!q->has_session || !q->session.full)) {
		lk_resp_error(r, 401, "unauthenticated", "sign in first");
		return;
	}
	if ((rt->flags & A_SUDO) && q->now >= q->session.sudo_at + q->app->cfg.sudo_ttl) {
		lk_resp_error(r, 403, "reauthentication_required", "confirm it is you first");
		return;
	}
	rt->handler(q, r);
}
