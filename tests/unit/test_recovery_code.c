/* test_recovery_code.c: generation, normalisation and keyed digests of recovery codes. */
#include <sodium.h>

#include "check.h"
#include "core/recovery_code.h"

static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";

static void
test_generate(void)
{
	char codes[LK_RECOVERY_CODES][LK_RECOVERY_CODE_LEN + 1];
	int seen[256] = {0}, bad = 0;

	for (int round = 0; round < 200; round++) {
		CHECK_EQ_INT(lk_recovery_codes_generate(codes), LK_OK);
		for (int i = 0; i < LK_RECOVERY_CODES; i++) {
			const char *c = codes[i];
			if (strlen(c) != 11 || c[5] != '-') {
				bad++;
				continue;
			}
			for (int j = 0; j < 11; j++) {
				if (j == 5) {
					continue;
				}
				if (!strchr(alphabet, c[j]) || c[j] == '\0') {
					bad++;
				}
				seen[(unsigned char)c[j]]++;
			}
			for (int j = 0; j < i; j++) {
				bad += strcmp(codes[i], codes[j]) == 0;
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	/* all 31 characters appear, roughly uniformly (20000 draws, ~645 each) */
	int distinct = 0;
	for (int i = 0; i < 256; i++) {
		if (seen[i]) {
			distinct++;
			CHECK(seen[i] > 450 && seen[i] < 850);
		}
	}
	CHECK_EQ_INT(distinct, 31);
	CHECK(!seen['0'] && !seen['1'] && !seen['i'] && !seen['l'] && !seen['o']);
}

static void
test_normalize(void)
{
	char out[LK_RECOVERY_CODE_CHARS + 1];

	CHECK_EQ_INT(lk_recovery_code_normalize("abcde-fghjk", 11, out), LK_OK);
	CHECK_EQ_STR(out, "abcdefghjk");
	CHECK_EQ_INT(lk_recovery_code_normalize("ABCDE-FGHJK", 11, out), LK_OK);
	CHECK_EQ_STR(out, "abcdefghjk");
	CHECK_EQ_INT(lk_recovery_code_normalize(" ab cd e--fg hj k ", 18, out), LK_OK);
	CHECK_EQ_STR(out, "abcdefghjk");
	CHECK_EQ_INT(lk_recovery_code_normalize("abcdefghjk", 10, out), LK_OK);
	CHECK_EQ_INT(lk_recovery_code_normalize("23456-789zz", 11, out), LK_OK);
	CHECK_EQ_STR(out, "23456789zz");
	const char *bad[] = {
	    "",
	    "abcde-fghj",   /* 9 */
	    "abcde-fghjkm", /* 11 */
	    "abcde-fghj0",
	    "abcde-fghj1",
	    "abcde-fghji",
	    "abcde-fghjl",
	    "abcde-fghjo",
	    "abcde-fghjI",
	    "abcde_fghjk",
	    "abcde\tfghjk",
	    "abcde.fghjk",
	    "abcde-fghj\xc3\xa9",
	    "----------",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = lk_recovery_code_normalize(bad[i], strlen(bad[i]), out);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
		CHECK_EQ_STR(out, "");
	}
	CHECK_EQ_INT(lk_recovery_code_normalize("abcde\0fghjk", 11, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_recovery_code_normalize(NULL, 0, out), LK_E_MALFORMED);
	/* long input: 64 bytes accepted when it normalises, 65 refused */
	char in[80];
	memset(in, ' ', sizeof(in));
	memcpy(in, "abcdefghjk", 10);
	CHECK_EQ_INT(lk_recovery_code_normalize(in, 64, out), LK_OK);
	CHECK_EQ_INT(lk_recovery_code_normalize(in, 65, out), LK_E_TOOBIG);
}

static void
test_digest(void)
{
	unsigned char raw[LK_KEY_BYTES], d1[32], d2[32], d3[32], sub[32], want[32];
	struct lk_serverkey *k = NULL, *k2 = NULL;

	memset(raw, 0x42, sizeof(raw));
	CHECK_EQ_INT(lk_serverkey_from_bytes(raw, &k), LK_OK);
	raw[0] = 0;
	CHECK_EQ_INT(lk_serverkey_from_bytes(raw, &k2), LK_OK);
	CHECK_EQ_INT(lk_recovery_code_digest(k, "abcde-fghjk", 11, d1), LK_OK);
	CHECK_EQ_INT(lk_recovery_code_digest(k, "ABCDE FGHJK", 11, d2), LK_OK);
	CHECK(memcmp(d1, d2, 32) == 0);
	CHECK_EQ_INT(lk_recovery_code_digest(k, "abcde-fghjm", 11, d3), LK_OK);
	CHECK(memcmp(d1, d3, 32) != 0);
	CHECK_EQ_INT(lk_recovery_code_digest(k2, "abcde-fghjk", 11, d3), LK_OK);
	CHECK(memcmp(d1, d3, 32) != 0);
	/* it is HMAC-SHA-256 of the normalised code under the "recovery" subkey */
	CHECK_EQ_INT(lk_key_derive(k, LK_KEY_RECOVERY, sub), LK_OK);
	crypto_auth_hmacsha256(want, (const unsigned char *)"abcdefghjk", 10, sub);
	CHECK(memcmp(d1, want, 32) == 0);
	CHECK_EQ_INT(lk_recovery_code_digest(k, "abcde-fghj", 10, d3), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_recovery_code_digest(NULL, "abcde-fghjk", 11, d3), LK_E_INVAL);
	lk_serverkey_free(k);
	lk_serverkey_free(k2);
}

int
main(void)
{
	RUN(test_generate);
	RUN(test_normalize);
	RUN(test_digest);
	return check_done("test_recovery_code");
}
