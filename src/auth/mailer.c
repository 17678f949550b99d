/* mailer.c: the mail worker and its two transports. It renders each claimed outbox row as
 * an RFC 5322 message and delivers it by SMTP (libcurl) or into the mail directory (one
 * file per message, written under a dot-prefixed temporary name and renamed, mode 0600).
 * Trust boundary: the SMTP server is remote and may be down or hostile; the recipient and
 * subject were checked against header injection when queued (auth/outbox.c) and are
 * checked again here before they reach a header. Bodies carry tokens: never logged. */
#include "auth/mailer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/curllib.h"

/* libcurl is loaded on first use (auth/curllib.c): its functions are called through the table. */
#undef curl_easy_setopt /* curl.h maps it onto itself */
#define curl_global_init    (lk_curllib()->global_init)
#define curl_easy_init      (lk_curllib()->easy_init)
#define curl_easy_setopt    (lk_curllib()->easy_setopt)
#define curl_easy_perform   (lk_curllib()->easy_perform)
#define curl_easy_cleanup   (lk_curllib()->easy_cleanup)
#define curl_easy_strerror  (lk_curllib()->easy_strerror)
#define curl_slist_append   (lk_curllib()->slist_append)
#define curl_slist_free_all (lk_curllib()->slist_free_all)
#include <sodium.h>

#include "core/rc.h"

#define DEFAULT_MAIL_FROM "latchkey@localhost"

/* ---- configuration ---- */

enum starttls { STARTTLS_DEFAULT, STARTTLS_TRY, STARTTLS_REQUIRED, STARTTLS_NO };

/* An SMTP URL taken apart: curl_url is the URL without our query parameters. */
struct smtp_conf {
	char *curl_url;
	char *cafile;
	int implicit_tls;
	int has_credentials;
	enum starttls starttls;
};

static void
smtp_conf_clear(struct smtp_conf *sc)
{
	if (sc->curl_url) {
		/* It may hold the SMTP password. */
		sodium_memzero(sc->curl_url, strlen(sc->curl_url));
	}
	free(sc->curl_url);
	free(sc->cafile);
	memset(sc, 0, sizeof *sc);
}

static char *
dup_n(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

static int
smtp_conf_parse(const char *url, struct smtp_conf *sc)
{
	const char *rest, *q, *auth_end;
	int rc = LK_E_INVAL;

	memset(sc, 0, sizeof *sc);
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			return LK_E_INVAL;
		}
	}
	if (strncasecmp(url, "smtp://", 7) == 0) {
		rest = url + 7;
	} else if (strncasecmp(url, "smtps://", 8) == 0) {
		rest = url + 8;
		sc->implicit_tls = 1;
	} else {
		return LK_E_INVAL;
	}
	if (strchr(url, '#')) {
		return LK_E_INVAL;
	}
	q = strchr(rest, '?');
	auth_end = rest + strcspn(rest, "/?");
	sc->has_credentials = memchr(rest, '@', (size_t)(auth_end - rest)) != NULL;
	if (!(sc->curl_url = dup_n(url, q ? (size_t)(q - url) : strlen(url)))) {
		rc = LK_E_NOMEM;
		goto out;
	}
	while (q && *q) {
		const char *name = q + 1, *end = name + strcspn(name, "&"), *eq;
		size_t nlen;

		eq = memchr(name, '=', (size_t)(end - name));
		if (!eq) {
			goto out;
		}
		nlen = (size_t)(eq - name);
		if (nlen == 8 && strncmp(name, "starttls", 8) == 0) {
			const char *v = eq + 1;
			size_t vlen = (size_t)(end - v);
			if (vlen == 3 && strncmp(v, "try", 3) == 0) {
				sc->starttls = STARTTLS_TRY;
			} else if (vlen == 8 && strncmp(v, "required", 8) == 0) {
				sc->starttls = STARTTLS_REQUIRED;
			} else if (vlen == 2 && strncmp(v, "no", 2) == 0) {
				sc->starttls = STARTTLS_NO;
			} else {
				goto out;
			}
		} else if (nlen == 6 && strncmp(name, "cafile", 6) == 0 && !sc->cafile) {
			if (end == eq + 1) {
				goto out;
			}
			if (!(sc->cafile = dup_n(eq + 1, (size_t)(end - eq - 1)))) {
				rc = LK_E_NOMEM;
				goto out;
			}
		} else {
			goto out;
		}
		q = *end ? end : NULL;
	}
	if (sc->implicit_tls && sc->starttls != STARTTLS_DEFAULT) {
		goto out; /* smtps is TLS from the first byte: STARTTLS does not apply */
	}
	if (sc->starttls == STARTTLS_DEFAULT) {
		sc->starttls = sc->has_credentials ? STARTTLS_REQUIRED : STARTTLS_TRY;
	}
	rc = LK_OK;
out:
	if (rc != LK_OK) {
		smtp_conf_clear(sc);
	}
	return rc;
}

/* A bare address fit for a header and an SMTP path. */
static int
check_address(const char *a)
{
	size_t n = strlen(a), at = 0;

	if (n == 0 || n > 254) {
		return LK_E_INVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c < 0x21 || c == 0x7f || c == '<' || c == '>' || c == ',') {
			return LK_E_INVAL;
		}
		at += c == '@';
	}
	if (at != 1 || a[0] == '@' || a[n - 1] == '@') {
		return LK_E_INVAL;
	}
	return LK_OK;
}

static const char *
mail_from_of(const struct lk_mailer_config *cfg)
{
	return cfg->mail_from && *cfg->mail_from ? cfg->mail_from : DEFAULT_MAIL_FROM;
}

static int
use_smtp(const struct lk_mailer_config *cfg)
{
	return cfg->smtp_url && *cfg->smtp_url;
}

int
lk_mailer_config_check(const struct lk_mailer_config *cfg)
{
	struct smtp_conf sc;
	int rc;

	if (!cfg || check_address(mail_from_of(cfg)) != LK_OK) {
		return LK_E_INVAL;
	}
	if (use_smtp(cfg)) {
		if ((rc = smtp_conf_parse(cfg->smtp_url, &sc)) != LK_OK) {
			return rc;
		}
		smtp_conf_clear(&sc);
		return LK_OK;
	}
	return cfg->mail_dir && *cfg->mail_dir ? LK_OK : LK_E_INVAL;
}

/* ---- rendering ---- */

/* A growable byte buffer, capped well above the largest message we render. */
struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

#define BUF_MAX (4 * 65536)

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed) {
		return;
	}
	if (n > BUF_MAX - b->len - 1) {
		b->failed = LK_E_TOOBIG;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *np;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		if (!(np = malloc(cap))) {
			b->failed = LK_E_NOMEM;
			return;
		}
		/* Grow by copy and wipe: the buffer holds tokens. */
		if (b->p) {
			memcpy(np, b->p, b->len);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_free(struct buf *b)
{
	if (b->p) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

static int
header_safe(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f) {
			return 0;
		}
	}
	return 1;
}

/* SPEC rfc2047 2, 4.1: Subject as "B" encoded-words of at most 75 characters, each holding
 * whole UTF-8 sequences, folded onto continuation lines. ASCII subjects go as they are. */
static void
add_subject(struct buf *b, const char *subject)
{
	size_t n = strlen(subject), i = 0;
	int ascii = 1;

	for (size_t k = 0; k < n; k++) {
		if ((unsigned char)subject[k] >= 0x80) {
			ascii = 0;
		}
	}
	buf_str(b, "Subject: ");
	if (ascii) {
		buf_add(b, subject, n);
		buf_str(b, "\r\n");
		return;
	}
	while (i < n) {
		/* 42 bytes -> 56 base64 characters; with "=?utf-8?B?" and "?=" 68 in all, so
		 * even the first line ("Subject: " and a word) stays within 78. */
		size_t take = n - i < 42 ? n - i : 42;
		char enc[sodium_base64_ENCODED_LEN(42, sodium_base64_VARIANT_ORIGINAL)];
		while (i + take < n && ((unsigned char)subject[i + take] & 0xc0) == 0x80) {
			take--; /* do not split a UTF-8 sequence */
		}
		sodium_bin2base64(enc, sizeof enc, (const unsigned char *)subject + i, take,
		                  sodium_base64_VARIANT_ORIGINAL);
		if (i) {
			buf_str(b, "\r\n ");
		}
		buf_str(b, "=?utf-8?B?");
		buf_str(b, enc);
		buf_str(b, "?=");
		i += take;
	}
	buf_str(b, "\r\n");
}

/* SPEC rfc5322 3.3: "Wed, 25 Nov 2026 17:31:33 +0000"; names spelled out, not from the
 * locale. */
static int
format_date(int64_t unix_ms, char *out, size_t out_len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	int n;

	if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11) {
		return LK_E_INVAL;
	}
	n = snprintf(out, out_len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
	             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	             tm.tm_sec);
	return n > 0 && (size_t)n < out_len ? LK_OK : LK_E_INVAL;
}

int
lk_mailer_render(const struct lk_outbox_msg *m, const char *mail_from, char **out, size_t *out_len)
{
	struct buf b = {0};
	char date[64];
	const char *domain, *p;
	int rc = LK_E_INVAL;

	if (!m || !out || !out_len || !m->recipient || !m->purpose || !m->subject || !m->body ||
	    !m->message_key) {
		return LK_E_INVAL;
	}
	*out = NULL;
	*out_len = 0;
	if (!mail_from || !*mail_from) {
		mail_from = DEFAULT_MAIL_FROM;
	}
	/* Checked when queued; checked again because a row can be written by anyone with
	 * access to the database, and a header must never be split. */
	if (check_address(mail_from) != LK_OK || check_address(m->recipient) != LK_OK ||
	    !header_safe(m->subject) || !header_safe(m->purpose) || !header_safe(m->message_key) ||
	    strpbrk(m->message_key, "<>@ ")) {
		return LK_E_INVAL;
	}
	if (format_date(m->created_at, date, sizeof date) != LK_OK) {
		return LK_E_INVAL;
	}
	domain = strchr(mail_from, '@') + 1;

	buf_str(&b, "Date: ");
	buf_str(&b, date);
	buf_str(&b, "\r\nFrom: latchkey <");
	buf_str(&b, mail_from);
	buf_str(&b, ">\r\nTo: ");
	buf_str(&b, m->recipient);
	buf_str(&b, "\r\n");
	add_subject(&b, m->subject);
	buf_str(&b, "Message-ID: <");
	buf_str(&b, m->message_key);
	buf_str(&b, "@");
	buf_str(&b, domain);
	buf_str(&b, ">\r\nMIME-Version: 1.0\r\n"
	            "Content-Type: text/plain; charset=utf-8\r\n"
	            "Content-Transfer-Encoding: 8bit\r\n"
	            "X-Latchkey-Purpose: ");
	buf_str(&b, m->purpose);
	buf_str(&b, "\r\n\r\n");
	/* The body: every line break becomes CRLF; lines are never folded, so a link stays
	 * whole on its line. */
	for (p = m->body; *p;) {
		size_t n = strcspn(p, "\r\n");
		buf_add(&b, p, n);
		p += n;
		if (*p == '\r' && p[1] == '\n') {
			p += 2;
		} else if (*p) {
			p++;
		} else {
			break;
		}
		buf_str(&b, "\r\n");
	}
	if (b.len < 2 || memcmp(b.p + b.len - 2, "\r\n", 2) != 0) {
		buf_str(&b, "\r\n");
	}
	if (b.failed) {
		rc = b.failed;
		goto out;
	}
	*out = b.p;
	*out_len = b.len;
	b.p = NULL;
	rc = LK_OK;
out:
	buf_free(&b);
	return rc;
}

/* ---- transport: mail directory ---- */

static int
ensure_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		return LK_E_IO;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		return LK_E_IO;
	}
	return LK_OK;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_maildir(const char *dir, const struct lk_outbox_msg *m, const char *msg, size_t len, char *err,
             size_t err_len)
{
	char name[64], tmp[72];
	int dfd = -1, fd = -1, rc = LK_E_IO;

	/* API-NOTES 137: <unix-ms>-<id>.eml, the queue time and the row id on 8 digits. */
	snprintf(name, sizeof name, "%" PRId64 "-%08" PRId64 ".eml", m->created_at, m->id);
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	if (ensure_dir(dir) != LK_OK) {
		snprintf(err, err_len, "mail dir: %s", strerror(errno));
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, err_len, "mail dir: %s", strerror(errno));
		goto out;
	}
	/* A temporary file left by a crashed attempt is ours (the lease says so): replace it. */
	if (unlinkat(dfd, tmp, 0) != 0 && errno != ENOENT) {
		snprintf(err, err_len, "unlink temporary: %s", strerror(errno));
		goto out;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "create: %s", strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, msg, len) != 0 || fsync(fd) != 0) {
		snprintf(err, err_len, "write: %s", strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, err_len, "close: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	/* The rename publishes the whole file at once; a retry after a crash between rename
	 * and marking the row sent writes the same name again, so no message appears twice. */
	if (renameat(dfd, tmp, dfd, name) != 0) {
		snprintf(err, err_len, "rename: %s", strerror(errno));
		goto out;
	}
	(void)fsync(dfd);
	rc = LK_OK;
out:
	if (fd >= 0) {
		close(fd);
	}
	if (rc != LK_OK && dfd >= 0) {
		(void)unlinkat(dfd, tmp, 0);
	}
	if (dfd >= 0) {
		close(dfd);
	}
	return rc;
}

/* ---- transport: SMTP ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init(void)
{
	if (lk_curllib()) {
		curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	}
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
upload_read(char *dst, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->left) {
		n = u->left;
	}
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static int
send_smtp(const struct smtp_conf *sc, const char *from, const char *to, const char *msg, size_t len,
          char *err, size_t err_len)
{
	char cerr[CURL_ERROR_SIZE] = "";
	char from_path[300], to_path[300];
	struct upload u = {msg, len};
	struct curl_slist *rcpt = NULL;
	CURL *c = NULL;
	CURLcode cc;
	int rc = LK_E_IO;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(err, err_len, "libcurl could not be loaded or initialised");
		return LK_E_IO;
	}
	snprintf(from_path, sizeof from_path, "<%s>", from);
	snprintf(to_path, sizeof to_path, "<%s>", to);
	if (!(c = curl_easy_init()) || !(rcpt = curl_slist_append(NULL, to_path))) {
		snprintf(err, err_len, "out of memory");
		rc = LK_E_NOMEM;
		goto out;
	}
	cc = curl_easy_setopt(c, CURLOPT_URL, sc->curl_url);
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	}
	if (cc == CURLE_OK && !sc->implicit_tls) {
		long use_ssl = sc->starttls == STARTTLS_REQUIRED ? CURLUSESSL_ALL
		               : sc->starttls == STARTTLS_TRY    ? CURLUSESSL_TRY
		                                                 : CURLUSESSL_NONE;
		cc = curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
	}
	if (cc == CURLE_OK && sc->cafile) {
		cc = curl_easy_setopt(c, CURLOPT_CAINFO, sc->cafile);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_path);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_READDATA, &u);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* worker thread: no alarms */
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		                      (long)LK_MAILER_CONNECT_TIMEOUT_MS);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)LK_MAILER_TIMEOUT_MS);
	}
	if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	}
	if (cc != CURLE_OK) {
		snprintf(err, err_len, "curl setup: %s", curl_easy_strerror(cc));
		goto out;
	}
	/* libcurl dot-stuffs the upload and ends it with CRLF . CRLF (RFC 5321 4.5.2). */
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(err, err_len, "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	rc = LK_OK;
out:
	curl_slist_free_all(rcpt);
	if (c) {
		curl_easy_cleanup(c);
	}
	return rc;
}

/* ---- delivery pass ---- */

static void
log_error_value(const char *err, char *out, size_t out_len)
{
	size_t n = 0;

	/* One quoted line: no quotes, backslashes or control bytes inside. */
	for (; *err && n + 1 < out_len; err++) {
		unsigned char c = (unsigned char)*err;
		out[n++] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '_' : (char)c;
	}
	out[n] = '\0';
}

static int
deliver_pass(struct lk_store *s, const struct lk_mailer_config *cfg, int64_t now_ms, int *n_sent,
             atomic_int *stop)
{
	struct smtp_conf sc = {0};
	const char *from;
	int rc, any_failed = 0, sent = 0;

	if (n_sent) {
		*n_sent = 0;
	}
	if (!s || lk_mailer_config_check(cfg) != LK_OK) {
		return LK_E_INVAL;
	}
	from = mail_from_of(cfg);
	if (use_smtp(cfg) && (rc = smtp_conf_parse(cfg->smtp_url, &sc)) != LK_OK) {
		return rc;
	}
	for (;;) {
		struct lk_outbox_msg *m = NULL;
		char err[256] = "", logerr[256];
		char *msg = NULL;
		size_t len = 0;
		int64_t next_at = 0;

		if (stop && atomic_load(stop)) {
			break;
		}
		if ((rc = lk_outbox_claim(s, now_ms, LK_MAILER_LEASE_MS, &m)) != LK_OK) {
			goto out;
		}
		if (!m) {
			break;
		}
		rc = lk_mailer_render(m, from, &msg, &len);
		if (rc != LK_OK) {
			snprintf(err, sizeof err, "render: %s", lk_strerror(rc));
		} else if (use_smtp(cfg)) {
			rc = send_smtp(&sc, from, m->recipient, msg, len, err, sizeof err);
		} else {
			rc = send_maildir(cfg->mail_dir, m, msg, len, err, sizeof err);
		}
		if (msg) {
			sodium_memzero(msg, len);
			free(msg);
		}
		if (rc == LK_OK) {
			sent++;
			fprintf(stderr, "mail.sent id=%" PRId64 " purpose=%s\n", m->id, m->purpose);
			rc = lk_outbox_mark_sent(s, m, now_ms);
		} else {
			any_failed = 1;
			rc = lk_outbox_mark_failed(s, m, now_ms, err, &next_at);
			log_error_value(err, logerr, sizeof logerr);
			fprintf(stderr,
			        "mail.retry id=%" PRId64 " purpose=%s attempt=%" PRId64
			        " error=\"%s\" retry_in_ms=%" PRId64 "\n",
			        m->id, m->purpose, m->attempts + 1, logerr, next_at - now_ms);
		}
		lk_outbox_msg_free(m);
		if (rc != LK_OK) {
			goto out;
		}
	}
	rc = any_failed ? LK_E_IO : LK_OK;
out:
	if (n_sent) {
		*n_sent = sent;
	}
	smtp_conf_clear(&sc);
	return rc;
}

int
lk_mailer_deliver_due(struct lk_store *s, const struct lk_mailer_config *cfg, int64_t now_ms,
                      int *n_sent)
{
	return deliver_pass(s, cfg, now_ms, n_sent, NULL);
}

/* ---- worker thread ---- */

struct lk_mailer {
	struct lk_store *s;
	struct lk_mailer_config cfg;
	char *mail_dir, *smtp_url, *mail_from;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	int kicked;
	atomic_int stop;
};

static int64_t
system_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
worker(void *arg)
{
	struct lk_mailer *m = arg;
	int last_rc = LK_OK;
	int64_t last_purge = INT64_MIN;

	while (!atomic_load(&m->stop)) {
		int64_t now = system_now_ms();
		int rc = deliver_pass(m->s, &m->cfg, now, NULL, &m->stop);
		struct timespec until;

		if (rc != LK_E_STORAGE &&
		    (last_purge == INT64_MIN || now - last_purge >= LK_MAILER_PURGE_EVERY_MS)) {
			last_purge = now;
			if (lk_outbox_purge_sent(m->s, now - LK_MAILER_KEEP_SENT_MS, NULL) !=
			    LK_OK) {
				rc = LK_E_STORAGE;
			}
		}

		/* A failed delivery is logged per message; a store failure once per outage. */
		if (rc != LK_OK && rc != LK_E_IO && rc != last_rc) {
			fprintf(stderr, "mail.error error=\"%s\"\n", lk_strerror(rc));
		}
		last_rc = rc;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)LK_MAILER_POLL_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&m->mu);
		while (!m->kicked && !atomic_load(&m->stop)) {
			if (pthread_cond_timedwait(&m->cv, &m->mu, &until) == ETIMEDOUT) {
				break;
			}
		}
		m->kicked = 0;
		pthread_mutex_unlock(&m->mu);
	}
	return NULL;
}

static void
mailer_free(struct lk_mailer *m)
{
	if (!m) {
		return;
	}
	if (m->smtp_url) {
		sodium_memzero(m->smtp_url, strlen(m->smtp_url));
	}
	free(m->smtp_url);
	free(m->mail_dir);
	free(m->mail_from);
	free(m);
}

static int
dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s))) {
		return LK_E_NOMEM;
	}
	return LK_OK;
}

int
lk_mailer_start(struct lk_store *s, const struct lk_mailer_config *cfg, struct lk_mailer **out)
{
	struct lk_mailer *m = NULL;
	pthread_condattr_t ca;
	int rc = LK_E_INVAL, mu_ok = 0, cv_ok = 0;

	if (!s || !out || lk_mailer_config_check(cfg) != LK_OK) {
		return LK_E_INVAL;
	}
	*out = NULL;
	if (sodium_init() < 0) {
		return LK_E_CRYPTO;
	}
	if (!use_smtp(cfg) && ensure_dir(cfg->mail_dir) != LK_OK) {
		return LK_E_IO;
	}
	if (use_smtp(cfg)) {
		/* before any thread races curl_easy_init; a mail-dir server never loads TLS */
		pthread_once(&curl_once, curl_init);
	}
	if (!(m = calloc(1, sizeof *m))) {
		return LK_E_NOMEM;
	}
	m->s = s;
	if (dup_opt(cfg->mail_dir, &m->mail_dir) != LK_OK ||
	    dup_opt(cfg->smtp_url, &m->smtp_url) != LK_OK ||
	    dup_opt(cfg->mail_from, &m->mail_from) != LK_OK) {
		rc = LK_E_NOMEM;
		goto out;
	}
	m->cfg.mail_dir = m->mail_dir;
	m->cfg.smtp_url = m->smtp_url;
	m->cfg.mail_from = m->mail_from;
	atomic_init(&m->stop, 0);
	rc = LK_E_IO;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		goto out;
	}
	mu_ok = 1;
	if (pthread_condattr_init(&ca) != 0) {
		goto out;
	}
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&m->cv, &ca) == 0) {
		cv_ok = 1;
	}
	pthread_condattr_destroy(&ca);
	if (!cv_ok || pthread_create(&m->thread, NULL, worker, m) != 0) {
		goto out;
	}
	*out = m;
	m = NULL;
	rc = LK_OK;
out:
	if (m) {
		if (cv_ok) {
			pthread_cond_destroy(&m->cv);
		}
		if (mu_ok) {
			pthread_mutex_destroy(&m->mu);
		}
		mailer_free(m);
	}
	return rc;
}

void
lk_mailer_kick(struct lk_mailer *m)
{
	if (!m) {
		return;
	}
	pthread_mutex_lock(&m->mu);
	m->kicked = 1;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

void
lk_mailer_stop(struct lk_mailer *m)
{
	if (!m) {
		return;
	}
	pthread_mutex_lock(&m->mu);
	atomic_store(&m->stop, 1);
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	mailer_free(m);
}
