/* test_redirect.c: the safe-redirect rule of API-NOTES 86. */
#include "check.h"
#include "core/limits.h"
#include "core/redirect.h"

static int
chk(const char *s)
{
	return lk_redirect_check(s, strlen(s));
}

static void
test_safe(void)
{
	const char *ok[] = {
	    "/",
	    "/settings",
	    "/a/b?c=d&e=%2F#frag",
	    "/%41bc",
	    "/a%2fb",
	    "/caf%C3%A9",
	    "/caf\xc3\xa9",
	    "/a\\b",
	    "/a//b",
	    "/%25%32%46", /* decodes once to /%2F */
	    "/http://evil.example",
	    "/?next=//evil",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = chk(ok[i]);
		if (rc != LK_OK) {
			fprintf(stderr, "refused \"%s\": %d\n", ok[i], rc);
		}
		CHECK_EQ_INT(rc, LK_OK);
	}
}

static void
test_unsafe(void)
{
	const char *bad[] = {
	    "",
	    "settings",
	    "//evil.example",
	    "/\\evil.example",
	    "https://evil.example",
	    "javascript:alert(1)",
	    " /settings",
	    "\\/evil",
	    "/%2Fevil.example", /* decodes to //evil */
	    "/%2fevil.example",
	    "/%5Cevil.example", /* decodes to /\evil */
	    "%2Fsettings",      /* as sent does not start with / */
	    "/a\tb",
	    "/a\nb",
	    "/a\rb",
	    "/a\x7f",
	    "/a\x1f",
	    "/a%00b",
	    "/a%0Ab",
	    "/a%0d%0aSet-Cookie:x",
	    "/a%09",
	    "/a%7F",
	    "/a%1f",
	    "/a%",
	    "/a%4",
	    "/a%zz",
	    "/a%g0",
	    "/%%41",
	    "/a%C3",       /* decodes to truncated UTF-8 */
	    "/a%C0%AF",    /* overlong '/' */
	    "/a%ED%A0%80", /* surrogate */
	    "/a\xc3",      /* raw invalid UTF-8 */
	    "/a\xff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = chk(bad[i]);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "accepted or wrong code for case %zu: %d\n", i, rc);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
	}
	/* NUL in the middle, as sent */
	CHECK_EQ_INT(lk_redirect_check("/a\0b", 4), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_redirect_check(NULL, 0), LK_E_MALFORMED);
}

static void
test_length(void)
{
	char s[LK_MAX_REDIRECT + 2];

	memset(s, 'a', sizeof(s));
	s[0] = '/';
	CHECK_EQ_INT(lk_redirect_check(s, LK_MAX_REDIRECT), LK_OK);
	CHECK_EQ_INT(lk_redirect_check(s, LK_MAX_REDIRECT + 1), LK_E_TOOBIG);
	/* a percent escape cut by the end of the string */
	s[LK_MAX_REDIRECT - 2] = '%';
	s[LK_MAX_REDIRECT - 1] = '4';
	CHECK_EQ_INT(lk_redirect_check(s, LK_MAX_REDIRECT), LK_E_MALFORMED);
	s[LK_MAX_REDIRECT - 3] = '%';
	CHECK_EQ_INT(lk_redirect_check(s, LK_MAX_REDIRECT), LK_E_MALFORMED);
	s[LK_MAX_REDIRECT - 3] = '%';
	s[LK_MAX_REDIRECT - 2] = '4';
	s[LK_MAX_REDIRECT - 1] = '1';
	CHECK_EQ_INT(lk_redirect_check(s, LK_MAX_REDIRECT), LK_OK);
	/* only the given length is read */
	CHECK_EQ_INT(lk_redirect_check("/ok%", 3), LK_OK);
}

int
main(void)
{
	RUN(test_safe);
	RUN(test_unsafe);
	RUN(test_length);
	return check_done("test_redirect");
}
