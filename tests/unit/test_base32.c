/* test_base32.c: RFC 4648 base32, against the vectors of ../shared/vectors/totp.json
 * (LATCHKEY_VECTORS=DIR overrides the directory) and the edge cases of the decoder. */
#include <stdlib.h>

#include <jansson.h>

#include "check.h"
#include "core/base32.h"

static json_t *
load_vectors(void)
{
	const char *dir = getenv("LATCHKEY_VECTORS");
	char path[1024];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), "%s/totp.json", dir ? dir : "../shared/vectors");
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		fprintf(stderr, "cannot load %s: %s\n", path, err.text);
	}
	return j;
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static size_t
unhex(const char *hex, unsigned char *out)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	}
	return n;
}

static void
check_decodes(const char *enc, const unsigned char *want, size_t want_len)
{
	unsigned char out[128];
	size_t n = 999;
	int rc = lk_base32_decode(enc, strlen(enc), out, sizeof(out), &n);

	if (rc != LK_OK || n != want_len || memcmp(out, want, want_len) != 0) {
		fprintf(stderr, "decoding \"%s\" failed: rc %d, len %zu\n", enc, rc, n);
		check_failed_now = 1;
	}
}

static void
test_vectors(void)
{
	json_t *j = load_vectors(), *v;
	size_t i, count = 0;
	char enc[256];
	unsigned char bin[128];

	CHECK(j != NULL);
	if (!j) {
		return;
	}
	json_array_foreach(json_object_get(json_object_get(j, "base32"), "vectors"), i, v)
	{
		size_t n = unhex(json_string_value(json_object_get(v, "inputHex")), bin);
		const char *unpadded = json_string_value(json_object_get(v, "encodedNoPadding"));
		CHECK_EQ_INT(lk_base32_encode(bin, n, enc, sizeof(enc)), LK_OK);
		CHECK_EQ_STR(enc, unpadded);
		CHECK_EQ_INT(lk_base32_encoded_len(n), strlen(unpadded));
		check_decodes(json_string_value(json_object_get(v, "encoded")), bin, n);
		check_decodes(unpadded, bin, n);
		check_decodes(json_string_value(json_object_get(v, "decodeLowercase")), bin, n);
		check_decodes(json_string_value(json_object_get(v, "decodeLowercaseNoPadding")),
		              bin, n);
		count++;
	}
	CHECK_EQ_INT(count, 7);
	count = 0;
	json_array_foreach(json_object_get(json_object_get(j, "base32"), "invalid"), i, v)
	{
		const char *in = json_string_value(json_object_get(v, "input"));
		size_t n = 77;
		int rc = lk_base32_decode(in, strlen(in), bin, sizeof(bin), &n);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "invalid \"%s\" gave %d\n", in, rc);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
		CHECK_EQ_INT(n, 0);
		count++;
	}
	CHECK_EQ_INT(count, 9);
	/* the TOTP seeds, padded and unpadded */
	const char *algs[] = {"sha1", "sha256", "sha512"};
	for (i = 0; i < 3; i++) {
		json_t *seed =
		    json_object_get(json_object_get(json_object_get(j, "totp"), "seeds"), algs[i]);
		size_t n = unhex(json_string_value(json_object_get(seed, "hex")), bin);
		check_decodes(json_string_value(json_object_get(seed, "base32")), bin, n);
		check_decodes(json_string_value(json_object_get(seed, "base32NoPadding")), bin, n);
		CHECK_EQ_INT(lk_base32_encode(bin, n, enc, sizeof(enc)), LK_OK);
		CHECK_EQ_STR(enc, json_string_value(json_object_get(seed, "base32NoPadding")));
	}
	json_decref(j);
}

static void
test_refusals(void)
{
	unsigned char out[64];
	size_t n;
	const char *bad[] =
	    {
	        "MZXW6YQ ", /* whitespace */
	        " MZXW6YQ",         "MZXW 6YQ",     "MZXW6YQ\n",
	        "MZXW6YTB========", /* a whole group of padding */
	        "MZXW6YQ=========", /* too much padding */
	        "MZXW6Y==",         /* 6-character final group, padded */
	        "MZXW6Y",           /* 6-character final group */
	        "MZXW6YQ=MZXW6YQ=", /* padding then data */
	        "MZXW6YR",          /* non-zero unused bits ("MZXW6YQ" is canonical) */
	        "MZXW6YQ-",         "MZXW6YQ_",     "MZXW6YQ+",
	        "MZXW6YQ/",         "MZXW\xc3\xa9", "=",
	        "========",
	    };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 5;
		int rc = lk_base32_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "\"%s\" gave %d\n", bad[i], rc);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
		CHECK_EQ_INT(n, 0);
	}
	/* padded "f" is MY======; MZ====== sets an unused bit */
	CHECK_EQ_INT(lk_base32_decode("MY======", 8, out, sizeof(out), &n), LK_OK);
	CHECK_EQ_INT(lk_base32_decode("MZ======", 8, out, sizeof(out), &n), LK_E_MALFORMED);
	/* NUL inside: the length is authoritative */
	CHECK_EQ_INT(lk_base32_decode("MZXW\0YQ", 7, out, sizeof(out), &n), LK_E_MALFORMED);
	/* output capacity: "foobar" needs 6 bytes */
	CHECK_EQ_INT(lk_base32_decode("MZXW6YTBOI", 10, out, 5, &n), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_base32_decode("MZXW6YTBOI", 10, out, 6, &n), LK_OK);
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_INT(lk_base32_decode("", 0, NULL, 0, &n), LK_OK);
	CHECK_EQ_INT(n, 0);
	char enc[8];
	CHECK_EQ_INT(lk_base32_encode((const unsigned char *)"foob", 4, enc, 7), LK_E_INVAL);
	CHECK_EQ_INT(lk_base32_encode((const unsigned char *)"foob", 4, enc, 8), LK_OK);
	CHECK_EQ_STR(enc, "MZXW6YQ");
}

static void
test_roundtrip(void)
{
	unsigned char bin[100], back[100];
	char enc[200];
	size_t n, bad = 0;

	for (size_t len = 0; len <= sizeof(bin); len++) {
		for (size_t i = 0; i < len; i++) {
			bin[i] = (unsigned char)(len * 31 + i * 17);
		}
		if (lk_base32_encode(bin, len, enc, sizeof(enc)) != LK_OK ||
		    strlen(enc) != lk_base32_encoded_len(len) ||
		    lk_base32_decode(enc, strlen(enc), back, sizeof(back), &n) != LK_OK ||
		    n != len || memcmp(bin, back, len) != 0) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

int
main(void)
{
	RUN(test_vectors);
	RUN(test_refusals);
	RUN(test_roundtrip);
	return check_done("test_base32");
}
