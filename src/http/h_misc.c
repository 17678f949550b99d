/* h_misc.c: forward auth, health, metrics, pages and static assets. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rc.h"
#include "embedded.h"
#include "http/handlers.h"
#include "store/store.h"

void
h_auth_check(struct lk_req *q, struct lk_resp *r)
{
	const char *aal = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "aal");
	int want = 1, have;
	char buf[16];

	if (aal) {
		if (strcmp(aal, "1") == 0 || strcmp(aal, "2") == 0) {
			want = aal[0] - '0';
		} else {
			lk_resp_error_field(r, 400, "invalid_field", "aal");
			return;
		}
	}
	if (!q->has_session || !q->session.full) {
		lk_resp_error(r, 401, "unauthenticated", "sign in first");
		return;
	}
	have = lk_amr_aal(q->session.amr);
	if (have < want) {
		lk_resp_error(r, 403, "insufficient_aal", "a second factor is required");
		return;
	}
	snprintf(buf, sizeof(buf), "%d", have);
	lk_resp_empty(r, 204);
	lk_resp_header(r, "X-Latchkey-User-Id", q->session.user_id);
	lk_resp_header(r, "X-Latchkey-Email", q->session.email);
	lk_resp_header(r, "X-Latchkey-AAL", buf);
}

void
h_healthz(struct lk_req *q, struct lk_resp *r)
{
	if (q->app->store->ops->ping(q->app->store) != LK_OK) {
		lk_resp_json(r, 503, json_pack("{s:s}", "status", "unavailable"));
		return;
	}
	lk_resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void
h_metrics(struct lk_req *q, struct lk_resp *r)
{
	char *text = lk_metrics_render(&q->app->metrics);

	if (!text) {
		lk_resp_internal(r);
		return;
	}
	lk_resp_empty(r, 200);
	r->body = text;
	r->body_len = strlen(text);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void
serve_file(struct lk_resp *r, const char *file, const char *ctype, int page)
{
	const struct lk_embedded *e = lk_embedded_find(file);

	if (!e) {
		lk_resp_error(r, 404, "not_found", "no such resource");
		return;
	}
	lk_resp_empty(r, 200);
	r->body = malloc(e->len + 1);
	if (!r->body) {
		lk_resp_internal(r);
		return;
	}
	memcpy(r->body, e->data, e->len);
	r->body_len = e->len;
	r->content_type = ctype;
	r->is_page = page;
	r->cacheable = !page;
}

static const struct {
	const char *path, *file;
} pages[] = {
    {"/login", "web/login.html"},
    {"/signup", "web/signup.html"},
    {"/login/2fa", "web/login-2fa.html"},
    {"/settings", "web/settings.html"},
    {"/recovery", "web/recovery.html"},
    {"/recovery/cancel", "web/recovery-cancel.html"},
    {"/auth/verify-email", "web/verify-email.html"},
    {"/auth/magic-link/verify", "web/magic-link.html"},
    {"/auth/lockdown", "web/lockdown.html"},
};

void
h_page(struct lk_req *q, struct lk_resp *r)
{
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		if (strcmp(q->path, pages[i].path) == 0) {
			serve_file(r, pages[i].file, "text/html; charset=utf-8", 1);
			return;
		}
	}
	lk_resp_error(r, 404, "not_found", "no such resource");
}

void
h_root(struct lk_req *q, struct lk_resp *r)
{
	(void)q;
	lk_resp_empty(r, 302);
	lk_resp_header(r, "Location", "/login");
}

void
h_asset(struct lk_req *q, struct lk_resp *r)
{
	if (strcmp(q->path, "/assets/latchkey.js") == 0) {
		serve_file(r, "web/latchkey.js", "text/javascript; charset=utf-8", 0);
	} else {
		serve_file(r, "web/latchkey.css", "text/css; charset=utf-8", 0);
	}
}
