/* totp.c: `latchkey totp code BASE32-SECRET [--at UNIX-SECONDS]` prints the SHA-1,
 * 6-digit, 30-second code of a secret (API-NOTES 149), e.g. for scripts and tests that
 * sign in as a TOTP user. The command line is the edge: it may read the clock. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/base32.h"
#include "core/totp.h"

static int
usage(const char *why)
{
	if (why) {
		fprintf(stderr, "latchkey totp: %s\n", why);
	}
	fputs("usage: latchkey totp code BASE32-SECRET [--at UNIX-SECONDS]\n", stderr);
	return 2;
}

/* A non-negative decimal integer of seconds, strictly. */
static int
parse_seconds(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (!s || s[0] < '0' || s[0] > '9') {
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || !end || *end != '\0' || v < 0) {
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

int
lk_cli_totp(int argc, char **argv)
{
	unsigned char key[LK_TOTP_MAX_KEY];
	char code[LK_TOTP_CODE_SIZE];
	const char *secret = NULL;
	size_t key_len = 0;
	int64_t at = -1;
	int status = 2;
	lk_rc rc;

	if (argc < 2 || strcmp(argv[1], "code") != 0) {
		return usage(NULL);
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--at") == 0 || strncmp(a, "--at=", 5) == 0) {
			const char *v = a[4] == '=' ? a + 5 : (i + 1 < argc ? argv[++i] : NULL);
			if (at >= 0 || parse_seconds(v, &at) != 0) {
				return usage("--at takes one non-negative integer of UNIX seconds");
			}
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			return usage(NULL);
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "latchkey totp: unknown option %s\n", a);
			return usage(NULL);
		} else if (!secret) {
			secret = a;
		} else {
			return usage("one secret only");
		}
	}
	if (!secret) {
		return usage("missing BASE32-SECRET");
	}
	rc = lk_base32_decode(secret, strlen(secret), key, sizeof(key), &key_len);
	if (rc != LK_OK || key_len == 0) {
		status = usage(rc == LK_E_TOOBIG ? "secret too long"
		                                 : "the secret is not base32 (RFC 4648)");
		goto out;
	}
	if (at < 0) {
		at = (int64_t)time(NULL);
	}
	rc = lk_totp_code(key, key_len, LK_TOTP_SHA1, 6, 30, at, code);
	if (rc != LK_OK) {
		fprintf(stderr, "latchkey totp: %s\n", lk_strerror(rc));
		status = 1;
		goto out;
	}
	printf("%s\n", code);
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(code, sizeof(code));
	return status;
}
