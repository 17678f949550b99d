/* test_token.c: random tokens, hashes, comparison, numeric codes. */
#include "check.h"
#include "core/b64url.h"
#include "core/token.h"

static void
test_new(void)
{
	char a[LK_TOKEN_LEN + 1], b[LK_TOKEN_LEN + 1];
	unsigned char bin[40];
	size_t n = 0;

	CHECK_EQ_INT(lk_token_new(a), LK_OK);
	CHECK_EQ_INT(lk_token_new(b), LK_OK);
	CHECK_EQ_INT(strlen(a), LK_TOKEN_LEN);
	CHECK(strcmp(a, b) != 0);
	CHECK_EQ_INT(lk_b64url_decode(a, strlen(a), bin, sizeof(bin), &n), LK_OK);
	CHECK_EQ_INT(n, 32);
	CHECK_EQ_INT(lk_token_check_format(a, strlen(a)), LK_OK);
	/* the 1000 tokens differ and use the whole alphabet over time */
	int seen[256] = {0};
	for (int i = 0; i < 1000; i++) {
		CHECK_EQ_INT(lk_token_new(a), LK_OK);
		for (size_t j = 0; j < LK_TOKEN_LEN; j++) {
			seen[(unsigned char)a[j]] = 1;
		}
	}
	int distinct = 0;
	for (int i = 0; i < 256; i++) {
		distinct += seen[i];
	}
	CHECK_EQ_INT(distinct, 64);
	CHECK(!seen['+'] && !seen['/'] && !seen['=']);
}

static void
test_format(void)
{
	char t[LK_TOKEN_LEN + 2];

	CHECK_EQ_INT(lk_token_new(t), LK_OK);
	CHECK_EQ_INT(lk_token_check_format(t, LK_TOKEN_LEN - 1), LK_E_MALFORMED);
	t[LK_TOKEN_LEN] = 'A';
	t[LK_TOKEN_LEN + 1] = '\0';
	CHECK_EQ_INT(lk_token_check_format(t, LK_TOKEN_LEN + 1), LK_E_MALFORMED);
	t[LK_TOKEN_LEN] = '\0';
	t[5] = '=';
	CHECK_EQ_INT(lk_token_check_format(t, LK_TOKEN_LEN), LK_E_MALFORMED);
	t[5] = '+';
	CHECK_EQ_INT(lk_token_check_format(t, LK_TOKEN_LEN), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_token_check_format("", 0), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_token_check_format(NULL, LK_TOKEN_LEN), LK_E_MALFORMED);
	/* 43 characters whose last one carries non-zero padding bits */
	char nz[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
	CHECK_EQ_INT(lk_token_check_format(nz, 43), LK_E_MALFORMED);
	nz[42] = 'E';
	CHECK_EQ_INT(lk_token_check_format(nz, 43), LK_OK);
}

static void
test_hash(void)
{
	char hex[LK_TOKEN_HASH_HEX + 1];
	unsigned char h1[32], h2[32];

	/* FIPS 180-2 "abc" */
	lk_token_hash_hex("abc", 3, hex);
	CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	lk_token_hash_hex("", 0, hex);
	CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	lk_token_hash("abc", 3, h1);
	lk_token_hash("abd", 3, h2);
	CHECK_EQ_INT(lk_token_compare(h1, h1, 32), LK_OK);
	CHECK_EQ_INT(lk_token_compare(h1, h2, 32), LK_E_VERIFY);
	CHECK_EQ_INT(lk_token_compare(h1, NULL, 32), LK_E_VERIFY);
	CHECK_EQ_INT(h1[0], 0xba);
}

static void
test_digits_and_random(void)
{
	char d[20], r[64];
	int counts[10] = {0};

	for (int i = 0; i < 2000; i++) {
		CHECK_EQ_INT(lk_token_digits(8, d, 9), LK_OK);
		CHECK_EQ_INT(strlen(d), 8);
		for (int j = 0; j < 8; j++) {
			CHECK(d[j] >= '0' && d[j] <= '9');
			counts[d[j] - '0']++;
		}
	}
	for (int i = 0; i < 10; i++) {
		CHECK(counts[i] > 1300 && counts[i] < 1900); /* expected 1600 */
	}
	CHECK_EQ_INT(lk_token_digits(8, d, 8), LK_E_INVAL);
	CHECK_EQ_INT(lk_token_digits(0, d, 9), LK_E_INVAL);
	CHECK_EQ_INT(lk_token_digits(19, d, 20), LK_E_INVAL);
	CHECK_EQ_INT(lk_token_random_b64url(16, r, 23), LK_OK);
	CHECK_EQ_INT(strlen(r), 22);
	CHECK_EQ_INT(lk_token_random_b64url(16, r, 22), LK_E_INVAL);
	CHECK_EQ_INT(lk_token_random_b64url(0, r, sizeof(r)), LK_E_INVAL);
}

int
main(void)
{
	RUN(test_new);
	RUN(test_format);
	RUN(test_hash);
	RUN(test_digits_and_random);
	return check_done("test_token");
}
