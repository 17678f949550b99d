/* sessions.h: server-side sessions. The cookie carries a 256-bit random token; the store
 * keeps only its SHA-256. A session is pending (a second factor owed, 10 minutes) or full
 * (absolute --session-ttl from becoming full, idle --session-idle-ttl). */
#ifndef LK_SESSIONS_H
#define LK_SESSIONS_H

#include <jansson.h>
#include <stdint.h>

#include "auth/app.h"

#define LK_SESSION_TOKEN_LEN 43 /* base64url of 32 bytes */
#define LK_PENDING_TTL_MS    (10 * 60 * 1000)

struct lk_user {
	char id[32];
	char email[256];
	int email_verified;
	char password_hash[192]; /* "" when the account has no password */
	int64_t created_at;
	int disabled;
	int locked_down;
};

struct lk_session {
	char id[32];
	char user_id[32];
	int full;
	int64_t created_at, authenticated_at, expires_at, last_seen_at, sudo_at;
	char amr[128]; /* comma-separated, in the order proved */
	int64_t failures;
	char ip[64];
	char user_agent[512];
	char email[256]; /* the owner's, filled by lk_session_lookup */
};

/* Creates a session and writes its cookie token (NUL-terminated) to token. amr is the
 * comma list proved so far; a pending session gets the 10-minute lifetime. */
int lk_session_create(struct lk_app *app, const char *user_id, int full, const char *amr,
                      const char *ip, const char *ua, int64_t now,
                      char token[LK_SESSION_TOKEN_LEN + 1], struct lk_session *out);
/* Finds the live session of a cookie token and refreshes last_seen_at (at most once a
 * second). LK_E_NOTFOUND when unknown or past either lifetime (then it is deleted). */
int lk_session_lookup(struct lk_app *app, const char *token, int64_t now, struct lk_session *out);
/* Turns a pending session into a full one under a new token; amr_add is appended. */
int lk_session_promote(struct lk_app *app, struct lk_session *s, const char *amr_add, int64_t now,
                       char token[LK_SESSION_TOKEN_LEN + 1]);
/* Records a further proof of a factor on s (reauth): sudo_at = now, amr_add appended. */
int lk_session_reauth(struct lk_app *app, struct lk_session *s, const char *amr_add, int64_t now);
/* Counts a failed second-factor try on a pending session; *failures receives the count. */
int lk_session_count_failure(struct lk_app *app, const char *session_id, int64_t *failures);
int lk_session_delete(struct lk_app *app, const char *session_id);
/* Deletes every session of the user but keep_id (NULL: all); *n receives how many. */
int lk_session_revoke_user(struct lk_app *app, const char *user_id, const char *keep_id,
                           int64_t *n);
/* {"sessions":[...]} of the user's full live sessions, current marked. */
int lk_session_list(struct lk_app *app, const char *user_id, const char *current_id, int64_t now,
                    json_t **out);
/* Deletes the user's full session by id; LK_E_NOTFOUND if none. */
int lk_session_delete_of_user(struct lk_app *app, const char *user_id, const char *id, int64_t now);

/* 1 when amr (comma list) holds method. */
int lk_amr_has(const char *amr, const char *method);
/* Assurance level of an amr list (API-NOTES 48). */
int lk_amr_aal(const char *amr);

/* Users. */
int lk_user_by_email(struct lk_app *app, const char *email, struct lk_user *out);
int lk_user_by_id(struct lk_app *app, const char *id, struct lk_user *out);

#endif
