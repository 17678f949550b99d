/* test_b64url.c: unpadded base64url encode/decode and its refusals. */
#include <stdlib.h>

#include "check.h"
#include "core/b64url.h"

static const struct {
	const char *bin, *enc;
} vec[] = {
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
    {"\xfb\xff", "-_8"}, /* the two URL-safe characters */
};

static void
test_vectors(void)
{
	char enc[32];
	unsigned char dec[32];
	size_t n;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t len = strlen(vec[i].bin);
		CHECK_EQ_INT(lk_b64url_encoded_len(len), strlen(vec[i].enc));
		CHECK_EQ_INT(
		    lk_b64url_encode((const unsigned char *)vec[i].bin, len, enc, sizeof(enc)),
		    LK_OK);
		CHECK_EQ_STR(enc, vec[i].enc);
		CHECK_EQ_INT(lk_b64url_decode(vec[i].enc, strlen(vec[i].enc), dec, sizeof(dec), &n),
		             LK_OK);
		CHECK_EQ_INT(n, len);
		CHECK(memcmp(dec, vec[i].bin, len) == 0);
	}
}

static void
test_refusals(void)
{
	unsigned char dec[32];
	size_t n = 5;
	const char *bad[] = {
	    "Zg==",   "Zg=",      /* padding */
	    "Zm9v+w", "Zm9v/w",   /* standard alphabet */
	    "Zm 9v",  "Zm9v\n",   /* whitespace */
	    "Z",                  /* one-character group */
	    "Zh",                 /* non-zero trailing bits ("Zg" is canonical) */
	    "Zm9",    "Zm9vYmE!", /* non-canonical / junk */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = lk_b64url_decode(bad[i], strlen(bad[i]), dec, sizeof(dec), &n);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "accepted or wrong code for \"%s\": %d\n", bad[i], rc);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
		CHECK_EQ_INT(n, 0);
	}
	/* "Zm9" is canonical for "fo"; make sure the list above is about Zm9 + '=' forms only */
	CHECK_EQ_INT(lk_b64url_decode("Zm8", 3, dec, sizeof(dec), &n), LK_OK);
	/* embedded NUL: the length is authoritative */
	CHECK_EQ_INT(lk_b64url_decode("Zm9v\0Zm9v", 9, dec, sizeof(dec), &n), LK_E_MALFORMED);
	/* output too small */
	CHECK_EQ_INT(lk_b64url_decode("Zm9vYmFy", 8, dec, 5, &n), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_b64url_decode("Zm9vYmFy", 8, dec, 6, &n), LK_OK);
	CHECK_EQ_INT(n, 6);
	/* encode: buffer one too small */
	char enc[9];
	CHECK_EQ_INT(lk_b64url_encode((const unsigned char *)"foobar", 6, enc, 8), LK_E_INVAL);
	CHECK_EQ_INT(lk_b64url_encode((const unsigned char *)"foobar", 6, enc, 9), LK_OK);
	CHECK_EQ_STR(enc, "Zm9vYmFy");
	CHECK_EQ_INT(lk_b64url_decode(NULL, 1, dec, sizeof(dec), &n), LK_E_INVAL);
}

static void
test_alloc_roundtrip(void)
{
	unsigned char bin[300], *dec = NULL;
	char *enc = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bin); i++) {
		bin[i] = (unsigned char)(i * 7 + 3);
	}
	for (size_t len = 0; len <= sizeof(bin); len += 1) {
		CHECK_EQ_INT(lk_b64url_encode_alloc(bin, len, &enc), LK_OK);
		CHECK_EQ_INT(strlen(enc), lk_b64url_encoded_len(len));
		CHECK(lk_b64url_decoded_max(strlen(enc)) >= len);
		CHECK_EQ_INT(lk_b64url_decode_alloc(enc, strlen(enc), &dec, &n), LK_OK);
		CHECK_EQ_INT(n, len);
		CHECK(dec && memcmp(dec, bin, len) == 0);
		free(enc);
		free(dec);
		enc = NULL;
		dec = NULL;
	}
	CHECK_EQ_INT(lk_b64url_decode_alloc("a=", 2, &dec, &n), LK_E_MALFORMED);
	CHECK(dec == NULL);
}

int
main(void)
{
	RUN(test_vectors);
	RUN(test_refusals);
	RUN(test_alloc_roundtrip);
	return check_done("test_b64url");
}
