/* test_cli_totp.c: `latchkey totp code` through lk_cli_totp, with stdout and stderr
 * captured: codes at fixed times, exit statuses, usage errors on stderr only. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cli/cli.h"

static char out_buf[512], err_buf[512];

/* Runs lk_cli_totp on the NULL-terminated argument list, capturing both streams. */
static int
run(const char *first, ...)
{
	char *argv[16];
	int argc = 0, saved_out, saved_err, status;
	FILE *o = tmpfile(), *e = tmpfile();
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *)) {
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fileno(o), 1);
	dup2(fileno(e), 2);
	status = lk_cli_totp(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	rewind(o);
	rewind(e);
	size_t n = fread(out_buf, 1, sizeof(out_buf) - 1, o);
	out_buf[n] = '\0';
	n = fread(err_buf, 1, sizeof(err_buf) - 1, e);
	err_buf[n] = '\0';
	fclose(o);
	fclose(e);
	return status;
}

#define SEED "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" /* RFC 6238 SHA-1 seed */

static void
test_codes(void)
{
	/* RFC 6238 Appendix B, SHA-1, last 6 of the 8 digits */
	CHECK_EQ_INT(run("totp", "code", SEED, "--at", "59", NULL), 0);
	CHECK_EQ_STR(out_buf, "287082\n");
	CHECK_EQ_STR(err_buf, "");
	CHECK_EQ_INT(run("totp", "code", SEED, "--at=1111111109", NULL), 0);
	CHECK_EQ_STR(out_buf, "081804\n");
	CHECK_EQ_INT(run("totp", "code", "--at", "1234567890", SEED, NULL), 0);
	CHECK_EQ_STR(out_buf, "005924\n");
	CHECK_EQ_INT(
	    run("totp", "code", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", "--at", "2000000000", NULL), 0);
	CHECK_EQ_STR(out_buf, "279037\n");
	CHECK_EQ_INT(run("totp", "code", SEED "====", "--at", "20000000000", NULL), 2);
	CHECK_EQ_INT(run("totp", "code", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====", "--at",
	                 "20000000000", NULL),
	             0);
	CHECK_EQ_INT(strlen(out_buf), 7);
	/* without --at: the current time, six digits */
	CHECK_EQ_INT(run("totp", "code", SEED, NULL), 0);
	CHECK_EQ_INT(strlen(out_buf), 7);
	CHECK_EQ_INT(strspn(out_buf, "0123456789"), 6);
}

static void
test_usage(void)
{
	const char *cases[][8] = {
	    {"totp", NULL},
	    {"totp", "generate", SEED, NULL},
	    {"totp", "code", NULL},
	    {"totp", "code", "GEZDGNB1", NULL},
	    {"totp", "code", "GEZDGNBV GY3TQOJQ", NULL},
	    {"totp", "code", "", NULL},
	    {"totp", "code", SEED, "--at", NULL},
	    {"totp", "code", SEED, "--at", "-1", NULL},
	    {"totp", "code", SEED, "--at", "12x", NULL},
	    {"totp", "code", SEED, "--at", "1", "--at", "2"},
	    {"totp", "code", SEED, "--at", "99999999999999999999", NULL},
	    {"totp", "code", SEED, SEED, NULL},
	    {"totp", "code", SEED, "--bogus", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char **c = cases[i];
		int st = run(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], NULL);
		if (st != 2) {
			fprintf(stderr, "case %zu: status %d\n", i, st);
		}
		CHECK_EQ_INT(st, 2);
		CHECK_EQ_STR(out_buf, "");
		CHECK(strstr(err_buf, "usage: latchkey totp code") != NULL);
	}
}

int
main(void)
{
	RUN(test_codes);
	RUN(test_usage);
	return check_done("test_cli_totp");
}
