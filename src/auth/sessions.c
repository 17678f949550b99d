/* sessions.c: session rows and user lookups. Tokens arrive from cookies (untrusted):
 * they are only hashed and looked up, never parsed further. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/jsonutil.h"
#include "auth/sessions.h"
#include "core/rc.h"
#include "core/token.h"
#include "store/store.h"

#define SESSION_COLS                                                                               \
	"id, user_id, is_full, created_at, authenticated_at, expires_at, last_seen_at, sudo_at, "  \
	"amr, failures, ip, user_agent"

static int
session_row(void *arg, const struct lk_val *c, int n)
{
	struct lk_session *s = arg;

	if (n < 12) {
		return 1;
	}
	lk_val_text(&c[0], s->id, sizeof(s->id));
	lk_val_text(&c[1], s->user_id, sizeof(s->user_id));
	s->full = (int)c[2].i;
	s->created_at = c[3].i;
	s->authenticated_at = c[4].i;
	s->expires_at = c[5].i;
	s->last_seen_at = c[6].i;
	s->sudo_at = c[7].i;
	lk_val_text(&c[8], s->amr, sizeof(s->amr));
	s->failures = c[9].i;
	lk_val_text(&c[10], s->ip, sizeof(s->ip));
	lk_val_text(&c[11], s->user_agent, sizeof(s->user_agent));
	if (n > 12) {
		lk_val_text(&c[12], s->email, sizeof(s->email));
	}
	return 1;
}

static void
new_token(char token[LK_SESSION_TOKEN_LEN + 1], unsigned char hash[32])
{
	lk_token_new(token);
	lk_token_hash(token, LK_SESSION_TOKEN_LEN, hash);
}

int
lk_session_create(struct lk_app *app, const char *user_id, int full, const char *amr,
                  const char *ip, const char *ua, int64_t now, char token[LK_SESSION_TOKEN_LEN + 1],
                  struct lk_session *out)
{
	unsigned char hash[32];
	struct lk_session s;
	int rc;

	memset(&s, 0, sizeof(s));
	lk_token_random_b64url(16, s.id, sizeof(s.id));
	snprintf(s.user_id, sizeof(s.user_id), "%s", user_id);
	s.full = full;
	s.created_at = now;
	s.authenticated_at = now;
	s.expires_at = now + (full ? app->cfg.session_ttl : LK_PENDING_TTL_MS);
	s.last_seen_at = now;
	s.sudo_at = now;
	snprintf(s.amr, sizeof(s.amr), "%s", amr);
	snprintf(s.ip, sizeof(s.ip), "%s", ip ? ip : "");
	snprintf(s.user_agent, sizeof(s.user_agent), "%s", ua ? ua : "");
	new_token(token, hash);
	struct lk_val p[] = {LK_TEXT(s.id),  LK_BLOB(hash, 32), LK_TEXT(s.user_id),
	                     LK_INT(full),   LK_INT(now),       LK_INT(s.expires_at),
	                     LK_TEXT(s.amr), LK_TEXT(s.ip),     LK_TEXT(s.user_agent)};
	rc = lk_db_exec(app->store,
	                "INSERT INTO sessions (id, token_hash, user_id, is_full, created_at, "
	                "authenticated_at, expires_at, last_seen_at, sudo_at, amr, failures, ip, "
	                "user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?5, ?5, ?7, 0, ?8, ?9)",
	                p, 9, NULL, NULL, NULL);
	if (rc == LK_OK && out) {
		*out = s;
	}
	return rc;
}

int
lk_session_lookup(struct lk_app *app, const char *token, int64_t now, struct lk_session *out)
{
	unsigned char hash[32];
	int rc;

	if (strlen(token) != LK_SESSION_TOKEN_LEN) {
		return LK_E_NOTFOUND;
	}
	lk_token_hash(token, LK_SESSION_TOKEN_LEN, hash);
	memset(out, 0, sizeof(*out));
	struct lk_val p[] = {LK_BLOB(hash, 32)};
	/* The owner's email comes along: forward auth answers from this one query. */
	rc = lk_db_exec(app->store,
	                "SELECT s.id, s.user_id, s.is_full, s.created_at, s.authenticated_at, "
	                "s.expires_at, s.last_seen_at, s.sudo_at, s.amr, s.failures, s.ip, "
	                "s.user_agent, u.email FROM sessions s JOIN users u ON u.id = s.user_id "
	                "WHERE s.token_hash = ?1",
	                p, 1, session_row, out, NULL);
	if (rc != LK_OK) {
		return rc;
	}
	if (out->id[0] == '\0') {
		return LK_E_NOTFOUND;
	}
	if (now >= out->expires_at ||
	    (out->full && now - out->last_seen_at >= app->cfg.session_idle_ttl)) {
		lk_session_delete(app, out->id);
		return LK_E_NOTFOUND;
	}
	if (now - out->last_seen_at >= 1000) {
		struct lk_val t[] = {LK_INT(now), LK_TEXT(out->id)};
		lk_db_exec(app->store, "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2", t, 2,
		           NULL, NULL, NULL);
		out->last_seen_at = now;
	}
	return LK_OK;
}

static void
amr_append(char *amr, size_t cap, const char *add)
{
	size_t n = strlen(amr);

	if (!add || !*add || lk_amr_has(amr, add)) {
		return;
	}
	snprintf(amr + n, cap - n, "%s%s", n ? "," : "", add);
}

int
lk_session_promote(struct lk_app *app, struct lk_session *s, const char *amr_add, int64_t now,
                   char token[LK_SESSION_TOKEN_LEN + 1])
{
	unsigned char hash[32];
	int64_t changes = 0;
	int rc;

	amr_append(s->amr, sizeof(s->amr), amr_add);
	new_token(token, hash);
	s->full = 1;
	s->authenticated_at = now;
	s->expires_at = now + app->cfg.session_ttl;
	s->sudo_at = now;
	s->last_seen_at = now;
	struct lk_val p[] = {LK_BLOB(hash, 32), LK_INT(now), LK_INT(s->expires_at), LK_TEXT(s->amr),
	                     LK_TEXT(s->id)};
	rc = lk_db_exec(app->store,
	                "UPDATE sessions SET token_hash = ?1, is_full = 1, authenticated_at = ?2, "
	                "expires_at = ?3, last_seen_at = ?2, sudo_at = ?2, amr = ?4, failures = 0 "
	                "WHERE id = ?5 AND is_full = 0",
	                p, 5, NULL, NULL, &changes);
	if (rc == LK_OK && changes != 1) {
		rc = LK_E_NOTFOUND;
	}
	return rc;
}

int
lk_session_reauth(struct lk_app *app, struct lk_session *s, const char *amr_add, int64_t now)
{
	amr_append(s->amr, sizeof(s->amr), amr_add);
	s->sudo_at = now;
	struct lk_val p[] = {LK_INT(now), LK_TEXT(s->amr), LK_TEXT(s->id)};
	return lk_db_exec(app->store, "UPDATE sessions SET sudo_at = ?1, amr = ?2 WHERE id = ?3", p,
	                  3, NULL, NULL, NULL);
}

int
lk_session_count_failure(struct lk_app *app, const char *session_id, int64_t *failures)
{
	*failures = 0;
	struct lk_val p[] = {LK_TEXT(session_id)};
	int rc = lk_db_int(
	    app->store,
	    "UPDATE sessions SET failures = failures + 1 WHERE id = ?1 RETURNING failures", p, 1,
	    failures);
	return rc == LK_E_NOTFOUND ? LK_OK : rc; /* a session already gone counts nothing */
}

int
lk_session_delete(struct lk_app *app, const char *session_id)
{
	struct lk_val p[] = {LK_TEXT(session_id)};
	return lk_db_exec(app->store, "DELETE FROM sessions WHERE id = ?1", p, 1, NULL, NULL, NULL);
}

int
lk_session_revoke_user(struct lk_app *app, const char *user_id, const char *keep_id, int64_t *n)
{
	struct lk_val p[] = {LK_TEXT(user_id), LK_TEXT(keep_id ? keep_id : "")};
	return lk_db_exec(app->store, "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2", p, 2,
	                  NULL, NULL, n);
}

struct list_ctx {
	json_t *arr;
	const char *current;
};

static int
list_row(void *arg, const struct lk_val *c, int n)
{
	struct list_ctx *lc = arg;
	struct lk_session s;

	memset(&s, 0, sizeof(s));
	session_row(&s, c, n);
	json_array_append_new(lc->arr,
	                      json_pack("{s:s, s:o, s:o, s:s, s:s, s:b}", "id", s.id, "createdAt",
	                                lk_json_time(s.authenticated_at), "lastSeenAt",
	                                lk_json_time(s.last_seen_at), "ip", s.ip, "userAgent",
	                                s.user_agent, "current", strcmp(s.id, lc->current) == 0));
	return 0;
}

int
lk_session_list(struct lk_app *app, const char *user_id, const char *current_id, int64_t now,
                json_t **out)
{
	struct list_ctx lc = {json_array(), current_id};
	int rc;

	struct lk_val p[] = {LK_TEXT(user_id), LK_INT(now),
	                     LK_INT(now - app->cfg.session_idle_ttl)};
	rc = lk_db_exec(app->store,
	                "SELECT " SESSION_COLS " FROM sessions WHERE user_id = ?1 AND is_full = 1 "
	                "AND expires_at > ?2 AND last_seen_at > ?3 ORDER BY authenticated_at DESC",
	                p, 3, list_row, &lc, NULL);
	if (rc != LK_OK) {
		json_decref(lc.arr);
		return rc;
	}
	*out = json_pack("{s:o}", "sessions", lc.arr);
	return LK_OK;
}

int
lk_session_delete_of_user(struct lk_app *app, const char *user_id, const char *id, int64_t now)
{
	int64_t changes = 0;
	int rc;

	struct lk_val p[] = {LK_TEXT(id), LK_TEXT(user_id), LK_INT(now),
	                     LK_INT(now - app->cfg.session_idle_ttl)};
	rc = lk_db_exec(app->store,
	                "DELETE FROM sessions WHERE id = ?1 AND user_id = ?2 AND is_full = 1 AND "
	                "expires_at > ?3 AND last_seen_at > ?4",
	                p, 4, NULL, NULL, &changes);
	if (rc == LK_OK && changes == 0) {
		rc = LK_E_NOTFOUND;
	}
	return rc;
}

int
lk_amr_has(const char *amr, const char *method)
{
	size_t m = strlen(method);

	for (const char *p = amr; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == m && strncmp(p, method, m) == 0) {
			return 1;
		}
		p += n + (e ? 1 : 0);
	}
	return 0;
}

int
lk_amr_aal(const char *amr)
{
	int first = lk_amr_has(amr, "pwd") || lk_amr_has(amr, "email_link");
	int second = lk_amr_has(amr, "otp") || lk_amr_has(amr, "recovery_code") ||
	             lk_amr_has(amr, "passkey") || lk_amr_has(amr, "passkey_uv");

	if (lk_amr_has(amr, "passkey_uv") || (first && second)) {
		return 2;
	}
	return 1;
}

#define USER_COLS                                                                                  \
	"id, email, email_verified, COALESCE(password_hash, ''), created_at, disabled, "           \
	"locked_down"

static int
user_row(void *arg, const struct lk_val *c, int n)
{
	struct lk_user *u = arg;

	if (n < 7) {
		return 1;
	}
	lk_val_text(&c[0], u->id, sizeof(u->id));
	lk_val_text(&c[1], u->email, sizeof(u->email));
	u->email_verified = (int)c[2].i;
	lk_val_text(&c[3], u->password_hash, sizeof(u->password_hash));
	u->created_at = c[4].i;
	u->disabled = (int)c[5].i;
	u->locked_down = (int)c[6].i;
	return 1;
}

static int
user_by(struct lk_app *app, const char *sql, const char *key, struct lk_user *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	struct lk_val p[] = {LK_TEXT(key)};
	rc = lk_db_exec(app->store, sql, p, 1, user_row, out, NULL);
	if (rc == LK_OK && out->id[0] == '\0') {
		rc = LK_E_NOTFOUND;
	}
	return rc;
}

int
lk_user_by_email(struct lk_app *app, const char *email, struct lk_user *out)
{
	return user_by(app, "SELECT " USER_COLS " FROM users WHERE email = ?1", email, out);
}

int
lk_user_by_id(struct lk_app *app, const char *id, struct lk_user *out)
{
	return user_by(app, "SELECT " USER_COLS " FROM users WHERE id = ?1", id, out);
}
