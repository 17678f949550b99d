/* mailer.h: delivery of the mail outbox (auth/outbox.h). A background worker claims due
 * rows and hands each message to one transport: SMTP through libcurl when an SMTP URL is
 * configured, else a mail directory of RFC 5322 files. A failed delivery keeps its row and
 * is retried with back-off, so a mail server that is down loses nothing. The messages carry
 * live tokens: they are never logged; one line per delivery goes to stderr.
 *
 * SMTP URL: smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port] (implicit
 * TLS). user:pass, when present, is used for SMTP AUTH. Optional query parameters, which
 * latchkey takes out of the URL before handing it to libcurl:
 *   starttls=try       STARTTLS when the server offers it, else plain text (smtp:// default
 *                      without credentials);
 *   starttls=required  STARTTLS or fail (smtp:// default with credentials, so a password
 *                      never crosses the network in clear);
 *   starttls=no        never STARTTLS (e.g. a relay on localhost that needs a password);
 *   cafile=PATH        trust the certificates in PATH (PEM) instead of the system store.
 * The server certificate and name are always verified. */
#ifndef LK_AUTH_MAILER_H
#define LK_AUTH_MAILER_H

#include <stddef.h>
#include <stdint.h>

#include "auth/outbox.h"
#include "store/store.h"

/* How long a claimed row belongs to the claiming worker; longer than the SMTP timeouts, so
 * only a crashed worker's rows are taken over. */
#define LK_MAILER_LEASE_MS           (2 * 60 * 1000)
#define LK_MAILER_CONNECT_TIMEOUT_MS 10000
#define LK_MAILER_TIMEOUT_MS         60000
/* The worker looks for due rows this often even when not kicked (rows queued by another
 * instance, retries coming due). */
#define LK_MAILER_POLL_MS 500
/* Sent rows (bodies already blank) are kept this long for operators, then deleted by the
 * worker, which looks at most this often. */
#define LK_MAILER_KEEP_SENT_MS   (7LL * 24 * 60 * 60 * 1000)
#define LK_MAILER_PURGE_EVERY_MS (60LL * 60 * 1000)

/* The worker's clock is the system wall clock (unix ms), the same one the server stamps
 * requests with (lk_now_ms), so rows queued "now" are due at once. */
struct lk_mailer_config {
	const char *mail_dir;  /* the mail directory, used when smtp_url is NULL or "" */
	const char *smtp_url;  /* see above */
	const char *mail_from; /* bare address; NULL or "" means latchkey@localhost */
};

struct lk_mailer;

/* Checks cfg: a mail_from address without control bytes, spaces, '<', '>' or ',' and with
 * one '@'; an SMTP URL with scheme smtp or smtps and known parameters, or else a mail_dir.
 * LK_OK or LK_E_INVAL. */
int lk_mailer_config_check(const struct lk_mailer_config *cfg);

/* Renders the RFC 5322 message of m as sent: CRLF line endings; headers Date (the queue
 * time, UTC), From: latchkey <mail_from>, To, Subject (RFC 2047 encoded when not ASCII),
 * Message-ID <message_key@domain of mail_from>, MIME-Version, Content-Type text/plain
 * utf-8, Content-Transfer-Encoding 8bit, X-Latchkey-Purpose; then the body, lines unfolded.
 * *out (NUL-terminated, *out_len bytes) is the caller's to free (it holds tokens: wipe it).
 * LK_OK, LK_E_INVAL, LK_E_NOMEM. */
int lk_mailer_render(const struct lk_outbox_msg *m, const char *mail_from, char **out,
                     size_t *out_len);

/* One delivery pass at now_ms: claims and delivers due rows until none is left, marking
 * each sent or rescheduling it with back-off. *n_sent (if non-NULL) gets the number
 * delivered. Returns LK_OK when every claimed message was delivered, LK_E_IO when at least
 * one failed (and was rescheduled), LK_E_INVAL for a bad cfg, LK_E_STORAGE, LK_E_NOMEM. */
int lk_mailer_deliver_due(struct lk_store *s, const struct lk_mailer_config *cfg, int64_t now_ms,
                          int *n_sent);

/* Starts the worker thread over s (which must outlive it). cfg is copied. The worker
 * delivers due rows whenever kicked and every LK_MAILER_POLL_MS, and deletes rows sent more
 * than LK_MAILER_KEEP_SENT_MS ago. LK_OK, LK_E_INVAL,
 * LK_E_NOMEM, LK_E_IO (could not start the thread or create the mail directory). */
int lk_mailer_start(struct lk_store *s, const struct lk_mailer_config *cfg, struct lk_mailer **out);

/* Wakes the worker (after a caller committed a queued message). NULL is ignored. */
void lk_mailer_kick(struct lk_mailer *m);

/* Stops the worker: it finishes the message in hand, then the thread is joined and m
 * freed. NULL is ignored. */
void lk_mailer_stop(struct lk_mailer *m);

#endif
