/* server.c: the HTTP edge on libmicrohttpd: a thread pool, connection limits and
 * time-outs, bodies capped while they are read, the headers every response carries, and
 * a drain on SIGTERM. Bytes from the network become a struct lk_req here. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "core/limits.h"
#include "http/http.h"
#include "http/server.h"

struct conn_state {
	struct lk_req req;
	struct lk_resp resp;
	int answered; /* resp is final (precheck refused or body over the cap) */
	int too_big;
	size_t discarded; /* body bytes dropped after the answer was decided */
	char *content_type;
	struct timespec start;
	size_t cap;
};

struct lk_server {
	struct MHD_Daemon *d;
	struct lk_app *app;
	_Atomic int in_flight;
	int port;
};

static const char *const json_csp = "default-src 'none'; frame-ancestors 'none'";
static const char *const page_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static void
addr_to_mapped(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static int
in_cidr(const struct lk_cidr *c, const unsigned char a[16])
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, a, (size_t)full) != 0) {
		return 0;
	}
	if (rest == 0) {
		return 1;
	}
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (a[full] & mask);
}

static int
trusted(const struct lk_config *cfg, const unsigned char a[16])
{
	for (int i = 0; i < cfg->n_proxies; i++) {
		if (in_cidr(&cfg->proxies[i], a)) {
			return 1;
		}
	}
	return 0;
}

static int
parse_ip(const char *s, size_t n, unsigned char out[16])
{
	char buf[64];
	struct in_addr v4;
	struct in6_addr v6;

	if (n == 0 || n >= sizeof(buf)) {
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &v6) == 1) {
		memcpy(out, &v6, 16);
		return 0;
	}
	return -1;
}

static void
format_ip(const unsigned char a[16], char *out, size_t cap)
{
	static const unsigned char v4pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(a, v4pre, 12) == 0) {
		inet_ntop(AF_INET, a + 12, out, (socklen_t)cap);
	} else {
		inet_ntop(AF_INET6, a, out, (socklen_t)cap);
	}
}

/* The client address: the peer, or behind a trusted proxy the right-most X-Forwarded-For
 * entry that is not itself a trusted proxy (API-NOTES 134). */
static void
client_ip(struct lk_app *app, struct MHD_Connection *c, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	unsigned char peer[16];
	const char *xff;

	snprintf(out, cap, "unknown");
	if (!ci || !ci->client_addr) {
		return;
	}
	addr_to_mapped(ci->client_addr, peer);
	xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
	if (xff && trusted(&app->cfg, peer)) {
		const char *end = xff + strlen(xff);
		while (end > xff) {
			const char *start = end;
			while (start > xff && start[-1] != ',') {
				start--;
			}
			const char *a = start, *b = end;
			while (a < b && (*a == ' ' || *a == '\t')) {
				a++;
			}
			while (b > a && (b[-1] == ' ' || b[-1] == '\t')) {
				b--;
			}
			unsigned char cand[16];
			if (parse_ip(a, (size_t)(b - a), cand) != 0) {
				break;
			}
			memcpy(peer, cand, 16);
			if (!trusted(&app->cfg, cand)) {
				break;
			}
			end = start > xff ? start - 1 : xff;
		}
	}
	format_ip(peer, out, cap);
}

static void
read_cookie(struct MHD_Connection *c, char *out, size_t cap)
{
	const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "latchkey_session");

	out[0] = '\0';
	if (v && strlen(v) < cap) {
		snprintf(out, cap, "%s", v);
	}
}

struct framing {
	int n_length;
	int lengths_differ;
	const char *first;
};

static enum MHD_Result
count_lengths(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, "Content-Length") == 0) {
		if (f->n_length++ == 0) {
			f->first = value;
		} else if (strcmp(f->first ? f->first : "", value ? value : "") != 0) {
			f->lengths_differ = 1;
		}
	}
	return MHD_YES;
}

/* 0 when the body's framing is unambiguous (RFC 9112 6.1, 6.3): no Content-Length values
 * that differ, and a Transfer-Encoding only as exactly "chunked" and without a
 * Content-Length beside it. A request framed otherwise could be read differently by a
 * proxy in front (request smuggling), so it is refused and the connection closed. */
static int
framing_bad(struct MHD_Connection *c)
{
	struct framing f = {0, 0, NULL};
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_lengths, &f);
	if (f.lengths_differ) {
		return 1;
	}
	if (te) {
		while (*te == ' ' || *te == '\t') {
			te++;
		}
		size_t n = strlen(te);
		while (n > 0 && (te[n - 1] == ' ' || te[n - 1] == '\t')) {
			n--;
		}
		if (f.n_length > 0 || n != strlen("chunked") ||
		    strncasecmp(te, "chunked", n) != 0) {
			return 1;
		}
	}
	return 0;
}

static enum MHD_Result
send_response(struct lk_server *srv, struct MHD_Connection *c, struct conn_state *st)
{
	struct lk_resp *r = &st->resp;
	struct MHD_Response *mr;
	enum MHD_Result ret;
	int head = strcmp(st->req.method, "HEAD") == 0;

	if (r->status == 0) {
		lk_resp_internal(r);
	}
	mr =
	    MHD_create_response_from_buffer(head ? 0 : r->body_len, r->body, MHD_RESPMEM_MUST_COPY);
	if (!mr) {
		return MHD_NO;
	}
	if (r->content_type) {
		MHD_add_response_header(mr, "Content-Type", r->content_type);
	}
	MHD_add_response_header(mr, "Cache-Control",
	                        r->cacheable ? "public, max-age=300" : "no-store");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(mr, "X-Frame-Options", "DENY");
	MHD_add_response_header(mr, "Content-Security-Policy", r->is_page ? page_csp : json_csp);
	for (int i = 0; i < r->n_headers; i++) {
		MHD_add_response_header(mr, r->headers[i][0], r->headers[i][1]);
	}
	if (r->status == 413) {
		MHD_add_response_header(mr, "Connection", "close");
	}
	ret = MHD_queue_response(c, (unsigned int)r->status, mr);
	MHD_destroy_response(mr);
	(void)srv;
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct lk_server *srv = cls;
	struct conn_state *st = *con_cls;

	(void)version;
	if (!st) {
		const char *cl;
		int64_t content_length = -1;

		if (!(st = calloc(1, sizeof(*st)))) {
			return MHD_NO;
		}
		*con_cls = st;
		atomic_fetch_add(&srv->in_flight, 1);
		clock_gettime(CLOCK_MONOTONIC, &st->start);
		st->req.app = srv->app;
		st->req.conn = c;
		st->req.method = method;
		st->req.path = url;
		st->req.now = lk_now_ms();
		client_ip(srv->app, c, st->req.ip, sizeof(st->req.ip));
		const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
		snprintf(st->req.user_agent, sizeof(st->req.user_agent), "%s", ua ? ua : "");
		read_cookie(c, st->req.token, sizeof(st->req.token));
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl) {
			char *end;
			long long v = strtoll(cl, &end, 10);
			content_length = (*end == '\0' && v >= 0) ? v : LK_MAX_BODY + 1;
		}
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		st->content_type = ct ? strdup(ct) : NULL;
		if (framing_bad(c)) {
			lk_resp_error(&st->resp, 400, "bad_request", "ambiguous message framing");
			lk_resp_header(&st->resp, "Connection", "close");
			st->answered = 1;
			return send_response(srv, c, st);
		}
		if (lk_route_precheck(
		        &st->req, ct, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
		        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site"),
		        content_length, &st->resp) != 0) {
			/* Queued now, before any body is read: libmicrohttpd refuses a response
			 * queued in the middle of an upload, and after an early one it closes the
			 * connection instead of reading a body nobody wants. */
			st->answered = 1;
			return send_response(srv, c, st);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (st->answered || st->req.ignore_body) {
			/* A chunked body went over the cap while being read (its 413 can be
			 * queued only once the upload ends), or a body /auth/check ignores: the
			 * rest is dropped, up to a bound past which the connection is closed
			 * without an answer. */
			st->discarded += *upload_size;
			*upload_size = 0;
			return st->discarded > LK_MAX_BODY_DISCARD ? MHD_NO : MHD_YES;
		}
		if (st->req.body_len + *upload_size > LK_MAX_BODY) {
			lk_resp_error(&st->resp, 413, "payload_too_large",
			              "the body is larger than 64 KiB");
			st->answered = 1;
		} else {
			if (st->req.body_len + *upload_size > st->cap) {
				size_t ncap = st->cap ? st->cap * 2 : 1024;
				while (ncap < st->req.body_len + *upload_size) {
					ncap *= 2;
				}
				char *nb = realloc(st->req.body, ncap + 1);
				if (!nb) {
					return MHD_NO;
				}
				st->req.body = nb;
				st->cap = ncap;
			}
			memcpy(st->req.body + st->req.body_len, upload, *upload_size);
			st->req.body_len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!st->answered) {
		if (st->req.body_len > 0 && st->req.route && !lk_route_media_ok(st->content_type)) {
			lk_resp_error(&st->resp, 415, "unsupported_media_type",
			              "send application/json");
		} else {
			lk_route(&st->req, &st->resp);
		}
	}
	return send_response(srv, c, st);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct lk_server *srv = cls;
	struct conn_state *st = *con_cls;
	struct timespec end;

	(void)c;
	(void)toe;
	if (!st) {
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	int64_t us =
	    (end.tv_sec - st->start.tv_sec) * 1000000LL + (end.tv_nsec - st->start.tv_nsec) / 1000;
	lk_metrics_request(&srv->app->metrics, st->req.route, st->req.method, st->resp.status, us);
	json_decref(st->req.json);
	free(st->req.body);
	free(st->content_type);
	lk_resp_free(&st->resp);
	free(st);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

int
lk_server_start(struct lk_app *app, struct lk_server **out)
{
	struct lk_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	struct addrinfo hints, *ai = NULL;
	char port[16];
	unsigned int flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;

	if (!srv) {
		return -1;
	}
	srv->app = app;
	snprintf(port, sizeof(port), "%d", app->cfg.listen_port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(app->cfg.listen_host, port, &hints, &ai) != 0 || !ai) {
		fprintf(stderr, "latchkey: --listen: cannot resolve %s\n", app->cfg.listen_host);
		free(srv);
		return -1;
	}
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	sl = ai->ai_addrlen;
	if (ai->ai_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	freeaddrinfo(ai);
	(void)sl;
	srv->d = MHD_start_daemon(
	    flags, (uint16_t)app->cfg.listen_port, NULL, NULL, on_request, srv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)app->cfg.threads, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)LK_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)LK_CONNECTION_TIMEOUT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)LK_MAX_HEADERS + 4096, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)(app->cfg.n_proxies ? 0 : LK_MAX_CONNECTIONS_PER_PEER),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
	if (!srv->d) {
		fprintf(stderr, "latchkey: --listen: cannot listen on %s:%d\n",
		        app->cfg.listen_host, app->cfg.listen_port);
		free(srv);
		return -1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : app->cfg.listen_port;
	*out = srv;
	return 0;
}

int
lk_server_port(const struct lk_server *srv)
{
	return srv->port;
}

void
lk_server_stop(struct lk_server *srv, int drain_ms)
{
	if (!srv) {
		return;
	}
	MHD_quiesce_daemon(srv->d);
	for (int waited = 0; waited < drain_ms && atomic_load(&srv->in_flight) > 0; waited += 10) {
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(srv->d);
	free(srv);
}
