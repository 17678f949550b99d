/* outbox.c: the mail outbox rows: queueing (with the header-injection checks on recipient,
 * purpose and subject), claiming a due row under a lease, and recording the outcome with
 * exponential back-off. Every state change is one statement, so it is correct when several
 * instances share the database. Message bodies hold tokens: nothing here logs them. */
#include "auth/outbox.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/limits.h"
#include "core/rc.h"
#include "core/utf8.h"

/* Longest last_error kept in the row. */
#define OUTBOX_ERROR_MAX 200
/* Longest purpose tag. */
#define OUTBOX_PURPOSE_MAX 64

static int
check_to(const char *to)
{
	size_t n = strlen(to), at = 0;

	if (n == 0) {
		return LK_E_INVAL;
	}
	if (n > LK_MAX_EMAIL) {
		return LK_E_TOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)to[i];
		/* CR, LF and every other control byte would end or fold the header; a space,
		 * '<', '>' or ',' would let the value name a second or different mailbox. */
		if (c < 0x21 || c == 0x7f || c == '<' || c == '>' || c == ',') {
			return LK_E_INVAL;
		}
		if (c == '@') {
			at++;
		}
	}
	if (at != 1 || to[0] == '@' || to[n - 1] == '@') {
		return LK_E_INVAL;
	}
	return lk_utf8_validate(to, n) == LK_OK ? LK_OK : LK_E_INVAL;
}

static int
check_purpose(const char *purpose)
{
	size_t n = strlen(purpose);

	if (n == 0) {
		return LK_E_INVAL;
	}
	if (n > OUTBOX_PURPOSE_MAX) {
		return LK_E_TOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		char c = purpose[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
			return LK_E_INVAL;
		}
	}
	return LK_OK;
}

static int
check_subject(const char *subject)
{
	size_t n = strlen(subject);

	if (n > LK_MAX_MAIL_SUBJECT) {
		return LK_E_TOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)subject[i];
		/* Header injection: no CR or LF (nor any other control byte) in a header. */
		if (c < 0x20 || c == 0x7f) {
			return LK_E_INVAL;
		}
	}
	return lk_utf8_validate(subject, n) == LK_OK ? LK_OK : LK_E_INVAL;
}

static int
check_body(const char *body)
{
	size_t n = strlen(body), line = 0;

	if (n > LK_MAX_MAIL_BODY) {
		return LK_E_TOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c == '\r') {
			/* Only as part of CRLF; a bare CR is not a line break in mail. */
			if (body[i + 1] != '\n') {
				return LK_E_INVAL;
			}
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return LK_E_INVAL;
		}
		if (++line > LK_MAX_MAIL_LINE) {
			return LK_E_TOOBIG;
		}
	}
	return lk_utf8_validate(body, n) == LK_OK ? LK_OK : LK_E_INVAL;
}

int
lk_outbox_check(const char *to, const char *purpose, const char *subject, const char *text_body)
{
	int rc;

	if (!to || !purpose || !subject || !text_body) {
		return LK_E_INVAL;
	}
	if ((rc = check_to(to)) != LK_OK) {
		return rc;
	}
	if ((rc = check_purpose(purpose)) != LK_OK) {
		return rc;
	}
	if ((rc = check_subject(subject)) != LK_OK) {
		return rc;
	}
	return check_body(text_body);
}

static int
row_id(void *arg, const struct lk_val *cols, int ncol)
{
	int64_t *id = arg;

	if (ncol >= 1 && cols[0].type == LK_V_INT) {
		*id = cols[0].i;
	}
	return 0;
}

int
lk_outbox_queue(struct lk_store *s, int64_t now_ms, const char *to, const char *purpose,
                const char *subject, const char *text_body, int64_t *id_out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[16];
	char key[2 * sizeof rnd + 1];
	int64_t id = -1;
	int rc;

	if (!s || now_ms < 0) {
		return LK_E_INVAL;
	}
	if ((rc = lk_outbox_check(to, purpose, subject, text_body)) != LK_OK) {
		return rc;
	}
	if (sodium_init() < 0) {
		return LK_E_CRYPTO;
	}
	randombytes_buf(rnd, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++) {
		key[2 * i] = hex[rnd[i] >> 4];
		key[2 * i + 1] = hex[rnd[i] & 15];
	}
	key[sizeof key - 1] = '\0';

	struct lk_val p[] = {LK_INT(now_ms),   LK_TEXT(to),        LK_TEXT(purpose),
	                     LK_TEXT(subject), LK_TEXT(text_body), LK_TEXT(key)};
	rc = lk_db_exec(s,
	                "INSERT INTO outbox (created_at, recipient, purpose, subject, body, "
	                "message_key, attempts, next_attempt_at) "
	                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?1) RETURNING id",
	                p, 6, row_id, &id, NULL);
	if (rc != LK_OK) {
		return LK_E_STORAGE;
	}
	if (id < 0) {
		return LK_E_STORAGE;
	}
	if (id_out) {
		*id_out = id;
	}
	return LK_OK;
}

void
lk_outbox_msg_free(struct lk_outbox_msg *m)
{
	if (!m) {
		return;
	}
	free(m->recipient);
	free(m->purpose);
	free(m->subject);
	if (m->body) {
		sodium_memzero(m->body, strlen(m->body));
		free(m->body);
	}
	free(m->message_key);
	free(m);
}

struct claim_ctx {
	struct lk_outbox_msg *m;
	int rc;
};

static char *
dup_text(const struct lk_val *v)
{
	char *p;

	if (v->type != LK_V_TEXT) {
		return NULL;
	}
	if (!(p = malloc(v->len + 1))) {
		return NULL;
	}
	if (v->len) {
		memcpy(p, v->p, v->len);
	}
	p[v->len] = '\0';
	return p;
}

static int
claim_row(void *arg, const struct lk_val *c, int ncol)
{
	struct claim_ctx *cx = arg;
	struct lk_outbox_msg *m;

	if (cx->m || ncol != 9) {
		cx->rc = LK_E_STORAGE;
		return 1;
	}
	if (c[0].type != LK_V_INT || c[1].type != LK_V_INT || c[2].type != LK_V_INT ||
	    c[3].type != LK_V_INT) {
		cx->rc = LK_E_STORAGE;
		return 1;
	}
	if (!(m = calloc(1, sizeof *m))) {
		cx->rc = LK_E_NOMEM;
		return 1;
	}
	m->id = c[0].i;
	m->created_at = c[1].i;
	m->attempts = c[2].i;
	m->lease_until = c[3].i;
	m->recipient = dup_text(&c[4]);
	m->purpose = dup_text(&c[5]);
	m->subject = dup_text(&c[6]);
	m->body = dup_text(&c[7]);
	m->message_key = dup_text(&c[8]);
	if (!m->recipient || !m->purpose || !m->subject || !m->body || !m->message_key) {
		lk_outbox_msg_free(m);
		cx->rc = LK_E_NOMEM;
		return 1;
	}
	cx->m = m;
	return 0;
}

static int
any_row(void *arg, const struct lk_val *cols, int ncol)
{
	(void)cols;
	(void)ncol;
	*(int *)arg = 1;
	return 0;
}

int
lk_outbox_claim(struct lk_store *s, int64_t now_ms, int64_t lease_ms, struct lk_outbox_msg **out)
{
	struct claim_ctx cx = {NULL, LK_OK};
	int rc = LK_OK;

	if (!s || !out || lease_ms <= 0) {
		return LK_E_INVAL;
	}
	*out = NULL;
	struct lk_val p[] = {LK_INT(now_ms), LK_INT(now_ms + lease_ms)};
	/* A few rounds: under PostgreSQL another instance may take our candidate between the
	 * subquery and the update; we then look again while anything is still due. */
	for (int round = 0; round < 8; round++) {
		int due = 0;

		/* The subquery picks a candidate; the outer WHERE re-checks it, so when two
		 * instances pick the same row, the second UPDATE (serialised behind the first
		 * by SQLite's write lock, or re-evaluated on the new row version by
		 * PostgreSQL) matches nothing. */
		rc = lk_db_exec(s,
		                "UPDATE outbox SET next_attempt_at = ?2 "
		                "WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL "
		                "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT 1) "
		                "AND sent_at IS NULL AND next_attempt_at <= ?1 "
		                "RETURNING id, created_at, attempts, next_attempt_at, recipient, "
		                "purpose, subject, body, message_key",
		                p, 2, claim_row, &cx, NULL);
		if (rc != LK_OK || cx.rc != LK_OK || cx.m) {
			break;
		}
		rc = lk_db_exec(
		    s,
		    "SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?1 "
		    "LIMIT 1",
		    p, 1, any_row, &due, NULL);
		if (rc != LK_OK || !due) {
			break;
		}
	}
	if (rc != LK_OK || cx.rc != LK_OK) {
		lk_outbox_msg_free(cx.m);
		return rc != LK_OK ? LK_E_STORAGE : cx.rc;
	}
	*out = cx.m;
	return LK_OK;
}

int
lk_outbox_mark_sent(struct lk_store *s, const struct lk_outbox_msg *m, int64_t now_ms)
{
	if (!s || !m) {
		return LK_E_INVAL;
	}
	struct lk_val p[] = {LK_INT(m->id), LK_INT(now_ms)};
	if (lk_db_exec(s,
	               "UPDATE outbox SET sent_at = ?2, body = '', last_error = NULL, "
	               "attempts = attempts + 1 WHERE id = ?1 AND sent_at IS NULL",
	               p, 2, NULL, NULL, NULL) != LK_OK) {
		return LK_E_STORAGE;
	}
	return LK_OK;
}

int64_t
lk_outbox_backoff_ms(int64_t attempts)
{
	int64_t d = LK_OUTBOX_BACKOFF_FIRST_MS;

	for (int64_t i = 1; i < attempts && d < LK_OUTBOX_BACKOFF_MAX_MS; i++) {
		d *= 2;
	}
	return d < LK_OUTBOX_BACKOFF_MAX_MS ? d : LK_OUTBOX_BACKOFF_MAX_MS;
}

int
lk_outbox_mark_failed(struct lk_store *s, const struct lk_outbox_msg *m, int64_t now_ms,
                      const char *error, int64_t *next_at_out)
{
	char err[OUTBOX_ERROR_MAX + 1];
	size_t n = 0;
	int64_t next_at;

	if (!s || !m) {
		return LK_E_INVAL;
	}
	/* A short single line of printable ASCII: the error is shown to operators only. */
	for (const char *e = error ? error : "unknown"; *e && n < OUTBOX_ERROR_MAX; e++) {
		unsigned char c = (unsigned char)*e;
		err[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	err[n] = '\0';
	next_at = now_ms + lk_outbox_backoff_ms(m->attempts + 1);
	struct lk_val p[] = {LK_INT(m->id), LK_INT(next_at), LK_TEXT(err), LK_INT(m->lease_until)};
	if (lk_db_exec(s,
	               "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, "
	               "last_error = ?3 WHERE id = ?1 AND sent_at IS NULL AND next_attempt_at = ?4",
	               p, 4, NULL, NULL, NULL) != LK_OK) {
		return LK_E_STORAGE;
	}
	if (next_at_out) {
		*next_at_out = next_at;
	}
	return LK_OK;
}

int
lk_outbox_purge_sent(struct lk_store *s, int64_t before_ms, int64_t *n_deleted)
{
	int64_t n = 0;

	if (!s) {
		return LK_E_INVAL;
	}
	struct lk_val p[] = {LK_INT(before_ms)};
	if (lk_db_exec(s, "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?1", p, 1,
	               NULL, NULL, &n) != LK_OK) {
		return LK_E_STORAGE;
	}
	if (n_deleted) {
		*n_deleted = n;
	}
	return LK_OK;
}
