/* events.c: the append-only security log of each account. */
#include <string.h>

#include "auth/events.h"
#include "auth/jsonutil.h"
#include "core/limits.h"
#include "core/rc.h"
#include "store/store.h"

int
lk_event_add(struct lk_app *app, const char *user_id, const char *type, const char *ip,
             const char *ua, int64_t now, json_t *detail)
{
	char *text;
	int rc;

	if (!detail) {
		detail = json_object();
	}
	text = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	if (!text) {
		return LK_E_NOMEM;
	}
	struct lk_val p[] = {LK_TEXT(user_id),
	                     LK_TEXT(type),
	                     LK_INT(now),
	                     ip ? LK_TEXT(ip) : LK_NULLV,
	                     ua ? LK_TEXT(ua) : LK_NULLV,
	                     LK_TEXT(text)};
	rc = lk_db_exec(app->store,
	                "INSERT INTO events (user_id, type, at, ip, user_agent, detail) "
	                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                p, 6, NULL, NULL, NULL);
	free(text);
	return rc;
}

static json_t *
text_or_null(const struct lk_val *v)
{
	return v->type == LK_V_TEXT ? json_stringn(v->p, v->len) : json_null();
}

static int
event_row(void *arg, const struct lk_val *c, int n)
{
	json_t *detail;

	if (n < 5) {
		return 1;
	}
	detail = json_loadb(c[4].p, c[4].len, 0, NULL);
	json_array_append_new(
	    arg, json_pack("{s:s%, s:o, s:o, s:o, s:o}", "type", (const char *)c[0].p, c[0].len,
	                   "at", lk_json_time(c[1].i), "ip", text_or_null(&c[2]), "userAgent",
	                   text_or_null(&c[3]), "detail", detail ? detail : json_object()));
	return 0;
}

int
lk_event_list(struct lk_app *app, const char *user_id, json_t **out)
{
	json_t *arr = json_array();
	int rc;

	struct lk_val p[] = {LK_TEXT(user_id), LK_INT(LK_MAX_EVENTS_LISTED)};
	rc = lk_db_exec(app->store,
	                "SELECT type, at, ip, user_agent, detail FROM events WHERE user_id = ?1 "
	                "ORDER BY at DESC, id DESC LIMIT ?2",
	                p, 2, event_row, arr, NULL);
	if (rc != LK_OK) {
		json_decref(arr);
		return rc;
	}
	*out = json_pack("{s:o}", "events", arr);
	return LK_OK;
}
