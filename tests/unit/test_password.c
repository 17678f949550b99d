/* test_password.c: argon2id hashing and verification, the dummy verification, rehash
 * detection and the new-password policy with the embedded common list. */
#include <time.h>

#include <sodium.h>

#include "check.h"
#include "core/limits.h"
#include "core/password.h"
#include "embedded.h"

static void
test_hash_verify(void)
{
	char h1[LK_PASSWORD_HASH_SIZE], h2[LK_PASSWORD_HASH_SIZE];
	const char *pw = "correct horse battery staple";

	CHECK_EQ_INT(lk_password_hash(pw, strlen(pw), h1), LK_OK);
	CHECK(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	CHECK_EQ_INT(lk_password_hash(pw, strlen(pw), h2), LK_OK);
	CHECK(strcmp(h1, h2) != 0); /* salted */
	CHECK_EQ_INT(lk_password_verify(h1, pw, strlen(pw)), LK_OK);
	CHECK_EQ_INT(lk_password_verify(h2, pw, strlen(pw)), LK_OK);
	CHECK_EQ_INT(lk_password_verify(h1, "correct horse battery stapl", 27), LK_E_VERIFY);
	CHECK_EQ_INT(lk_password_verify(h1, "Correct horse battery staple", 28), LK_E_VERIFY);
	CHECK_EQ_INT(lk_password_verify(h1, "", 0), LK_E_VERIFY);
	CHECK_EQ_INT(lk_password_verify(NULL, pw, strlen(pw)), LK_E_VERIFY);
	CHECK_EQ_INT(lk_password_verify("", pw, strlen(pw)), LK_E_VERIFY);
	CHECK_EQ_INT(lk_password_verify("$argon2id$garbage", pw, strlen(pw)), LK_E_VERIFY);
	CHECK(!lk_password_needs_rehash(h1));

	/* bytes after a NUL count: the length is authoritative */
	CHECK_EQ_INT(lk_password_hash("abc\0def", 7, h1), LK_OK);
	CHECK_EQ_INT(lk_password_verify(h1, "abc\0def", 7), LK_OK);
	CHECK_EQ_INT(lk_password_verify(h1, "abc", 3), LK_E_VERIFY);
	CHECK_EQ_INT(lk_password_verify(h1, "abc\0deg", 7), LK_E_VERIFY);
	CHECK_EQ_INT(lk_password_hash(NULL, 3, h1), LK_E_INVAL);
	CHECK_EQ_STR(h1, "");
}

static void
test_rehash(void)
{
	char h[crypto_pwhash_STRBYTES];

	/* other parameters or another algorithm: rehash */
	CHECK_EQ_INT(crypto_pwhash_str_alg(h, "password1", 9, 3, LK_PASSWORD_MEMLIMIT,
	                                   crypto_pwhash_ALG_ARGON2ID13),
	             0);
	CHECK(lk_password_needs_rehash(h));
	CHECK_EQ_INT(lk_password_verify(h, "password1", 9), LK_OK); /* still verifies */
	CHECK_EQ_INT(crypto_pwhash_str_alg(h, "password1", 9, 2, 8 * 1024 * 1024,
	                                   crypto_pwhash_ALG_ARGON2ID13),
	             0);
	CHECK(lk_password_needs_rehash(h));
	CHECK_EQ_INT(crypto_pwhash_str_alg(h, "password1", 9, 3, LK_PASSWORD_MEMLIMIT,
	                                   crypto_pwhash_ALG_ARGON2I13),
	             0);
	CHECK(lk_password_needs_rehash(h));
	CHECK_EQ_INT(lk_password_verify(h, "password1", 9), LK_OK);
	CHECK(lk_password_needs_rehash(NULL));
	CHECK(lk_password_needs_rehash(""));
	CHECK(lk_password_needs_rehash("$2b$12$abcdefghijklmnopqrstuv"));
}

static double
seconds(void)
{
	struct timespec ts;
	/* CPU time of this thread: argon2id with p=1 is single-threaded and CPU-bound, and
	 * other processes on a loaded machine do not count */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_dummy_time(void)
{
	char h[LK_PASSWORD_HASH_SIZE];
	double real = 1e9, dummy = 1e9, t;

	CHECK_EQ_INT(lk_password_hash("hunter22hunter22", 16, h), LK_OK);
	/* best of five each, to discount scheduling noise; the bounds catch a dummy hash
	 * with cheaper parameters (half the memory or passes), not jitter */
	for (int i = 0; i < 5; i++) {
		t = seconds();
		CHECK_EQ_INT(lk_password_verify(h, "wrong password", 14), LK_E_VERIFY);
		t = seconds() - t;
		real = t < real ? t : real;
		t = seconds();
		lk_password_verify_dummy("wrong password", 14);
		t = seconds() - t;
		dummy = t < dummy ? t : dummy;
	}
	fprintf(stderr, "argon2id verify %.1f ms, dummy %.1f ms\n", real * 1e3, dummy * 1e3);
	CHECK(dummy > real * 0.6 && dummy < real * 1.7);
}

static void
test_policy(void)
{
	char buf[LK_MAX_PASSWORD_BYTES + 8];

	CHECK_EQ_INT(lk_password_check("", 0), LK_PASSWORD_TOO_SHORT);
	CHECK_EQ_INT(lk_password_check(NULL, 0), LK_PASSWORD_TOO_SHORT);
	CHECK_EQ_INT(lk_password_check("abcdefg", 7), LK_PASSWORD_TOO_SHORT);
	CHECK_EQ_INT(lk_password_check("qzvbnmxa", 8), LK_PASSWORD_OK);
	/* code points, not bytes: 7 x U+00E9 is 14 bytes but too short; 8 is enough */
	CHECK_EQ_INT(
	    lk_password_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 14),
	    LK_PASSWORD_TOO_SHORT);
	CHECK_EQ_INT(lk_password_check(
	                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 16),
	             LK_PASSWORD_OK);
	/* 256 code points of 4 bytes: the maximum, 1024 bytes */
	for (int i = 0; i < 257; i++) {
		memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
	}
	CHECK_EQ_INT(lk_password_check(buf, 1024), LK_PASSWORD_OK);
	CHECK_EQ_INT(lk_password_check(buf, 1028), LK_PASSWORD_TOO_LONG);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_INT(lk_password_check(buf, 256), LK_PASSWORD_OK);
	CHECK_EQ_INT(lk_password_check(buf, 257), LK_PASSWORD_TOO_LONG);
	CHECK_EQ_INT(lk_password_check(buf, sizeof(buf)), LK_PASSWORD_TOO_LONG);
	/* strict UTF-8 */
	CHECK_EQ_INT(lk_password_check("abcdefgh\xc3", 9), LK_PASSWORD_BAD_UTF8);
	CHECK_EQ_INT(lk_password_check("abcd\xed\xa0\x80"
	                               "efgh",
	                               11),
	             LK_PASSWORD_BAD_UTF8);
	CHECK_EQ_INT(lk_password_check("abcd\xc0\xafh1234", 11), LK_PASSWORD_BAD_UTF8);
	/* the common list, case-insensitively (API-NOTES 26) */
	CHECK_EQ_INT(lk_password_check("password123", 11), LK_PASSWORD_COMMON);
	CHECK_EQ_INT(lk_password_check("Password123", 11), LK_PASSWORD_COMMON);
	CHECK_EQ_INT(lk_password_check("PASSWORD123", 11), LK_PASSWORD_COMMON);
	CHECK_EQ_INT(lk_password_check("12345678", 8), LK_PASSWORD_COMMON);
	CHECK_EQ_INT(lk_password_check("qwertyuiop", 10), LK_PASSWORD_COMMON);
	CHECK_EQ_INT(lk_password_check("iloveyou", 8), LK_PASSWORD_COMMON);
	CHECK_EQ_INT(lk_password_check("password123 ", 12), LK_PASSWORD_OK);
	CHECK_EQ_INT(lk_password_check("password1234x", 13), LK_PASSWORD_OK);
	CHECK_EQ_STR(lk_password_weakness_str(LK_PASSWORD_COMMON), "password too common");
	CHECK_EQ_STR(lk_password_weakness_str(LK_PASSWORD_OK), "ok");
}

/* The embedded list is sorted bytewise, unique, lower-case, and every entry is found. */
static void
test_list(void)
{
	const struct lk_embedded *e = lk_embedded_find("data/common-passwords.txt");
	size_t lines = 0, notfound = 0, unsorted = 0, upper = 0;
	const char *prev = NULL;
	size_t prev_len = 0;

	CHECK(e != NULL);
	if (!e) {
		return;
	}
	CHECK(e->len > 0 && e->data[e->len - 1] == '\n');
	for (size_t pos = 0; pos < e->len;) {
		const char *line = (const char *)e->data + pos;
		const char *nl = memchr(line, '\n', e->len - pos);
		size_t len = nl ? (size_t)(nl - line) : e->len - pos;
		if (prev) {
			size_t n = prev_len < len ? prev_len : len;
			int c = memcmp(prev, line, n);
			if (c > 0 || (c == 0 && prev_len >= len)) {
				unsorted++;
			}
		}
		for (size_t i = 0; i < len; i++) {
			upper += line[i] >= 'A' && line[i] <= 'Z';
		}
		if (!lk_password_is_common(line, len)) {
			notfound++;
		}
		/* a one-character change at the end is (almost always) not an entry, and must not
		 * crash or loop */
		(void)lk_password_is_common(line, len > 0 ? len - 1 : 0);
		prev = line;
		prev_len = len;
		lines++;
		pos += len + 1;
	}
	CHECK(lines > 10000);
	CHECK_EQ_INT(notfound, 0);
	CHECK_EQ_INT(unsorted, 0);
	CHECK_EQ_INT(upper, 0);
	/* before the first entry and after the last one */
	CHECK(!lk_password_is_common("", 0));
	CHECK(!lk_password_is_common(" ", 1));
	CHECK(!lk_password_is_common("~~~~~~~~~~", 10));
	CHECK(!lk_password_is_common("\xff\xff\xff\xff\xff\xff\xff\xff", 8));
}

int
main(void)
{
	RUN(test_hash_verify);
	RUN(test_rehash);
	RUN(test_dummy_time);
	RUN(test_policy);
	RUN(test_list);
	return check_done("test_password");
}
