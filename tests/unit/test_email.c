/* test_email.c: the email normalisation and validity rules of API-NOTES 22-24. */
#include "check.h"
#include "core/email.h"

static int
norm(const char *in, char *out)
{
	size_t n = 12345;
	int rc = lk_email_normalize(in, strlen(in), out, &n);
	if (rc == LK_OK && n != strlen(out)) {
		return 999;
	}
	if (rc != LK_OK && (n != 0 || out[0] != '\0')) {
		return 998;
	}
	return rc;
}

static void
test_valid(void)
{
	char out[LK_MAX_EMAIL + 1];

	CHECK_EQ_INT(norm("alice@example.com", out), LK_OK);
	CHECK_EQ_STR(out, "alice@example.com");
	CHECK_EQ_INT(norm(" \t\r\n\v\fAlice@Example.COM \n", out), LK_OK);
	CHECK_EQ_STR(out, "alice@example.com");
	CHECK_EQ_INT(norm("a@b.c", out), LK_OK);
	CHECK_EQ_INT(norm("\"o'hara+tag\"@sub.example.org", out), LK_OK);
	CHECK_EQ_STR(out, "\"o'hara+tag\"@sub.example.org");
	/* non-ASCII letters kept as sent (no Unicode case folding) */
	CHECK_EQ_INT(norm("J\xc3\x89R\xc3\x94ME@Exemple.FR", out), LK_OK);
	CHECK_EQ_STR(out, "j\xc3\x89r\xc3\x94me@exemple.fr");
	CHECK_EQ_INT(
	    norm("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8", out),
	    LK_OK);
	/* U+00A1 is the first allowed code point after the refused U+007F..U+00A0 */
	CHECK_EQ_INT(norm("\xc2\xa1@x.y", out), LK_OK);
	CHECK_EQ_INT(norm("a@localhost.localdomain", out), LK_OK);
}

static void
test_lengths(void)
{
	char in[400], out[LK_MAX_EMAIL + 1];
	size_t n;

	/* local part: 64 ok, 65 too long */
	memset(in, 'a', 64);
	memcpy(in + 64, "@example.com", 13);
	CHECK_EQ_INT(norm(in, out), LK_OK);
	memset(in, 'a', 65);
	memcpy(in + 65, "@example.com", 13);
	CHECK_EQ_INT(norm(in, out), LK_E_TOOBIG);
	/* whole address: 254 ok, 255 too long (local 64 + '@' + domain) */
	memset(in, 'a', 64);
	in[64] = '@';
	memset(in + 65, 'b', 189);
	in[65 + 100] = '.';
	in[254] = '\0';
	CHECK_EQ_INT(strlen(in), 254);
	CHECK_EQ_INT(norm(in, out), LK_OK);
	CHECK_EQ_INT(strlen(out), 254);
	in[254] = 'c';
	in[255] = '\0';
	CHECK_EQ_INT(norm(in, out), LK_E_TOOBIG);
	/* whitespace does not count towards the limit */
	memset(in, 'a', 64);
	in[64] = '@';
	memset(in + 65, 'b', 189);
	in[65 + 100] = '.';
	memset(in + 254, ' ', 100);
	in[354] = '\0';
	CHECK_EQ_INT(norm(in, out), LK_OK);
	/* the length is authoritative; bytes past in_len are not read */
	CHECK_EQ_INT(lk_email_normalize("a@b.cXXXX", 5, out, &n), LK_OK);
	CHECK_EQ_STR(out, "a@b.c");
	CHECK_EQ_INT(n, 5);
	/* a NUL inside is refused (U+0000) */
	CHECK_EQ_INT(lk_email_normalize("a@b.c\0d", 7, out, &n), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_email_normalize(NULL, 0, out, NULL), LK_E_MALFORMED);
}

static void
test_refused(void)
{
	char out[LK_MAX_EMAIL + 1];
	const char *bad[] = {
	    "",
	    "   ",
	    "alice",
	    "alice@",
	    "@example.com",
	    "alice@@example.com",
	    "a@b@example.com",
	    "alice@localhost",
	    "alice@example.",
	    "alice@.example.com",
	    "alice@example..com",
	    "alice@.",
	    "al ice@example.com",
	    "alice@exa mple.com",
	    "ali\tce@example.com",
	    "alice\x7f@example.com",
	    "alice\xc2\x80@example.com",     /* U+0080 */
	    "alice\xc2\xa0@example.com",     /* U+00A0 */
	    "alice\xe1\x9a\x80@example.com", /* U+1680 */
	    "alice\xe2\x80\x80@example.com", /* U+2000 */
	    "alice\xe2\x80\x8a@example.com", /* U+200A */
	    "alice\xe2\x80\xa8@example.com", /* U+2028 */
	    "alice\xe2\x80\xa9@example.com", /* U+2029 */
	    "alice\xe2\x80\xaf@example.com", /* U+202F */
	    "alice\xe2\x81\x9f@example.com", /* U+205F */
	    "alice\xe3\x80\x80@example.com", /* U+3000 */
	    "\xef\xbb\xbf"
	    "alice@example.com",             /* U+FEFF */
	    "alice\xc3@example.com",         /* truncated UTF-8 */
	    "alice\xc0\xa0@example.com",     /* overlong */
	    "alice\xed\xa0\x80@example.com", /* surrogate */
	    "\x01"
	    "alice@example.com",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = norm(bad[i], out);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "case %zu: rc %d\n", i, rc);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
	}
	/* U+200B (zero width space) is not on the list: allowed */
	CHECK_EQ_INT(norm("alice\xe2\x80\x8b@example.com", out), LK_OK);
}

int
main(void)
{
	RUN(test_valid);
	RUN(test_lengths);
	RUN(test_refused);
	return check_done("test_email");
}
