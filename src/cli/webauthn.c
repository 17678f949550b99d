/* webauthn.c: `latchkey webauthn verify-registration | verify-authentication`: runs the
 * server's WebAuthn verifier (core/webauthn) on a response JSON read from stdin, with the
 * expectations given as options. Prints one JSON object on stdout: the result (exit 0) or
 * {"error","message"} (exit 1); usage errors go to stderr (exit 2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/limits.h"
#include "core/rc.h"
#include "core/webauthn/wa_util.h"
#include "core/webauthn/webauthn.h"

#define MAX_LIST 16

struct opts {
	int registration;
	const char *challenge, *rp_id, *public_key, *user_handle;
	const char *origins[MAX_LIST], *top_origins[MAX_LIST], *anchor_files[MAX_LIST];
	size_t n_origins, n_top, n_anchors;
	int algs[32];
	size_t n_algs;
	int require_uv, require_up, cts_optional, discoverable, backup_eligible, have_now;
	int64_t now_ms;
	long long sign_count;
};

static int
usage(const char *msg)
{
	fprintf(stderr, "latchkey webauthn: %s\n", msg);
	fputs(
	    "usage: latchkey webauthn verify-registration --challenge C --origin O --rp-id R\n"
	    "         [--require-uv] [--now ISO-8601] [--top-origin O]... [--algs -7,-8,-257]\n"
	    "         [--trust-anchor PEM-FILE]... [--no-require-up] [--safetynet-cts-optional]\n"
	    "         < RegistrationResponseJSON\n"
	    "       latchkey webauthn verify-authentication --challenge C --origin O --rp-id R\n"
	    "         --public-key COSE-B64URL --sign-count N [--require-uv] [--user-handle "
	    "B64URL]\n"
	    "         [--discoverable] [--backup-eligible 0|1] [--top-origin O]... [--algs LIST]\n"
	    "         < AuthenticationResponseJSON\n",
	    stderr);
	return 2;
}

/* "2025-01-30T23:59:59.000Z" or without the fraction; UTC only. */
static int
parse_iso(const char *s, int64_t *ms)
{
	struct tm tm;
	char *end;
	long frac = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		return -1;
	}
	if (*end == '.') {
		int digits = 0;
		end++;
		while (*end >= '0' && *end <= '9' && digits < 9) {
			if (digits < 3) {
				frac = frac * 10 + (*end - '0');
			}
			digits++;
			end++;
		}
		if (digits == 0) {
			return -1;
		}
		while (digits < 3) {
			frac *= 10;
			digits++;
		}
	}
	if (strcmp(end, "Z") != 0) {
		return -1;
	}
	t = timegm(&tm);
	if (t == (time_t)-1) {
		return -1;
	}
	*ms = (int64_t)t * 1000 + frac;
	return 0;
}

static int
parse_algs(const char *s, struct opts *o)
{
	const char *p = s;
	char *end;
	long v;

	o->n_algs = 0;
	while (*p) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno != 0 || end == p || v < -65536 || v > 65536 ||
		    o->n_algs == sizeof(o->algs) / sizeof(o->algs[0])) {
			return -1;
		}
		o->algs[o->n_algs++] = (int)v;
		if (*end == ',') {
			end++;
			if (*end == '\0') {
				return -1;
			}
		} else if (*end != '\0') {
			return -1;
		}
		p = end;
	}
	return o->n_algs > 0 ? 0 : -1;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                                                    \
	do {                                                                                       \
		if (v == NULL) {                                                                   \
			fprintf(stderr, "latchkey webauthn: %s needs a value\n", a);               \
			return -1;                                                                 \
		}                                                                                  \
		i++;                                                                               \
	} while (0)
		if (strcmp(a, "--challenge") == 0) {
			NEEDV();
			o->challenge = v;
		} else if (strcmp(a, "--origin") == 0) {
			NEEDV();
			if (o->n_origins == MAX_LIST) {
				return -1;
			}
			o->origins[o->n_origins++] = v;
		} else if (strcmp(a, "--top-origin") == 0) {
			NEEDV();
			if (o->n_top == MAX_LIST) {
				return -1;
			}
			o->top_origins[o->n_top++] = v;
		} else if (strcmp(a, "--rp-id") == 0) {
			NEEDV();
			o->rp_id = v;
		} else if (strcmp(a, "--require-uv") == 0) {
			o->require_uv = 1;
		} else if (strcmp(a, "--no-require-up") == 0 && o->registration) {
			o->require_up = 0;
		} else if (strcmp(a, "--safetynet-cts-optional") == 0 && o->registration) {
			o->cts_optional = 1;
		} else if (strcmp(a, "--now") == 0) {
			NEEDV();
			if (parse_iso(v, &o->now_ms) != 0) {
				fprintf(stderr, "latchkey webauthn: --now: not ISO-8601 UTC\n");
				return -1;
			}
			o->have_now = 1;
		} else if (strcmp(a, "--algs") == 0) {
			NEEDV();
			if (parse_algs(v, o) != 0) {
				fprintf(stderr, "latchkey webauthn: --algs: bad list\n");
				return -1;
			}
		} else if (strcmp(a, "--trust-anchor") == 0 && o->registration) {
			NEEDV();
			if (o->n_anchors == MAX_LIST) {
				return -1;
			}
			o->anchor_files[o->n_anchors++] = v;
		} else if (strcmp(a, "--public-key") == 0 && !o->registration) {
			NEEDV();
			o->public_key = v;
		} else if (strcmp(a, "--sign-count") == 0 && !o->registration) {
			char *end;
			NEEDV();
			errno = 0;
			o->sign_count = strtoll(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' || o->sign_count < 0 ||
			    o->sign_count > 0xFFFFFFFFLL) {
				fprintf(stderr, "latchkey webauthn: --sign-count: 0..4294967295\n");
				return -1;
			}
		} else if (strcmp(a, "--user-handle") == 0 && !o->registration) {
			NEEDV();
			o->user_handle = v;
		} else if (strcmp(a, "--discoverable") == 0 && !o->registration) {
			o->discoverable = 1;
		} else if (strcmp(a, "--backup-eligible") == 0 && !o->registration) {
			NEEDV();
			if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
				fprintf(stderr, "latchkey webauthn: --backup-eligible: 0 or 1\n");
				return -1;
			}
			o->backup_eligible = v[0] - '0';
		} else {
			fprintf(stderr, "latchkey webauthn: unknown option %s\n", a);
			return -1;
		}
#undef NEEDV
	}
	return 0;
}

static int
print_json(json_t *obj)
{
	char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (s == NULL) {
		fputs("latchkey webauthn: out of memory\n", stderr);
		return 1;
	}
	puts(s);
	free(s);
	return 0;
}

static int
fail_out(const struct lk_wa_error *err, int rc)
{
	const char *check = err->check && err->check[0] ? err->check : "internal";
	char msg[300];

	if (err->message[0]) {
		snprintf(msg, sizeof(msg), "%s", err->message);
	} else {
		snprintf(msg, sizeof(msg), "%s: %s", check, lk_strerror(rc));
	}
	print_json(json_pack("{s:s,s:s}", "error", check, "message", msg));
	return 1;
}

static int
run_registration(const struct lk_wa_config *cfg, const struct opts *o, json_t *resp)
{
	struct lk_wa_registration reg;
	struct lk_wa_error err;
	char aaguid[37], *cid, *pk;
	int rc;

	rc = lk_wa_verify_registration(cfg, resp, o->challenge, o->require_uv, o->require_up, &reg,
	                               &err);
	if (rc != LK_OK) {
		return fail_out(&err, rc);
	}
	lk_wa_aaguid_str(reg.aaguid, aaguid);
	cid = lk_wa_b64u_encode(reg.credential_id, reg.credential_id_len);
	pk = lk_wa_b64u_encode(reg.public_key, reg.public_key_len);
	if (cid == NULL || pk == NULL) {
		free(cid);
		free(pk);
		lk_wa_registration_clear(&reg);
		return 1;
	}
	rc = print_json(json_pack(
	    "{s:s,s:s,s:i,s:s,s:s,s:I,s:b,s:b,s:b,s:O,s:s,s:b,s:O}", "credentialId", cid,
	    "publicKey", pk, "alg", reg.alg, "fmt", reg.fmt, "aaguid", aaguid, "signCount",
	    (json_int_t)reg.sign_count, "userVerified", reg.uv, "backupEligible", reg.be,
	    "backupState", reg.bs, "transports", reg.transports, "attestation", reg.attestation,
	    "anchored", reg.anchored, "trustPath", reg.trust_path));
	free(cid);
	free(pk);
	lk_wa_registration_clear(&reg);
	return rc;
}

static int
run_authentication(const struct lk_wa_config *cfg, const struct opts *o, json_t *resp)
{
	struct lk_wa_assertion as;
	struct lk_wa_error err;
	uint8_t *key = NULL, *uh = NULL;
	size_t key_len = 0, uh_len = 0;
	int rc;

	if (lk_wa_b64u_decode(o->public_key, strlen(o->public_key), LK_MAX_CBOR, &key, &key_len) !=
	    LK_OK) {
		return usage("--public-key: not base64url");
	}
	if (o->user_handle != NULL &&
	    (lk_wa_b64u_decode(o->user_handle, strlen(o->user_handle), 64, &uh, &uh_len) != LK_OK ||
	     uh_len == 0)) {
		free(key);
		return usage("--user-handle: not base64url of 1..64 bytes");
	}
	rc = lk_wa_verify_authentication(cfg, resp, o->challenge, key, key_len,
	                                 (uint32_t)o->sign_count, o->backup_eligible, uh, uh_len,
	                                 o->discoverable, o->require_uv, &as, &err);
	free(key);
	free(uh);
	if (rc != LK_OK) {
		return fail_out(&err, rc);
	}
	return print_json(json_pack("{s:I,s:b,s:b}", "newSignCount", (json_int_t)as.sign_count,
	                            "userVerified", as.uv, "backupState", as.bs));
}

int
lk_cli_webauthn(int argc, char **argv)
{
	struct opts o;
	struct lk_wa_config cfg;
	char *anchors[MAX_LIST] = {0}, *input = NULL;
	size_t i, len = 0;
	json_t *resp = NULL;
	json_error_t jerr;
	struct timespec ts;
	int rc = 2;

	memset(&o, 0, sizeof(o));
	o.require_up = 1;
	o.backup_eligible = -1;
	o.sign_count = -1; /* required: a missing one must not mean 0 (no clone check) */
	if (argc < 2) {
		return usage("missing subcommand");
	}
	if (strcmp(argv[1], "verify-registration") == 0) {
		o.registration = 1;
	} else if (strcmp(argv[1], "verify-authentication") != 0) {
		return usage("unknown subcommand");
	}
	if (parse_args(argc - 1, argv + 1, &o) != 0) {
		return usage("bad options");
	}
	if (o.challenge == NULL || o.n_origins == 0 || o.rp_id == NULL) {
		return usage("--challenge, --origin and --rp-id are required");
	}
	if (!o.registration && (o.public_key == NULL || o.sign_count < 0)) {
		return usage("--public-key and --sign-count are required");
	}
	if (!o.have_now) {
		clock_gettime(CLOCK_REALTIME, &ts);
		o.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	for (i = 0; i < o.n_anchors; i++) {
		FILE *f = fopen(o.anchor_files[i], "r");
		size_t n;
		if (f == NULL) {
			fprintf(stderr, "latchkey webauthn: --trust-anchor %s: cannot read\n",
			        o.anchor_files[i]);
			goto out;
		}
		anchors[i] = lk_read_all(f, 1 << 20, &n);
		fclose(f);
		if (anchors[i] == NULL) {
			fprintf(stderr, "latchkey webauthn: --trust-anchor %s: cannot read\n",
			        o.anchor_files[i]);
			goto out;
		}
	}
	input = lk_read_all(stdin, LK_MAX_BODY * 4, &len);
	if (input == NULL) {
		fputs("latchkey webauthn: cannot read stdin (or over the size limit)\n", stderr);
		goto out;
	}
	resp = json_loadb(input, len, JSON_REJECT_DUPLICATES, &jerr);
	if (resp == NULL) {
		rc = 1;
		print_json(json_pack("{s:s,s:s}", "error", "format", "message",
		                     "format: input is not JSON"));
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.rp_id = o.rp_id;
	cfg.origins = o.origins;
	cfg.n_origins = o.n_origins;
	cfg.top_origins = o.top_origins;
	cfg.n_top_origins = o.n_top;
	cfg.algs = o.n_algs ? o.algs : NULL;
	cfg.n_algs = o.n_algs;
	cfg.now_ms = o.now_ms;
	cfg.anchors_pem = (const char *const *)anchors;
	cfg.n_anchors = o.n_anchors;
	cfg.safetynet_cts_optional = o.cts_optional;
	rc = o.registration ? run_registration(&cfg, &o, resp) : run_authentication(&cfg, &o, resp);
out:
	json_decref(resp);
	free(input);
	for (i = 0; i < MAX_LIST; i++) {
		free(anchors[i]);
	}
	return rc;
}
