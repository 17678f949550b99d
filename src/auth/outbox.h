/* outbox.h: the mail outbox table (migration 0002_outbox.sql). Flows queue a message with
 * lk_outbox_queue inside their own transaction; the mail worker (auth/mailer.h) claims due
 * rows, delivers them and records the outcome here. Callers are trusted code, but the
 * recipient and subject may carry user input, so both are checked for header injection. */
#ifndef LK_AUTH_OUTBOX_H
#define LK_AUTH_OUTBOX_H

#include <stdint.h>

#include "store/store.h"

/* Retry back-off: 1 s after the first failure, doubling, never more than 5 minutes. */
#define LK_OUTBOX_BACKOFF_FIRST_MS 1000
#define LK_OUTBOX_BACKOFF_MAX_MS   (5 * 60 * 1000)

/* A claimed outbox row, owned by the caller; free with lk_outbox_msg_free. */
struct lk_outbox_msg {
	int64_t id;
	int64_t created_at;  /* unix ms, when queued */
	int64_t attempts;    /* delivery attempts before this one */
	int64_t lease_until; /* next_attempt_at as set by the claim */
	char *recipient;
	char *purpose;
	char *subject;
	char *body; /* holds tokens: never log it */
	char *message_key;
};

/* Queues one email: a single INSERT, so it joins the caller's open transaction if any (and
 * is rolled back with it). to is one address (no CR, LF or other control bytes, no space,
 * no '<', '>' or ',', exactly one '@', at most LK_MAX_EMAIL bytes); purpose is a short tag
 * of [a-z0-9-] (verify-email, magic-link, recovery, ...); subject is UTF-8 text without
 * control bytes, at most LK_MAX_MAIL_SUBJECT bytes; text_body is UTF-8 text, lines ended by
 * LF or CRLF, each at most LK_MAX_MAIL_LINE bytes (links are never folded), at most
 * LK_MAX_MAIL_BODY bytes in all. The message is due at now_ms. *id_out (if non-NULL) gets
 * the row id. After the caller commits, lk_mailer_kick wakes the worker.
 * Returns LK_OK, LK_E_INVAL (a bad or injecting field), LK_E_TOOBIG, LK_E_CRYPTO,
 * LK_E_STORAGE. */
int lk_outbox_queue(struct lk_store *s, int64_t now_ms, const char *to, const char *purpose,
                    const char *subject, const char *text_body, int64_t *id_out);

/* Checks a queue's fields exactly as lk_outbox_queue does, without touching the store.
 * LK_OK, LK_E_INVAL, LK_E_TOOBIG. */
int lk_outbox_check(const char *to, const char *purpose, const char *subject,
                    const char *text_body);

/* Claims the oldest due row (unsent, next_attempt_at <= now_ms) with one conditional
 * UPDATE ... RETURNING that moves next_attempt_at to now_ms + lease_ms: whichever instance's
 * statement changes the row owns the delivery until the lease ends. *out is NULL when
 * nothing is due. Returns LK_OK, LK_E_NOMEM, LK_E_STORAGE. */
int lk_outbox_claim(struct lk_store *s, int64_t now_ms, int64_t lease_ms,
                    struct lk_outbox_msg **out);

/* Records a delivery: sets sent_at, blanks the body (it holds tokens) and the last error.
 * LK_OK, LK_E_STORAGE. */
int lk_outbox_mark_sent(struct lk_store *s, const struct lk_outbox_msg *m, int64_t now_ms);

/* Records a failed attempt: attempts + 1, next_attempt_at = now_ms + back-off, last_error
 * (cut to a short line). Only while this claim's lease still holds, so a row another
 * instance took over after the lease ended is left alone. *next_at_out (if non-NULL) gets
 * the new due time. LK_OK, LK_E_STORAGE. */
int lk_outbox_mark_failed(struct lk_store *s, const struct lk_outbox_msg *m, int64_t now_ms,
                          const char *error, int64_t *next_at_out);

/* The back-off after the attempts-th failed attempt (attempts >= 1): 1 s, 2 s, 4 s, ...,
 * capped at LK_OUTBOX_BACKOFF_MAX_MS. */
int64_t lk_outbox_backoff_ms(int64_t attempts);

/* Deletes rows sent before before_ms (their bodies are already blank; unsent rows are
 * never deleted). *n_deleted (if non-NULL) gets the count. LK_OK, LK_E_STORAGE. */
int lk_outbox_purge_sent(struct lk_store *s, int64_t before_ms, int64_t *n_deleted);

void lk_outbox_msg_free(struct lk_outbox_msg *m);

#endif
