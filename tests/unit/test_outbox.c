/* test_outbox.c: the mail outbox and its delivery (auth/outbox.c, auth/mailer.c) over a
 * real SQLite file: queueing and header injection, the mail-directory transport (file
 * name, mode, CRLF, headers, the link line), back-off and leases, two instances sharing the
 * database, the worker thread, and SMTP against a real server (python3 aiosmtpd, with and
 * without STARTTLS), including a server that is down and then comes up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"

#include "auth/mailer.h"
#include "auth/outbox.h"
#include "core/limits.h"
#include "core/rc.h"
#include "store/store.h"

#define NOW INT64_C(1764000000123) /* Mon, 24 Nov 2025 16:00:00.123 UTC */
#define LINK                                                                                       \
	"http://localhost:8080/auth/magic-link/"                                                   \
	"verify?token=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy"
#define FROM "noreply@example.com"

static char root[64];
static int dir_seq;

/* ---- helpers ---- */

static void
rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d))) {
			char p[1024];
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
				continue;
			}
			snprintf(p, sizeof p, "%s/%s", path, e->d_name);
			rm_rf(p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* A fresh directory under root; returns its path in a static-per-call buffer. */
static void
new_dir(char *out, size_t out_len, const char *what)
{
	snprintf(out, out_len, "%s/%s-%d", root, what, ++dir_seq);
	mkdir(out, 0700);
}

/* The engine under test: a SQLite file in each test's directory, or, on the second run,
 * the PostgreSQL database of LATCHKEY_TEST_PG_URL (scripts/pg-test createdb NAME). */
static const char *g_pg;

static struct lk_store *
open_again(const char *dir)
{
	char url[512];
	struct lk_store *s = NULL;
	int rc;

	if (g_pg) {
		snprintf(url, sizeof url, "%s", g_pg);
	} else {
		snprintf(url, sizeof url, "sqlite:%s/latchkey.db", dir);
	}
	rc = lk_store_open(url, &s);
	CHECK_EQ_INT(rc, LK_OK);
	return s;
}

/* Opens the store of a test, with an empty outbox. */
static struct lk_store *
open_store(const char *dir)
{
	struct lk_store *s = open_again(dir);

	if (s) {
		CHECK_EQ_INT(lk_db_exec(s, "DELETE FROM outbox", NULL, 0, NULL, NULL, NULL), LK_OK);
	}
	return s;
}

struct row {
	int found;
	int64_t attempts, next_at, sent_at;
	int sent;
	char body[4096];
	char last_error[512];
};

static int
row_cb(void *arg, const struct lk_val *c, int ncol)
{
	struct row *r = arg;

	if (ncol != 5) {
		return 1;
	}
	r->found = 1;
	r->attempts = c[0].i;
	r->next_at = c[1].i;
	r->sent = c[2].type == LK_V_INT;
	r->sent_at = c[2].type == LK_V_INT ? c[2].i : -1;
	snprintf(r->body, sizeof r->body, "%.*s", (int)c[3].len, (const char *)c[3].p);
	if (c[4].type == LK_V_TEXT) {
		snprintf(r->last_error, sizeof r->last_error, "%.*s", (int)c[4].len,
		         (const char *)c[4].p);
	}
	return 0;
}

static struct row
get_row(struct lk_store *s, int64_t id)
{
	struct row r;
	struct lk_val p[] = {LK_INT(id)};

	memset(&r, 0, sizeof r);
	CHECK_EQ_INT(lk_db_exec(s,
	                        "SELECT attempts, next_attempt_at, sent_at, body, last_error "
	                        "FROM outbox WHERE id = ?1",
	                        p, 1, row_cb, &r, NULL),
	             LK_OK);
	CHECK(r.found);
	return r;
}

static int
count_cb(void *arg, const struct lk_val *c, int ncol)
{
	if (ncol == 1 && c[0].type == LK_V_INT) {
		*(int64_t *)arg = c[0].i;
	}
	return 0;
}

static int64_t
count_rows(struct lk_store *s)
{
	int64_t n = -1;

	CHECK_EQ_INT(lk_db_exec(s, "SELECT COUNT(*) FROM outbox", NULL, 0, count_cb, &n, NULL),
	             LK_OK);
	return n;
}

static char *
read_all(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f) {
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1))) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else {
			p[n] = '\0';
			if (len_out) {
				*len_out = (size_t)n;
			}
		}
	}
	fclose(f);
	return p;
}

/* Number of entries in dir (dot files included, "." and ".." not); the name of the last one
 * goes to name. */
static int
list_dir(const char *dir, char *name, size_t name_len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d) {
		return -1;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
			continue;
		}
		n++;
		if (name) {
			snprintf(name, name_len, "%s", e->d_name);
		}
	}
	closedir(d);
	return n;
}

static int
only_crlf(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
			return 0;
		}
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n')) {
			return 0;
		}
	}
	return 1;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static const char *
magic_body(void)
{
	return "Hello,\n\nUse this link to sign in to latchkey:\n\n" LINK
	       "\n\nOr enter the code 12345678.\nIf you did not ask for it, ignore this email.\n";
}

/* ---- SMTP server (python3 aiosmtpd) ---- */

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0) {
		port = ntohs(a.sin_port);
	}
	if (fd >= 0) {
		close(fd);
	}
	return port;
}

static int
port_open(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0) {
		close(fd);
	}
	return ok;
}

/* Starts aiosmtpd storing messages in the Maildir maildir; with cert and key, it offers
 * (and requires) STARTTLS. Returns the pid once the port accepts, or -1. */
static pid_t
smtpd_start(int port, const char *maildir, const char *cert, const char *key)
{
	char listen[32];
	pid_t pid;

	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		if (cert) {
			execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen,
			      "--tlscert", cert, "--tlskey", key, "-c", "aiosmtpd.handlers.Mailbox",
			      maildir, (char *)NULL);
		} else {
			execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen,
			      "-c", "aiosmtpd.handlers.Mailbox", maildir, (char *)NULL);
		}
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		int st;
		if (port_open(port)) {
			return pid;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "aiosmtpd exited early\n");
			return -1;
		}
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void
smtpd_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				return;
			}
			sleep_ms(50);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Reads the only message of maildir/new into a malloc'd string; *count gets how many
 * messages there are. */
static char *
maildir_only(const char *maildir, int *count)
{
	char dir[512], name[256], path[1024];

	snprintf(dir, sizeof dir, "%s/new", maildir);
	*count = list_dir(dir, name, sizeof name);
	if (*count != 1) {
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return read_all(path, NULL);
}

/* The link alone on its own line (the SMTP peer may store LF or CRLF line ends). */
static int
has_link_line(const char *msg)
{
	return strstr(msg, "\n" LINK "\r\n") != NULL || strstr(msg, "\n" LINK "\n") != NULL;
}

/* ---- tests ---- */

static void
test_maildir_delivery(void)
{
	char dir[256], mail[300], name[256], want[256], path[600];
	struct lk_mailer_config cfg = {.mail_dir = mail, .mail_from = FROM};
	struct lk_store *s;
	struct stat st;
	struct row r;
	int64_t id = 0;
	int n = -1;
	size_t len = 0;
	char *msg;

	new_dir(dir, sizeof dir, "maildir");
	snprintf(mail, sizeof mail, "%s/mail", dir); /* created on first delivery */
	if (!(s = open_store(dir))) {
		return;
	}
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "alice@example.com", "magic-link", "Your sign-in link",
	                             magic_body(), &id),
	             LK_OK);
	CHECK(id > 0);
	r = get_row(s, id);
	CHECK_EQ_INT(r.attempts, 0);
	CHECK_EQ_INT(r.next_at, NOW);
	CHECK(!r.sent);

	/* Not yet due a millisecond earlier. */
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW - 1, &n), LK_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW, &n), LK_OK);
	CHECK_EQ_INT(n, 1);

	/* One file, <unix-ms>-<id on 8 digits>.eml, no temporary left behind. */
	CHECK_EQ_INT(list_dir(mail, name, sizeof name), 1);
	snprintf(want, sizeof want, "%" PRId64 "-%08" PRId64 ".eml", NOW, id);
	CHECK_EQ_STR(name, want);
	snprintf(path, sizeof path, "%s/%s", mail, name);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK(S_ISREG(st.st_mode));

	msg = read_all(path, &len);
	CHECK(msg != NULL);
	if (msg) {
		const char *hdr_end = strstr(msg, "\r\n\r\n");
		CHECK(only_crlf(msg, len));
		CHECK(hdr_end != NULL);
		CHECK(strncmp(msg, "Date: Mon, 24 Nov 2025 16:00:00 +0000\r\n", 39) == 0);
		CHECK(strstr(msg, "\r\nFrom: latchkey <" FROM ">\r\n") != NULL);
		CHECK(strstr(msg, "\r\nTo: alice@example.com\r\n") != NULL);
		CHECK(strstr(msg, "\r\nSubject: Your sign-in link\r\n") != NULL);
		CHECK(strstr(msg, "\r\nMIME-Version: 1.0\r\n") != NULL);
		CHECK(strstr(msg, "\r\nContent-Type: text/plain; charset=utf-8\r\n") != NULL);
		CHECK(strstr(msg, "\r\nContent-Transfer-Encoding: 8bit\r\n") != NULL);
		CHECK(strstr(msg, "\r\nX-Latchkey-Purpose: magic-link\r\n") != NULL);
		const char *mid = strstr(msg, "\r\nMessage-ID: <");
		CHECK(mid != NULL);
		if (mid) {
			const char *at = strchr(mid, '@'), *gt = strchr(mid, '>');
			CHECK(at && gt && at < gt);
			CHECK(at && strncmp(at, "@example.com>\r\n", 15) == 0);
			CHECK(at && at - (mid + 15) == 32); /* 128 random bits in hex */
		}
		/* Every header precedes the blank line; the link is alone on its line. */
		CHECK(hdr_end && strstr(msg, "X-Latchkey-Purpose") < hdr_end);
		CHECK(hdr_end && strstr(hdr_end, "\r\n\r\n" LINK "\r\n\r\n") != NULL);
		CHECK(strstr(msg, "\r\nOr enter the code 12345678.\r\n") != NULL);
		CHECK(len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n');
		free(msg);
	}

	/* The row is sent; its body (tokens) is gone; a second pass sends nothing. */
	r = get_row(s, id);
	CHECK(r.sent);
	CHECK_EQ_INT(r.sent_at, NOW);
	CHECK_EQ_STR(r.body, "");
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 3600000, &n), LK_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(list_dir(mail, NULL, 0), 1);

	/* Purging: sent rows older than the cut-off go, unsent ones stay whatever their age. */
	int64_t id2 = 0, gone = -1;
	CHECK_EQ_INT(lk_outbox_queue(s, NOW - 1000, "b@example.com", "recovery", "S", "b\n", &id2),
	             LK_OK);
	CHECK_EQ_INT(lk_outbox_purge_sent(s, NOW, &gone), LK_OK);
	CHECK_EQ_INT(gone, 0); /* sent at NOW, not before */
	CHECK_EQ_INT(lk_outbox_purge_sent(s, NOW + 1, &gone), LK_OK);
	CHECK_EQ_INT(gone, 1);
	CHECK_EQ_INT(count_rows(s), 1);
	CHECK(!get_row(s, id2).sent);
	lk_store_close(s);
}

static void
test_queue_in_transaction(void)
{
	char dir[256];
	struct lk_store *s;
	int64_t id = 0;

	new_dir(dir, sizeof dir, "tx");
	if (!(s = open_store(dir))) {
		return;
	}
	/* Rolled back with the caller's transaction: nothing is sent. */
	CHECK_EQ_INT(lk_db_begin(s), LK_OK);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "verify-email", "Verify", "x\n", &id),
	             LK_OK);
	CHECK_EQ_INT(lk_db_rollback(s), LK_OK);
	CHECK_EQ_INT(count_rows(s), 0);
	/* Committed with it: there. */
	CHECK_EQ_INT(lk_db_begin(s), LK_OK);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "verify-email", "Verify", "x\n", &id),
	             LK_OK);
	CHECK_EQ_INT(lk_db_commit(s), LK_OK);
	CHECK_EQ_INT(count_rows(s), 1);
	lk_store_close(s);
}

static void
test_header_injection(void)
{
	char dir[256], big[LK_MAX_MAIL_LINE + 16];
	struct lk_store *s;
	int64_t id = -7;

	new_dir(dir, sizeof dir, "inject");
	if (!(s = open_store(dir))) {
		return;
	}
	/* Recipient: CR/LF, a second mailbox, angle brackets, spaces, no or two '@'. */
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com\r\nBcc: evil@example.net", "recovery",
	                             "S", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com\nBcc: evil@example.net", "recovery",
	                             "S", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com\r", "recovery", "S", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "a@example.com,evil@example.net", "recovery", "S", "b\n", &id),
	    LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "Eve <a@example.com>", "recovery", "S", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com>", "recovery", "S", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "example.com", "recovery", "S", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@b@example.com", "recovery", "S", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "", "recovery", "S", "b\n", &id), LK_E_INVAL);
	/* Subject: CR, LF, CRLF and other control bytes. */
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "recovery",
	                             "Hi\r\nBcc: evil@example.net", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "a@example.com", "recovery", "Hi\nX-Evil: 1", "b\n", &id),
	    LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "recovery", "Hi\r", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "recovery", "Hi\tthere", "b\n", &id),
	             LK_E_INVAL);
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "a@example.com", "recovery", "Bad \xff utf-8", "b\n", &id),
	    LK_E_INVAL);
	/* Purpose: a bare tag only. */
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "a@example.com", "recovery\r\nX-Evil: 1", "S", "b\n", &id),
	    LK_E_INVAL);
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "", "S", "b\n", &id), LK_E_INVAL);
	/* Body: a bare CR, a NUL-free but over-long line (never folded, so refused). */
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "recovery", "S", "a\rb\n", &id),
	             LK_E_INVAL);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "recovery", "S", big, &id),
	             LK_E_TOOBIG);
	CHECK_EQ_INT(id, -7);
	CHECK_EQ_INT(count_rows(s), 0);

	/* Allowed: quotes, '+', apostrophes and non-ASCII letters in the address. */
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "o'brien+tag@example.com", "recovery", "S", "b\n", &id), LK_OK);
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "j\xc3\xb6rg@example.com", "recovery", "S", "b\n", &id), LK_OK);
	CHECK_EQ_INT(count_rows(s), 2);
	lk_store_close(s);

	/* A row written around lk_outbox_queue is refused at render time too. */
	struct lk_outbox_msg m = {.id = 1,
	                          .created_at = NOW,
	                          .recipient = "a@example.com\r\nBcc: evil@example.net",
	                          .purpose = "recovery",
	                          .subject = "S",
	                          .body = "b",
	                          .message_key = "00112233445566778899aabbccddeeff"};
	char *out = NULL;
	size_t out_len = 0;
	CHECK_EQ_INT(lk_mailer_render(&m, FROM, &out, &out_len), LK_E_INVAL);
	CHECK(out == NULL);
	m.recipient = "a@example.com";
	m.subject = "S\r\nBcc: evil@example.net";
	CHECK_EQ_INT(lk_mailer_render(&m, FROM, &out, &out_len), LK_E_INVAL);
	m.subject = "S";
	CHECK_EQ_INT(lk_mailer_render(&m, "evil@example.net\r\nX: y", &out, &out_len), LK_E_INVAL);
	CHECK_EQ_INT(lk_mailer_render(&m, FROM, &out, &out_len), LK_OK);
	free(out);
}

/* Decodes the Subject's encoded words (RFC 2047 "B") and compares them with want. */
static int
subject_decodes_to(const char *msg, const char *want)
{
	char got[512];
	size_t got_len = 0;
	const char *p = strstr(msg, "\r\nSubject: ");

	if (!p) {
		return 0;
	}
	p += 11;
	for (;;) {
		const char *start, *end;
		size_t bin_len = 0;
		if (strncmp(p, "=?utf-8?B?", 10) != 0) {
			return 0;
		}
		start = p + 10;
		if (!(end = strstr(start, "?="))) {
			return 0;
		}
		if (sodium_base642bin((unsigned char *)got + got_len, sizeof got - got_len - 1,
		                      start, (size_t)(end - start), NULL, &bin_len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0) {
			return 0;
		}
		got_len += bin_len;
		p = end + 2;
		if (strncmp(p, "\r\n ", 3) != 0) {
			break;
		}
		p += 3;
	}
	got[got_len] = '\0';
	return strncmp(p, "\r\n", 2) == 0 && strcmp(got, want) == 0;
}

static void
test_render(void)
{
	char longline[LK_MAX_MAIL_LINE + 1];
	char body[LK_MAX_MAIL_LINE + 64];
	struct lk_outbox_msg m = {.id = 42,
	                          .created_at = INT64_C(951782400000), /* 2000-02-29 */
	                          .recipient = "b@example.org",
	                          .purpose = "recovery-started",
	                          .message_key = "ffeeddccbbaa99887766554433221100"};
	char *out = NULL;
	size_t len = 0;

	/* Non-ASCII subject: RFC 2047 encoded words, folded, nothing raw above 0x7f in the
	 * headers. Mixed LF / CRLF body lines all become CRLF; a missing final break is
	 * added. */
	m.subject = "R\xc3\xa9"
	            "cup\xc3\xa9ration de votre compte \xe2\x80\x94 latchkey \xe2\x9c\x93 "
	            "encore un peu plus long";
	m.body = "line one\nline two\r\n\nhttps://example.org/recovery/cancel?token=abc\nend";
	CHECK_EQ_INT(lk_mailer_render(&m, NULL, &out, &len), LK_OK);
	if (out) {
		const char *hdr_end = strstr(out, "\r\n\r\n");
		CHECK(only_crlf(out, len));
		CHECK(strncmp(out, "Date: Tue, 29 Feb 2000 00:00:00 +0000\r\n", 39) == 0);
		CHECK(strstr(out, "\r\nFrom: latchkey <latchkey@localhost>\r\n") != NULL);
		CHECK(strstr(out,
		             "\r\nMessage-ID: <ffeeddccbbaa99887766554433221100@localhost>\r\n"));
		CHECK(strstr(out, "\r\nSubject: =?utf-8?B?") != NULL);
		CHECK(strstr(out, "?=\r\n =?utf-8?B?") != NULL); /* folded: two words */
		CHECK(subject_decodes_to(out, m.subject));
		CHECK(strstr(out, "\r\nX-Latchkey-Purpose: recovery-started\r\n") != NULL);
		for (const char *p = out; hdr_end && p < hdr_end; p++) {
			CHECK((unsigned char)*p < 0x80);
		}
		/* Header lines within the 78-character recommendation. */
		for (const char *p = out; hdr_end && p < hdr_end;) {
			const char *e = strstr(p, "\r\n");
			CHECK(e && e - p <= 78);
			p = e ? e + 2 : hdr_end;
		}
		CHECK(hdr_end && strcmp(hdr_end, "\r\n\r\nline one\r\nline two\r\n\r\n"
		                                 "https://example.org/recovery/cancel?token=abc\r\n"
		                                 "end\r\n") == 0);
		free(out);
		out = NULL;
	}

	/* A 998-byte link line is kept whole, not folded. */
	memset(longline, 'a', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	memcpy(longline, "https://x/?t=", 13);
	snprintf(body, sizeof body, "before\n%s\nafter\n", longline);
	CHECK_EQ_INT(lk_outbox_check("b@example.org", "recovery", "S", body), LK_OK);
	m.subject = "S";
	m.body = body;
	CHECK_EQ_INT(lk_mailer_render(&m, FROM, &out, &len), LK_OK);
	if (out) {
		char want[LK_MAX_MAIL_LINE + 8];
		snprintf(want, sizeof want, "\r\n%s\r\n", longline);
		CHECK(strstr(out, want) != NULL);
		free(out);
	}
}

static void
test_backoff(void)
{
	CHECK_EQ_INT(lk_outbox_backoff_ms(1), 1000);
	CHECK_EQ_INT(lk_outbox_backoff_ms(2), 2000);
	CHECK_EQ_INT(lk_outbox_backoff_ms(3), 4000);
	CHECK_EQ_INT(lk_outbox_backoff_ms(9), 256000);
	CHECK_EQ_INT(lk_outbox_backoff_ms(10), 300000);
	CHECK_EQ_INT(lk_outbox_backoff_ms(11), 300000);
	CHECK_EQ_INT(lk_outbox_backoff_ms(1000000), 300000);
}

static void
test_config_check(void)
{
	struct lk_mailer_config c = {.mail_dir = "/tmp/x", .mail_from = FROM};

	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_OK);
	c.mail_from = "latchkey <a@b.c>";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
	c.mail_from = "a@b.c\r\nBcc: x@y.z";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
	c.mail_from = NULL; /* default latchkey@localhost */
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_OK);
	c.mail_dir = NULL;
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
	c.smtp_url = "smtp://mail.example.com:587";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_OK);
	c.smtp_url = "smtps://u:p@mail.example.com";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_OK);
	c.smtp_url = "smtp://u:p@mail.example.com?starttls=no&cafile=/etc/ca.pem";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_OK);
	c.smtp_url = "smtp://mail.example.com?starttls=maybe";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
	c.smtp_url = "smtp://mail.example.com?other=1";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
	c.smtp_url = "smtps://mail.example.com?starttls=try";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
	c.smtp_url = "http://mail.example.com";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
	c.smtp_url = "smtp://mail.example.com\r\n";
	CHECK_EQ_INT(lk_mailer_config_check(&c), LK_E_INVAL);
}

static void
test_lease(void)
{
	char dir[256];
	struct lk_outbox_msg *a = NULL, *b = NULL, *c = NULL;
	struct lk_store *s;
	int64_t id = 0, next = 0;
	struct row r;

	new_dir(dir, sizeof dir, "lease");
	if (!(s = open_store(dir))) {
		return;
	}
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "a@example.com", "recovery", "S", "b\n", &id), LK_OK);
	CHECK_EQ_INT(lk_outbox_claim(s, NOW, 60000, &a), LK_OK);
	CHECK(a != NULL);
	if (!a) {
		lk_store_close(s);
		return;
	}
	CHECK_EQ_INT(a->id, id);
	CHECK_EQ_INT(a->lease_until, NOW + 60000);
	CHECK_EQ_STR(a->body, "b\n");
	/* Held: nobody else gets it until the lease ends. */
	CHECK_EQ_INT(lk_outbox_claim(s, NOW + 59999, 60000, &b), LK_OK);
	CHECK(b == NULL);
	/* The holder "crashed": after the lease another worker takes it over. */
	CHECK_EQ_INT(lk_outbox_claim(s, NOW + 60000, 60000, &c), LK_OK);
	CHECK(c != NULL);
	/* The stale holder's failure report does not touch the new lease. */
	CHECK_EQ_INT(lk_outbox_mark_failed(s, a, NOW + 60001, "late", &next), LK_OK);
	r = get_row(s, id);
	CHECK_EQ_INT(r.attempts, 0);
	CHECK_EQ_INT(r.next_at, NOW + 120000);
	if (c) {
		CHECK_EQ_INT(lk_outbox_mark_failed(s, c, NOW + 60001, "boom\r\nX: y", &next),
		             LK_OK);
		CHECK_EQ_INT(next, NOW + 60001 + 1000);
		r = get_row(s, id);
		CHECK_EQ_INT(r.attempts, 1);
		CHECK_EQ_INT(r.next_at, NOW + 61001);
		CHECK_EQ_STR(r.last_error, "boom  X: y");
	}
	lk_outbox_msg_free(a);
	lk_outbox_msg_free(b);
	lk_outbox_msg_free(c);
	lk_outbox_msg_free(NULL);
	lk_store_close(s);
}

static void
test_unreachable_smtp(void)
{
	char dir[256];
	struct lk_mailer_config cfg = {.smtp_url = "smtp://127.0.0.1:1", .mail_from = FROM};
	struct lk_store *s;
	int64_t id = 0;
	struct row r;
	int n = -1;

	new_dir(dir, sizeof dir, "unreach");
	if (!(s = open_store(dir))) {
		return;
	}
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "a@example.com", "magic-link", "Sign in", magic_body(), &id),
	    LK_OK);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW, &n), LK_E_IO);
	CHECK_EQ_INT(n, 0);
	r = get_row(s, id);
	CHECK(!r.sent);
	CHECK_EQ_INT(r.attempts, 1);
	CHECK_EQ_INT(r.next_at, NOW + 1000);
	CHECK(r.last_error[0] != '\0');
	CHECK_EQ_STR(r.body, magic_body()); /* kept for the retry */

	/* Not due again before its back-off. */
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 999, &n), LK_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(get_row(s, id).attempts, 1);
	/* Second failure: the back-off doubles. */
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 1000, &n), LK_E_IO);
	r = get_row(s, id);
	CHECK_EQ_INT(r.attempts, 2);
	CHECK_EQ_INT(r.next_at, NOW + 1000 + 2000);
	CHECK(!r.sent);
	lk_store_close(s);
}

struct instance {
	struct lk_store *s;
	const struct lk_mailer_config *cfg;
	int sent;
	int rc;
};

static void *
instance_run(void *arg)
{
	struct instance *in = arg;

	in->rc = lk_mailer_deliver_due(in->s, in->cfg, NOW, &in->sent);
	return NULL;
}

static void
test_two_instances(void)
{
	char dir[256], mail[300];
	struct lk_mailer_config cfg = {.mail_dir = mail, .mail_from = FROM};
	struct instance in[2];
	struct lk_store *s1 = NULL, *s2 = NULL;
	pthread_t th[2];
	enum { N = 24 };

	new_dir(dir, sizeof dir, "two");
	snprintf(mail, sizeof mail, "%s/mail", dir);
	if (!(s1 = open_store(dir))) {
		return;
	}
	if (!(s2 = open_again(dir))) {
		lk_store_close(s1);
		return;
	}
	for (int i = 0; i < N; i++) {
		char to[64];
		snprintf(to, sizeof to, "user%d@example.com", i);
		CHECK_EQ_INT(
		    lk_outbox_queue(s1, NOW - N + i, to, "verify-email", "Verify", "link\n", NULL),
		    LK_OK);
	}
	/* Two instances (two store handles on one database) deliver at once: every message
	 * exactly once. */
	in[0] = (struct instance){s1, &cfg, 0, -99};
	in[1] = (struct instance){s2, &cfg, 0, -99};
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(pthread_create(&th[i], NULL, instance_run, &in[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
	}
	CHECK_EQ_INT(in[0].rc, LK_OK);
	CHECK_EQ_INT(in[1].rc, LK_OK);
	CHECK_EQ_INT(in[0].sent + in[1].sent, N);
	CHECK_EQ_INT(list_dir(mail, NULL, 0), N);
	lk_store_close(s2);
	lk_store_close(s1);
}

static void
test_worker_thread(void)
{
	char dir[256], mail[300];
	struct lk_mailer_config cfg = {.mail_dir = mail, .mail_from = FROM};
	struct lk_mailer *m = NULL;
	struct lk_store *s;
	int64_t id = 0;
	int n = 0;

	new_dir(dir, sizeof dir, "worker");
	snprintf(mail, sizeof mail, "%s/mail", dir);
	if (!(s = open_store(dir))) {
		return;
	}
	CHECK_EQ_INT(lk_mailer_start(s, &cfg, &m), LK_OK);
	if (!m) {
		lk_store_close(s);
		return;
	}
	/* Kicked: delivered at once. */
	CHECK_EQ_INT(
	    lk_outbox_queue(s, wall_ms(), "a@example.com", "verify-email", "Verify", "link\n", &id),
	    LK_OK);
	lk_mailer_kick(m);
	for (int i = 0; i < 100 && (n = list_dir(mail, NULL, 0)) < 1; i++) {
		sleep_ms(20);
	}
	CHECK_EQ_INT(n, 1);
	/* Not kicked (as if queued by another instance): found by the poll. */
	CHECK_EQ_INT(
	    lk_outbox_queue(s, wall_ms(), "b@example.com", "recovery", "Recover", "link\n", &id),
	    LK_OK);
	for (int i = 0; i < 150 && (n = list_dir(mail, NULL, 0)) < 2; i++) {
		sleep_ms(20);
	}
	CHECK_EQ_INT(n, 2);
	lk_mailer_stop(m);
	lk_mailer_stop(NULL);
	lk_mailer_kick(NULL);
	CHECK(get_row(s, id).sent);
	lk_store_close(s);
}

static void
test_smtp_real(void)
{
	char dir[256], box[300], url[128], bad[128];
	struct lk_mailer_config cfg = {.smtp_url = url, .mail_from = FROM};
	struct lk_store *s;
	int64_t id = 0;
	int port = free_port(), n = -1, count = 0;
	pid_t pid;
	char *msg;

	new_dir(dir, sizeof dir, "smtp");
	snprintf(box, sizeof box, "%s/box", dir);
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	if (!(s = open_store(dir))) {
		return;
	}
	pid = smtpd_start(port, box, NULL, NULL);
	CHECK(pid > 0);
	if (pid <= 0) {
		lk_store_close(s);
		return;
	}
	/* Credentials in an smtp:// URL demand STARTTLS, which this server lacks: refused
	 * rather than sending the password in clear. */
	snprintf(bad, sizeof bad, "smtp://user:secret@127.0.0.1:%d", port);
	struct lk_mailer_config bad_cfg = {.smtp_url = bad, .mail_from = FROM};
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "carol@example.com", "recovery", "Recover", "x\n", &id), LK_OK);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &bad_cfg, NOW, &n), LK_E_IO);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(get_row(s, id).attempts, 1);
	CHECK_EQ_INT(lk_db_exec(s, "DELETE FROM outbox", NULL, 0, NULL, NULL, NULL), LK_OK);

	/* Lines that are or start with a dot must survive SMTP's end-of-data convention. */
	char body[1024];
	snprintf(body, sizeof body, "%s.\n..two dots\nlast line\n", magic_body());
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "bob@example.com", "recovery", "Recover your account",
	                             body, &id),
	             LK_OK);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW, &n), LK_OK);
	CHECK_EQ_INT(n, 1);
	CHECK(get_row(s, id).sent);
	msg = maildir_only(box, &count);
	CHECK_EQ_INT(count, 1);
	CHECK(msg != NULL);
	if (msg) {
		CHECK(strstr(msg, "X-Latchkey-Purpose: recovery") != NULL);
		CHECK(strstr(msg, "X-RcptTo: bob@example.com") != NULL);
		CHECK(strstr(msg, "X-MailFrom: " FROM) != NULL);
		CHECK(strstr(msg, "From: latchkey <" FROM ">") != NULL);
		CHECK(strstr(msg, "Subject: Recover your account") != NULL);
		CHECK(has_link_line(msg));
		CHECK(strstr(msg, "\n.\r\n..two dots\r\nlast line\r\n") != NULL ||
		      strstr(msg, "\n.\n..two dots\nlast line\n") != NULL);
		free(msg);
	}
	smtpd_stop(pid);
	lk_store_close(s);
}

static void
test_smtp_down_then_up(void)
{
	char dir[256], box[300], url[128];
	struct lk_mailer_config cfg = {.smtp_url = url, .mail_from = FROM};
	struct lk_store *s;
	int64_t id = 0;
	int port = free_port(), n = -1, count = 0;
	pid_t pid;
	struct row r;
	char *msg;

	new_dir(dir, sizeof dir, "downup");
	snprintf(box, sizeof box, "%s/box", dir);
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	if (!(s = open_store(dir))) {
		return;
	}
	CHECK_EQ_INT(
	    lk_outbox_queue(s, NOW, "dave@example.com", "magic-link", "Sign in", magic_body(), &id),
	    LK_OK);
	/* Nobody listens: the attempt fails, the message stays. */
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW, &n), LK_E_IO);
	CHECK_EQ_INT(n, 0);
	r = get_row(s, id);
	CHECK_EQ_INT(r.attempts, 1);
	CHECK(!r.sent);

	pid = smtpd_start(port, box, NULL, NULL);
	CHECK(pid > 0);
	if (pid <= 0) {
		lk_store_close(s);
		return;
	}
	/* Still backing off: nothing yet. */
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 500, &n), LK_OK);
	CHECK_EQ_INT(n, 0);
	/* Due again: delivered, once. */
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 1000, &n), LK_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 3600000, &n), LK_OK);
	CHECK_EQ_INT(n, 0);
	r = get_row(s, id);
	CHECK(r.sent);
	CHECK_EQ_INT(r.attempts, 2);
	msg = maildir_only(box, &count);
	CHECK_EQ_INT(count, 1);
	CHECK(msg != NULL);
	if (msg) {
		CHECK(strstr(msg, "X-Latchkey-Purpose: magic-link") != NULL);
		CHECK(has_link_line(msg));
		free(msg);
	}
	smtpd_stop(pid);
	lk_store_close(s);
}

/* STARTTLS with a certificate made for the test and trusted through ?cafile=. The server
 * requires STARTTLS before MAIL, so a delivery proves the upgrade happened. */
static void
test_smtp_starttls(void)
{
	char dir[256], box[300], cert[300], key[300], cmd[1200], url[700];
	struct lk_mailer_config cfg = {.smtp_url = url, .mail_from = FROM};
	struct lk_store *s;
	int64_t id = 0;
	int port = free_port(), n = -1, count = 0;
	pid_t pid;
	char *msg;
	int st;

	new_dir(dir, sizeof dir, "tls");
	snprintf(box, sizeof box, "%s/box", dir);
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(cmd, sizeof cmd,
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	         "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 "
	         "-keyout '%s' -out '%s' >/dev/null 2>&1",
	         key, cert);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!(s = open_store(dir))) {
		return;
	}
	pid = smtpd_start(port, box, cert, key);
	CHECK(pid > 0);
	if (pid <= 0) {
		lk_store_close(s);
		return;
	}
	CHECK_EQ_INT(lk_outbox_queue(s, NOW, "erin@example.com", "totp-disabled",
	                             "Two-factor sign-in was turned off", magic_body(), &id),
	             LK_OK);
	/* Without our CA the certificate does not verify: refused, kept for later. */
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d?starttls=required", port);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW, &n), LK_E_IO);
	CHECK_EQ_INT(n, 0);
	/* Told to skip STARTTLS: this server refuses MAIL before it. */
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d?starttls=no", port);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 1000, &n), LK_E_IO);
	CHECK_EQ_INT(n, 0);
	/* Trusting the test CA: STARTTLS, then delivery. */
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d?starttls=required&cafile=%s", port, cert);
	CHECK_EQ_INT(lk_mailer_deliver_due(s, &cfg, NOW + 3000, &n), LK_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(get_row(s, id).attempts, 3);
	msg = maildir_only(box, &count);
	CHECK_EQ_INT(count, 1);
	if (msg) {
		CHECK(strstr(msg, "X-Latchkey-Purpose: totp-disabled") != NULL);
		CHECK(has_link_line(msg));
		free(msg);
	}
	smtpd_stop(pid);
	lk_store_close(s);
}

static void
run_store_tests(void)
{
	RUN(test_maildir_delivery);
	RUN(test_queue_in_transaction);
	RUN(test_header_injection);
	RUN(test_lease);
	RUN(test_unreachable_smtp);
	RUN(test_two_instances);
	RUN(test_worker_thread);
	RUN(test_smtp_real);
	RUN(test_smtp_down_then_up);
	RUN(test_smtp_starttls);
}

int
main(void)
{
	snprintf(root, sizeof root, "/tmp/lk-outbox-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_backoff);
	RUN(test_config_check);
	RUN(test_render);
	run_store_tests();
	g_pg = getenv("LATCHKEY_TEST_PG_URL");
	if (g_pg && *g_pg) {
		fprintf(stderr, "test_outbox: again on PostgreSQL\n");
		run_store_tests();
	}
	rm_rf(root);
	return check_done("test_outbox");
}
