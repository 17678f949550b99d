/* test_cbor.c: the strict CBOR layer of the WebAuthn verifier (core/webauthn/cbor.c):
 * well-formed input, truncation at every byte of a real attestationObject, trailing bytes,
 * indefinite lengths, duplicate keys, huge declared lengths, nesting and entry limits,
 * tags, and the typed getters on wrong types. */
#include <stdlib.h>

#include "check.h"
#include "core/limits.h"
#include "core/rc.h"
#include "core/webauthn/cbor.h"
#include "core/webauthn/wa_util.h"

/* attestationObject of the vector soft-none-es256 (fmt none, ES256) */
static const char ao_b64[] =
    "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVik6ZJIVf1BBluE_x_wOvxXYoHJeyw-mQ4vFvFhd_yCRK5BAAAAALP"
    "e79cwQudyvKTn9uQYIg8AIEI7a_1t0WCpc9jBDztmTDiBAGeYvZPN94II4jdhJxtTpQECAyYgASFYIIw-8--waCopfo"
    "wbiz7eB4QBS5AYJVyMbQQp-reKIiyFIlggAB2MGDfwt_xkcTtCVbT8XIIb_mV-_wcYm8tS9UMGbyw";

static int
dec(const uint8_t *b, size_t n)
{
	struct lk_wa_cbor *it = NULL;
	int rc = lk_wa_cbor_decode(b, n, NULL, &it);
	if (rc == LK_OK) {
		lk_wa_cbor_free(it);
	} else if (it != NULL) {
		rc = 99; /* an error must not return a tree */
	}
	return rc;
}

static void
test_well_formed_map(void)
{
	static const uint8_t b[] = {0xa3, 0x01, 0x02, 0x61, 'a', 0x41, 0x07, 0x20, 0xf5};
	struct lk_wa_cbor *m = NULL;
	const uint8_t *p;
	size_t n;
	int64_t v;
	int bv;

	CHECK_EQ_INT(lk_wa_cbor_decode(b, sizeof(b), NULL, &m), LK_OK);
	CHECK(m != NULL);
	CHECK_EQ_INT(lk_wa_cbor_type(m), LK_WA_CBOR_MAP);
	CHECK_EQ_INT(lk_wa_cbor_count(m), 3);
	CHECK_EQ_INT(lk_wa_cbor_int(lk_wa_cbor_map_int(m, 1), &v), 0);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(lk_wa_cbor_bytes(lk_wa_cbor_map_str(m, "a"), &p, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(p[0], 7);
	CHECK_EQ_INT(lk_wa_cbor_bool(lk_wa_cbor_map_int(m, -1), &bv), 0);
	CHECK_EQ_INT(bv, 1);
	CHECK(lk_wa_cbor_map_int(m, 2) == NULL);
	CHECK(lk_wa_cbor_map_str(m, "b") == NULL);
	lk_wa_cbor_free(m);
}

static void
test_wrong_types(void)
{
	static const uint8_t b[] = {0xa2, 0x01, 0x61, 'x',  0x02, 0x1b, 0xff,
	                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct lk_wa_cbor *m = NULL;
	const uint8_t *p;
	const char *t;
	size_t n;
	int64_t v;
	int bv;

	CHECK_EQ_INT(lk_wa_cbor_decode(b, sizeof(b), NULL, &m), LK_OK);
	CHECK_EQ_INT(lk_wa_cbor_int(lk_wa_cbor_map_int(m, 1), &v), -1); /* text, not int */
	CHECK_EQ_INT(lk_wa_cbor_bytes(lk_wa_cbor_map_int(m, 1), &p, &n), -1);
	CHECK_EQ_INT(lk_wa_cbor_text(lk_wa_cbor_map_int(m, 1), &t, &n), 0);
	CHECK_EQ_INT(lk_wa_cbor_int(lk_wa_cbor_map_int(m, 2), &v), -1); /* > INT64_MAX */
	CHECK_EQ_INT(lk_wa_cbor_bool(lk_wa_cbor_map_int(m, 2), &bv), -1);
	CHECK_EQ_INT(lk_wa_cbor_text(m, &t, &n), -1);
	CHECK(lk_wa_cbor_array_at(m, 0) == NULL);
	CHECK(lk_wa_cbor_map_key_at(m, 2) == NULL);
	CHECK_EQ_INT(lk_wa_cbor_int(NULL, &v), -1);
	lk_wa_cbor_free(m);
}

static void
test_truncation_every_byte(void)
{
	uint8_t *ao = NULL;
	size_t n = 0, i, used = 0;
	struct lk_wa_cbor *it = NULL;
	int bad = 0;

	CHECK_EQ_INT(lk_wa_b64u_decode(ao_b64, sizeof(ao_b64) - 1, 4096, &ao, &n), LK_OK);
	CHECK_EQ_INT(dec(ao, n), LK_OK);
	for (i = 0; i < n; i++) {
		if (dec(ao, i) == LK_OK) {
			bad++;
		}
		if (lk_wa_cbor_decode(ao, i, &used, &it) == LK_OK) {
			lk_wa_cbor_free(it);
			it = NULL;
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	free(ao);
}

static void
test_trailing_bytes(void)
{
	static const uint8_t b[] = {0x82, 0x01, 0x02, 0x00};
	struct lk_wa_cbor *it = NULL;
	size_t used = 0;

	CHECK_EQ_INT(dec(b, sizeof(b)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(b, sizeof(b) - 1), LK_OK);
	CHECK_EQ_INT(lk_wa_cbor_decode(b, sizeof(b), &used, &it), LK_OK);
	CHECK_EQ_INT(used, 3);
	CHECK_EQ_INT(lk_wa_cbor_count(it), 2);
	lk_wa_cbor_free(it);
}

static void
test_indefinite_lengths(void)
{
	static const uint8_t arr[] = {0x9f, 0x01, 0xff};
	static const uint8_t map[] = {0xbf, 0x01, 0x02, 0xff};
	static const uint8_t bytes[] = {0x5f, 0x41, 0x00, 0xff};
	static const uint8_t text[] = {0x7f, 0x61, 'a', 0xff};
	static const uint8_t brk[] = {0xff};

	CHECK_EQ_INT(dec(arr, sizeof(arr)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(map, sizeof(map)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(bytes, sizeof(bytes)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(text, sizeof(text)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(brk, sizeof(brk)), LK_E_MALFORMED);
}

static void
test_duplicate_keys(void)
{
	static const uint8_t ints[] = {0xa2, 0x01, 0x00, 0x01, 0x00};
	static const uint8_t texts[] = {0xa2, 0x61, 'a', 0x00, 0x61, 'a', 0x01};
	/* the same integer 1 once short and once in a 1-byte argument */
	static const uint8_t long_form[] = {0xa2, 0x01, 0x00, 0x18, 0x01, 0x00};
	static const uint8_t distinct[] = {0xa3, 0x01, 0x00, 0x20, 0x00, 0x61, 'a', 0x00};
	static const uint8_t nested[] = {0xa1, 0x01, 0xa2, 0x02, 0x00, 0x02, 0x00};
	static const uint8_t array_key[] = {0xa1, 0x80, 0x00};

	CHECK_EQ_INT(dec(ints, sizeof(ints)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(texts, sizeof(texts)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(long_form, sizeof(long_form)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(distinct, sizeof(distinct)), LK_OK);
	CHECK_EQ_INT(dec(nested, sizeof(nested)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(array_key, sizeof(array_key)), LK_E_MALFORMED);
}

/* Writes into b a map of n entries (n < 65536), keys 0..n-1 and values 0; returns its
 * length (at most 3 + 4 * n bytes). */
static size_t
map_of(uint8_t *b, size_t n)
{
	size_t len = 0, k;

	b[len++] = 0xb9;
	b[len++] = (uint8_t)(n >> 8);
	b[len++] = (uint8_t)n;
	for (k = 0; k < n; k++) {
		if (k < 24) {
			b[len++] = (uint8_t)k;
		} else if (k < 256) {
			b[len++] = 0x18;
			b[len++] = (uint8_t)k;
		} else {
			b[len++] = 0x19;
			b[len++] = (uint8_t)(k >> 8);
			b[len++] = (uint8_t)k;
		}
		b[len++] = 0;
	}
	return len;
}

static void
test_huge_lengths(void)
{
	static const uint8_t bytes[] = {0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t text[] = {0x7a, 0x7f, 0xff, 0xff, 0xff, 'a'};
	static const uint8_t arr[] = {0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t map[] = {0xba, 0x00, 0x00, 0x00, 0x10, 0x01, 0x02};
	static const uint8_t arr_short[] = {0x98, 0x10, 0x01};
	uint8_t *big;
	size_t i;

	CHECK_EQ_INT(dec(bytes, sizeof(bytes)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(text, sizeof(text)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(arr, sizeof(arr)), LK_E_TOOBIG);
	CHECK_EQ_INT(dec(map, sizeof(map)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(arr_short, sizeof(arr_short)), LK_E_MALFORMED);
	/* over LK_MAX_CBOR in total */
	big = calloc(LK_MAX_CBOR + 8, 1);
	CHECK(big != NULL);
	if (big != NULL) {
		big[0] = 0x5a;
		big[1] = (uint8_t)((LK_MAX_CBOR + 3) >> 24);
		big[2] = (uint8_t)((LK_MAX_CBOR + 3) >> 16);
		big[3] = (uint8_t)((LK_MAX_CBOR + 3) >> 8);
		big[4] = (uint8_t)(LK_MAX_CBOR + 3);
		CHECK_EQ_INT(dec(big, LK_MAX_CBOR + 8), LK_E_TOOBIG);
		/* an array of LK_MAX_CBOR_ENTRIES + 1 zeros */
		big[0] = 0x99;
		big[1] = (uint8_t)((LK_MAX_CBOR_ENTRIES + 1) >> 8);
		big[2] = (uint8_t)(LK_MAX_CBOR_ENTRIES + 1);
		for (i = 3; i < 3 + LK_MAX_CBOR_ENTRIES + 1; i++) {
			big[i] = 0;
		}
		CHECK_EQ_INT(dec(big, 3 + LK_MAX_CBOR_ENTRIES + 1), LK_E_TOOBIG);
		big[2] = (uint8_t)LK_MAX_CBOR_ENTRIES;
		CHECK_EQ_INT(dec(big, 3 + LK_MAX_CBOR_ENTRIES), LK_OK);
		/* a map of LK_MAX_CBOR_ENTRIES + 1 distinct keys: the limit is what bounds the
		 * scanner's array of keys seen, so it must hold for maps too */
		CHECK_EQ_INT(dec(big, map_of(big, LK_MAX_CBOR_ENTRIES + 1)), LK_E_TOOBIG);
		CHECK_EQ_INT(dec(big, map_of(big, LK_MAX_CBOR_ENTRIES)), LK_OK);
	}
	free(big);
}

static void
test_depth(void)
{
	uint8_t b[LK_MAX_CBOR_DEPTH + 3];
	size_t i;

	for (i = 0; i < LK_MAX_CBOR_DEPTH; i++) {
		b[i] = 0x81; /* [ */
	}
	b[LK_MAX_CBOR_DEPTH] = 0x00;
	CHECK_EQ_INT(dec(b, LK_MAX_CBOR_DEPTH + 1), LK_OK);
	for (i = 0; i <= LK_MAX_CBOR_DEPTH; i++) {
		b[i] = 0x81;
	}
	b[LK_MAX_CBOR_DEPTH + 1] = 0x00;
	CHECK_EQ_INT(dec(b, LK_MAX_CBOR_DEPTH + 2), LK_E_TOOBIG);
}

static void
test_tags_and_reserved(void)
{
	static const uint8_t tag[] = {0xc0, 0x61, 'x'};
	static const uint8_t reserved[] = {0x1c};
	static const uint8_t simple_long[] = {0xf8, 0x01};
	static const uint8_t empty[] = {0x00};
	/* half, single and double floats (libcbor 0.8 asserts on a float given to its bool
	 * accessor: found by fuzz_cose) */
	static const uint8_t half[] = {0xf9, 0x10, 0x5a};
	static const uint8_t single[] = {0xa1, 0x01, 0xfa, 0x3a, 0x06, 0x00, 0x00};
	static const uint8_t dbl[] = {0xfb, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t simple[] = {0x82, 0xf4, 0xf6};

	CHECK_EQ_INT(dec(tag, sizeof(tag)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(reserved, sizeof(reserved)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(simple_long, sizeof(simple_long)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(empty, 0), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(half, sizeof(half)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(single, sizeof(single)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(dbl, sizeof(dbl)), LK_E_MALFORMED);
	CHECK_EQ_INT(dec(simple, sizeof(simple)), LK_OK);
	CHECK_EQ_INT(dec(NULL, 0), LK_E_MALFORMED);
}

int
main(void)
{
	RUN(test_well_formed_map);
	RUN(test_wrong_types);
	RUN(test_truncation_every_byte);
	RUN(test_trailing_bytes);
	RUN(test_indefinite_lengths);
	RUN(test_duplicate_keys);
	RUN(test_huge_lengths);
	RUN(test_depth);
	RUN(test_tags_and_reserved);
	return check_done("test_cbor");
}
