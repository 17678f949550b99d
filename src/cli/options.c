/* options.c: parsing and checking `serve` options (API.md "Command line", API-NOTES
 * 140-144). Every option has a LATCHKEY_<NAME> twin; the command line wins. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/options.h"
#include "core/duration.h"
#include "core/limits.h"
#include "core/rc.h"

enum kind { K_STR, K_INT, K_DUR, K_DUR0, K_BOOL, K_LIST };

struct opt {
	const char *name;
	enum kind kind;
	size_t off;  /* into struct lk_config */
	size_t size; /* K_STR buffer size */
	long min, max;
};

#define S(n, f)                                                                                    \
	{                                                                                          \
		n, K_STR, offsetof(struct lk_config, f), sizeof(((struct lk_config *)0)->f), 0, 0  \
	}
#define I(n, f, lo, hi)                                                                            \
	{                                                                                          \
		n, K_INT, offsetof(struct lk_config, f), 0, lo, hi                                 \
	}
#define D(n, f, k)                                                                                 \
	{                                                                                          \
		n, k, offsetof(struct lk_config, f), 0, 0, 0                                       \
	}

static const struct opt opts[] = {
    S("listen", listen_host),
    I("threads", threads, 1, 256),
    S("data-dir", data_dir),
    S("db", db_url),
    S("origin", origin),
    {"top-origin", K_LIST, 0, 0, 0, 0},
    S("rp-id", rp_id),
    S("rp-name", rp_name),
    S("issuer", issuer),
    S("mail-dir", mail_dir),
    S("smtp-url", smtp_url),
    S("mail-from", mail_from),
    {"trusted-proxy", K_LIST, 0, 0, 0, 0},
    D("sudo-ttl", sudo_ttl, K_DUR0),
    D("magic-link-ttl", magic_link_ttl, K_DUR),
    D("recovery-delay", recovery_delay, K_DUR0),
    D("session-ttl", session_ttl, K_DUR),
    D("session-idle-ttl", session_idle_ttl, K_DUR),
    I("totp-skew", totp_skew, 0, 10),
    S("totp-algorithm", totp_algorithm),
    I("totp-digits", totp_digits, 6, 8),
    {"totp-period", K_STR, 0, 0, 0, 0},
    {"magic-link-signup", K_BOOL, offsetof(struct lk_config, magic_link_signup), 0, 0, 0},
    {"attestation", K_STR, 0, 0, 0, 0},
    S("attestation-roots", attestation_roots),
    I("rate-login-account", rate_login_account, 0, 1000000),
    I("rate-login-ip", rate_login_ip, 0, 1000000),
    I("rate-2fa-session", rate_2fa_session, 1, 1000000),
    I("rate-2fa-account", rate_2fa_account, 0, 1000000),
    I("rate-mail-email", rate_mail_email, 0, 1000000),
    I("rate-mail-ip", rate_mail_ip, 0, 1000000),
    I("rate-mail-global", rate_mail_global, 0, 1000000),
    I("rate-passkey-ip", rate_passkey_ip, 0, 1000000),
    I("rate-signup-ip", rate_signup_ip, 0, 1000000),
};
#define N_OPTS ((int)(sizeof(opts) / sizeof(opts[0])))

static char listen_raw[300], period_raw[64], attestation_raw[16];
static char top_raw[4096], proxy_raw[2048];

static int
bad(const char *name, const char *why)
{
	fprintf(stderr, "latchkey: --%s: %s\n", name, why);
	return -1;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off", ""};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	}
	for (size_t i = 0; i < 5; i++) {
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static void
append_list(char *buf, size_t cap, const char *v)
{
	size_t n = strlen(buf);

	snprintf(buf + n, cap - n, "%s%s", n ? "," : "", v);
}

/* Sets one option; from_env lists replace, command-line lists append. */
static int
set(struct lk_config *cfg, const struct opt *o, const char *v, int *list_reset)
{
	char *base = (char *)cfg;

	if (strcmp(o->name, "listen") == 0) {
		if (strlen(v) >= sizeof(listen_raw)) {
			return bad(o->name, "too long");
		}
		snprintf(listen_raw, sizeof(listen_raw), "%s", v);
		return 0;
	}
	if (strcmp(o->name, "totp-period") == 0) {
		snprintf(period_raw, sizeof(period_raw), "%s", v);
		return 0;
	}
	if (strcmp(o->name, "attestation") == 0) {
		snprintf(attestation_raw, sizeof(attestation_raw), "%s", v);
		return 0;
	}
	switch (o->kind) {
	case K_STR:
		if (strlen(v) >= o->size) {
			return bad(o->name, "too long");
		}
		snprintf(base + o->off, o->size, "%s", v);
		return 0;
	case K_INT: {
		char *end;
		errno = 0;
		long x = strtol(v, &end, 10);
		if (errno || end == v || *end || x < o->min || x > o->max) {
			return bad(o->name, "not a number in range");
		}
		*(int *)(base + o->off) = (int)x;
		return 0;
	}
	case K_DUR:
	case K_DUR0: {
		int64_t ms;
		if (lk_duration_parse(v, &ms) != LK_OK || (o->kind == K_DUR && ms <= 0)) {
			return bad(o->name, o->kind == K_DUR ? "not a positive duration (e.g. 15m)"
			                                     : "not a duration (e.g. 10m)");
		}
		*(int64_t *)(base + o->off) = ms;
		return 0;
	}
	case K_BOOL:
		if (parse_bool(v, (int *)(base + o->off)) != 0) {
			return bad(o->name, "not a boolean");
		}
		return 0;
	case K_LIST: {
		int top = strcmp(o->name, "top-origin") == 0;
		char *buf = top ? top_raw : proxy_raw;
		size_t cap = top ? sizeof(top_raw) : sizeof(proxy_raw);
		if (list_reset && !list_reset[top]) {
			buf[0] = '\0';
			list_reset[top] = 1;
		}
		if (strlen(buf) + strlen(v) + 2 > cap) {
			return bad(o->name, "too long");
		}
		append_list(buf, cap, v);
		return 0;
	}
	}
	return -1;
}

static void
defaults(struct lk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->threads = cores > 0 ? (int)cores : 2;
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "./latchkey-data");
	snprintf(cfg->origin, sizeof(cfg->origin), "http://localhost:8080");
	snprintf(cfg->rp_name, sizeof(cfg->rp_name), "latchkey");
	snprintf(cfg->issuer, sizeof(cfg->issuer), "latchkey");
	snprintf(cfg->mail_from, sizeof(cfg->mail_from), "latchkey@localhost");
	snprintf(cfg->totp_algorithm, sizeof(cfg->totp_algorithm), "SHA1");
	cfg->sudo_ttl = 10 * 60 * 1000LL;
	cfg->magic_link_ttl = 15 * 60 * 1000LL;
	cfg->recovery_delay = 24 * 3600 * 1000LL;
	cfg->session_ttl = 30 * 24 * 3600 * 1000LL;
	cfg->session_idle_ttl = 7 * 24 * 3600 * 1000LL;
	cfg->totp_skew = 1;
	cfg->totp_digits = 6;
	cfg->totp_period = 30;
	cfg->rate_login_account = 10;
	cfg->rate_login_ip = 100;
	cfg->rate_2fa_session = 5;
	cfg->rate_2fa_account = 10;
	cfg->rate_mail_email = 5;
	cfg->rate_mail_ip = 30;
	cfg->rate_mail_global = 1000;
	cfg->rate_passkey_ip = 300;
	cfg->rate_signup_ip = 20;
	snprintf(listen_raw, sizeof(listen_raw), "127.0.0.1:8080");
	period_raw[0] = attestation_raw[0] = top_raw[0] = proxy_raw[0] = '\0';
}

static const struct opt *
find(const char *name, size_t n)
{
	for (int i = 0; i < N_OPTS; i++) {
		if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0) {
			return &opts[i];
		}
	}
	return NULL;
}

/* 1 when argv names the option (--name or --name=value). */
static int
on_command_line(const char *name, int argc, char **argv)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, n) == 0 &&
		    (argv[i][2 + n] == '\0' || argv[i][2 + n] == '=')) {
			return 1;
		}
	}
	return 0;
}

static int
from_env(struct lk_config *cfg, int argc, char **argv)
{
	char var[64];

	for (int i = 0; i < N_OPTS; i++) {
		if (on_command_line(opts[i].name, argc, argv)) {
			continue; /* the command line wins, even over a malformed variable */
		}
		snprintf(var, sizeof(var), "LATCHKEY_%s", opts[i].name);
		for (char *p = var; *p; p++) {
			*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
		}
		const char *v = getenv(var);
		if (v && set(cfg, &opts[i], v, NULL) != 0) {
			return -1;
		}
	}
	return 0;
}

/* Parses the command line from argv[1]; stops at the first non-option when stop is set
 * and returns its index in *first. */
static int
from_argv(struct lk_config *cfg, int argc, char **argv, int only_store, int *first)
{
	int list_reset[2] = {0, 0};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *v;
		const struct opt *o;

		if (strncmp(a, "--", 2) != 0) {
			if (first) {
				*first = i;
				return 0;
			}
			fprintf(stderr, "latchkey: unexpected argument '%s'\n", a);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		o = find(a, eq ? (size_t)(eq - a) : strlen(a));
		if (!o || (only_store && strcmp(o->name, "data-dir") != 0 &&
		           strcmp(o->name, "db") != 0)) {
			fprintf(stderr, "latchkey: --%.*s: unknown option\n",
			        (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
			return -1;
		}
		if (eq) {
			v = eq + 1;
		} else if (o->kind == K_BOOL) {
			v = "1";
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return bad(o->name, "needs a value");
		}
		if (set(cfg, o, v, list_reset) != 0) {
			return -1;
		}
	}
	if (first) {
		*first = argc;
	}
	return 0;
}

/* Splits "scheme://host[:port][/]" into its normalised origin and host. */
static int
parse_origin(const char *name, const char *in, char *out, size_t cap, char *host, size_t host_cap)
{
	const char *rest, *end, *h;
	int https;
	char hostbuf[256];
	long port = -1;

	if (strncasecmp(in, "http://", 7) == 0) {
		https = 0;
		rest = in + 7;
	} else if (strncasecmp(in, "https://", 8) == 0) {
		https = 1;
		rest = in + 8;
	} else {
		return bad(name, "must be an http(s) origin");
	}
	end = rest + strcspn(rest, "/?#");
	if ((*end == '/' && end[1] != '\0') || *end == '?' || *end == '#' ||
	    memchr(rest, '@', (size_t)(end - rest)) || end == rest) {
		return bad(name, "must be a bare origin (no path, query, fragment or credentials)");
	}
	h = rest;
	const char *colon = NULL;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb) {
			return bad(name, "bad IPv6 host");
		}
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < end && !colon) {
			return bad(name, "bad host");
		}
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
	}
	size_t hl = (size_t)((colon ? colon : end) - h);
	if (hl == 0 || hl >= sizeof(hostbuf)) {
		return bad(name, "bad host");
	}
	memcpy(hostbuf, h, hl);
	hostbuf[hl] = '\0';
	for (char *p = hostbuf; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && !strchr(".-[]:", *p)) {
			return bad(name, "bad host");
		}
	}
	if (colon) {
		char *pe;
		port = strtol(colon + 1, &pe, 10);
		if (pe != end || port < 1 || port > 65535) {
			return bad(name, "bad port");
		}
		if ((https && port == 443) || (!https && port == 80)) {
			port = -1;
		}
	}
	if (port > 0) {
		snprintf(out, cap, "%s://%s:%ld", https ? "https" : "http", hostbuf, port);
	} else {
		snprintf(out, cap, "%s://%s", https ? "https" : "http", hostbuf);
	}
	if (host) {
		snprintf(host, host_cap, "%s", hostbuf);
	}
	return https;
}

static int
parse_cidr(const char *s, struct lk_cidr *c)
{
	char buf[80];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct in_addr v4;
	struct in6_addr v6;
	long prefix;

	if (n == 0 || n >= sizeof(buf)) {
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		c->addr[10] = c->addr[11] = 0xff;
		memcpy(c->addr + 12, &v4, 4);
		prefix = 32;
		if (slash) {
			char *e;
			prefix = strtol(slash + 1, &e, 10);
			if (*e || e == slash + 1 || prefix < 0 || prefix > 32) {
				return -1;
			}
		}
		c->prefix = (int)prefix + 96;
	} else if (inet_pton(AF_INET6, buf, &v6) == 1) {
		memcpy(c->addr, &v6, 16);
		prefix = 128;
		if (slash) {
			char *e;
			prefix = strtol(slash + 1, &e, 10);
			if (*e || e == slash + 1 || prefix < 0 || prefix > 128) {
				return -1;
			}
		}
		c->prefix = (int)prefix;
	} else {
		return -1;
	}
	return 0;
}

static int
check(struct lk_config *cfg)
{
	char origin[sizeof(cfg->origin)], host[256];
	int https;

	/* --listen: ADDR:PORT, [v6]:PORT, localhost:PORT */
	{
		const char *colon = strrchr(listen_raw, ':');
		char *e;
		long port;
		if (!colon || colon == listen_raw) {
			return bad("listen", "expected ADDR:PORT");
		}
		port = strtol(colon + 1, &e, 10);
		if (*e || e == colon + 1 || port < 0 || port > 65535) {
			return bad("listen", "bad port");
		}
		size_t hl = (size_t)(colon - listen_raw);
		const char *h = listen_raw;
		if (*h == '[') {
			if (hl < 3 || h[hl - 1] != ']') {
				return bad("listen", "bad IPv6 address");
			}
			h++;
			hl -= 2;
		}
		if (hl >= sizeof(cfg->listen_host)) {
			return bad("listen", "too long");
		}
		memcpy(cfg->listen_host, h, hl);
		cfg->listen_host[hl] = '\0';
		cfg->listen_port = (int)port;
	}
	if ((https = parse_origin("origin", cfg->origin, origin, sizeof(origin), host,
	                          sizeof(host))) < 0) {
		return -1;
	}
	snprintf(cfg->origin, sizeof(cfg->origin), "%s", origin);
	cfg->secure_cookie = https;
	if (cfg->rp_id[0] == '\0') {
		snprintf(cfg->rp_id, sizeof(cfg->rp_id), "%s", host);
	} else {
		size_t hl = strlen(host), rl = strlen(cfg->rp_id);
		if (!(strcasecmp(host, cfg->rp_id) == 0 ||
		      (hl > rl && host[hl - rl - 1] == '.' &&
		       strcasecmp(host + hl - rl, cfg->rp_id) == 0))) {
			return bad("rp-id", "must be the origin's host or a parent domain of it");
		}
	}
	for (char *p = top_raw, *next; p && *p; p = next) {
		char tmp[512], norm[512];
		next = strchr(p, ',');
		size_t n = next ? (size_t)(next - p) : strlen(p);
		if (next) {
			next++;
		}
		if (n == 0 || n >= sizeof(tmp) || cfg->n_top_origins >= LK_MAX_TOP_ORIGINS) {
			return bad("top-origin", "bad list");
		}
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		if (parse_origin("top-origin", tmp, norm, sizeof(norm), NULL, 0) < 0) {
			return -1;
		}
		cfg->top_origins[cfg->n_top_origins++] = strdup(norm);
	}
	for (char *p = proxy_raw, *next; p && *p; p = next) {
		char tmp[80];
		next = strchr(p, ',');
		size_t n = next ? (size_t)(next - p) : strlen(p);
		if (next) {
			next++;
		}
		while (n && *p == ' ') {
			p++;
			n--;
		}
		if (n == 0 || n >= sizeof(tmp) || cfg->n_proxies >= LK_MAX_PROXIES) {
			return bad("trusted-proxy", "bad list");
		}
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		if (parse_cidr(tmp, &cfg->proxies[cfg->n_proxies++]) != 0) {
			return bad("trusted-proxy", "not an address or CIDR range");
		}
	}
	if (strchr(cfg->issuer, ':') || cfg->issuer[0] == '\0') {
		return bad("issuer", "must be non-empty and hold no ':'");
	}
	if (cfg->totp_digits != 6 && cfg->totp_digits != 8) {
		return bad("totp-digits", "must be 6 or 8");
	}
	if (strcasecmp(cfg->totp_algorithm, "sha1") == 0) {
		snprintf(cfg->totp_algorithm, sizeof(cfg->totp_algorithm), "SHA1");
	} else if (strcasecmp(cfg->totp_algorithm, "sha256") == 0) {
		snprintf(cfg->totp_algorithm, sizeof(cfg->totp_algorithm), "SHA256");
	} else if (strcasecmp(cfg->totp_algorithm, "sha512") == 0) {
		snprintf(cfg->totp_algorithm, sizeof(cfg->totp_algorithm), "SHA512");
	} else {
		return bad("totp-algorithm", "must be SHA1, SHA256 or SHA512");
	}
	if (period_raw[0]) {
		int64_t ms;
		if (lk_duration_parse(period_raw, &ms) != LK_OK || ms % 1000 != 0 || ms < 1000 ||
		    ms > 3600 * 1000) {
			return bad("totp-period", "whole seconds from 1s to 1h");
		}
		cfg->totp_period = (int)(ms / 1000);
	}
	if (attestation_raw[0]) {
		if (strcmp(attestation_raw, "none") == 0) {
			cfg->attestation_direct = 0;
		} else if (strcmp(attestation_raw, "direct") == 0) {
			cfg->attestation_direct = 1;
		} else {
			return bad("attestation", "none or direct");
		}
	}
	if (cfg->data_dir[0] == '\0') {
		return bad("data-dir", "must not be empty");
	}
	if (cfg->db_url[0] == '\0') {
		snprintf(cfg->db_url, sizeof(cfg->db_url), "sqlite:%s/latchkey.db", cfg->data_dir);
	}
	if (cfg->mail_dir[0] == '\0') {
		snprintf(cfg->mail_dir, sizeof(cfg->mail_dir), "%s/mail", cfg->data_dir);
	}
	return 0;
}

char *
lk_read_all(FILE *f, size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1), *nb;

	if (buf == NULL) {
		return NULL;
	}
	for (;;) {
		size_t got;
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Reads every *.pem file of --attestation-roots: the WebAuthn attestation trust anchors. */
static int
load_anchors(struct lk_config *cfg)
{
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (cfg->attestation_roots[0] == '\0') {
		return 0;
	}
	if (!(d = opendir(cfg->attestation_roots))) {
		return bad("attestation-roots", "not a readable directory");
	}
	while (rc == 0 && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[1200], *text;
		FILE *f;
		size_t len;

		if (n < 5 || strcmp(e->d_name + n - 4, ".pem") != 0) {
			continue;
		}
		if (cfg->n_anchors >= LK_MAX_ANCHORS) {
			rc = bad("attestation-roots", "too many .pem files");
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", cfg->attestation_roots, e->d_name);
		if (!(f = fopen(path, "rb"))) {
			rc = bad("attestation-roots", "a .pem file is unreadable");
			break;
		}
		text = lk_read_all(f, LK_MAX_ANCHOR_BYTES, &len);
		fclose(f);
		if (!text || !strstr(text, "-----BEGIN CERTIFICATE-----")) {
			free(text);
			rc = bad("attestation-roots",
			         "a .pem file is too large, unreadable or holds no certificate");
			break;
		}
		char **grown =
		    realloc(cfg->anchors_pem, sizeof(char *) * (size_t)(cfg->n_anchors + 1));
		if (!grown) {
			free(text);
			rc = bad("attestation-roots", "out of memory");
			break;
		}
		cfg->anchors_pem = grown;
		cfg->anchors_pem[cfg->n_anchors++] = text;
	}
	closedir(d);
	if (rc == 0 && cfg->n_anchors == 0) {
		rc = bad("attestation-roots", "holds no .pem file");
	}
	return rc;
}

int
lk_options_parse(struct lk_config *cfg, int argc, char **argv)
{
	defaults(cfg);
	if (from_env(cfg, argc, argv) != 0 || from_argv(cfg, argc, argv, 0, NULL) != 0 ||
	    check(cfg) != 0 || load_anchors(cfg) != 0) {
		lk_options_free(cfg);
		return -1;
	}
	return 0;
}

int
lk_options_parse_store(struct lk_config *cfg, int argc, char **argv, int *first_arg)
{
	defaults(cfg);
	const char *v;
	if ((v = getenv("LATCHKEY_DATA_DIR"))) {
		snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", v);
	}
	if ((v = getenv("LATCHKEY_DB"))) {
		snprintf(cfg->db_url, sizeof(cfg->db_url), "%s", v);
	}
	if (from_argv(cfg, argc, argv, 1, first_arg) != 0) {
		return -1;
	}
	if (cfg->db_url[0] == '\0') {
		snprintf(cfg->db_url, sizeof(cfg->db_url), "sqlite:%s/latchkey.db", cfg->data_dir);
	}
	return 0;
}

void
lk_options_free(struct lk_config *cfg)
{
	for (int i = 0; i < cfg->n_top_origins; i++) {
		free(cfg->top_origins[i]);
		cfg->top_origins[i] = NULL;
	}
	cfg->n_top_origins = 0;
	for (int i = 0; i < cfg->n_anchors; i++) {
		free(cfg->anchors_pem[i]);
	}
	free(cfg->anchors_pem);
	cfg->anchors_pem = NULL;
	cfg->n_anchors = 0;
}
