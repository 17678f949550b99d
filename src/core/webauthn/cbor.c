/* cbor.c: strict CBOR decoding over libcbor (see cbor.h). A bounded pre-scan validates the
 * raw bytes first (so libcbor never allocates from a length the input could not hold),
 * then cbor_load builds the tree and must consume exactly the scanned bytes. This is the
 * only file that calls libcbor. */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "core/limits.h"
#include "core/rc.h"
#include "core/webauthn/cbor.h"

struct key_desc {
	int major;          /* 0, 1 or 3 */
	uint64_t val;       /* the integer, or the text length */
	const uint8_t *txt; /* text bytes */
};

/* Reads an item head: major type, argument; refuses indefinite and reserved forms. */
static int
head(const uint8_t *p, size_t len, size_t *pos, int *major, uint64_t *val, int *ai_out)
{
	uint8_t b;
	int ai, n, i;
	uint64_t v = 0;

	if (*pos >= len) {
		return LK_E_MALFORMED;
	}
	b = p[(*pos)++];
	*major = b >> 5;
	ai = b & 31;
	*ai_out = ai;
	if (ai < 24) {
		*val = (uint64_t)ai;
		return LK_OK;
	}
	if (ai > 27) { /* 28-30 reserved, 31 indefinite length or break */
		return LK_E_MALFORMED;
	}
	n = 1 << (ai - 24);
	if (len - *pos < (size_t)n) {
		return LK_E_MALFORMED;
	}
	for (i = 0; i < n; i++) {
		v = (v << 8) | p[(*pos)++];
	}
	*val = v;
	return LK_OK;
}

static int
scan(const uint8_t *p, size_t len, size_t *pos, int depth)
{
	int major, ai, rc;
	uint64_t val, i, j;
	struct key_desc keys[LK_MAX_CBOR_ENTRIES];

	if (depth > LK_MAX_CBOR_DEPTH) {
		return LK_E_TOOBIG;
	}
	if ((rc = head(p, len, pos, &major, &val, &ai)) != LK_OK) {
		return rc;
	}
	switch (major) {
	case 0:
	case 1:
		return LK_OK;
	case 2:
	case 3:
		if (val > len - *pos) {
			return LK_E_MALFORMED;
		}
		*pos += (size_t)val;
		return LK_OK;
	case 4:
		if (val > LK_MAX_CBOR_ENTRIES) {
			return LK_E_TOOBIG;
		}
		if (val > len - *pos) {
			return LK_E_MALFORMED;
		}
		for (i = 0; i < val; i++) {
			if ((rc = scan(p, len, pos, depth + 1)) != LK_OK) {
				return rc;
			}
		}
		return LK_OK;
	case 5:
		if (val > LK_MAX_CBOR_ENTRIES) {
			return LK_E_TOOBIG;
		}
		if (val > (len - *pos) / 2) {
			return LK_E_MALFORMED;
		}
		for (i = 0; i < val; i++) {
			size_t kpos = *pos;
			int kmajor, kai;
			uint64_t kval;
			if ((rc = head(p, len, &kpos, &kmajor, &kval, &kai)) != LK_OK) {
				return rc;
			}
			if (kmajor != 0 && kmajor != 1 && kmajor != 3) {
				return LK_E_MALFORMED; /* only integer and text keys */
			}
			keys[i].major = kmajor;
			keys[i].val = kval;
			keys[i].txt = p + kpos;
			if ((rc = scan(p, len, pos, depth + 1)) != LK_OK) { /* the key */
				return rc;
			}
			for (j = 0; j < i; j++) {
				if (keys[j].major == kmajor && keys[j].val == kval &&
				    (kmajor != 3 ||
				     memcmp(keys[j].txt, keys[i].txt, (size_t)kval) == 0)) {
					return LK_E_MALFORMED; /* duplicate key */
				}
			}
			if ((rc = scan(p, len, pos, depth + 1)) != LK_OK) { /* the value */
				return rc;
			}
		}
		return LK_OK;
	case 6:
		return LK_E_MALFORMED; /* no tags in WebAuthn structures */
	default:
		/* major 7: simple values 0-23 inline, 24 one byte, 25-27 floats. No WebAuthn
		 * structure holds a float, and libcbor 0.8 asserts when a float reaches its
		 * bool/ctrl accessors, so floats are refused here. */
		if (ai == 24 && val < 32) {
			return LK_E_MALFORMED; /* two-byte form of a one-byte simple value */
		}
		if (ai >= 25) {
			return LK_E_MALFORMED;
		}
		return LK_OK;
	}
}

int
lk_wa_cbor_check(const uint8_t *buf, size_t len, size_t *used)
{
	size_t pos = 0;
	int rc;

	if (buf == NULL || len == 0) {
		return LK_E_MALFORMED;
	}
	if (len > LK_MAX_CBOR) {
		return LK_E_TOOBIG;
	}
	if ((rc = scan(buf, len, &pos, 0)) != LK_OK) {
		return rc;
	}
	if (used != NULL) {
		*used = pos;
	} else if (pos != len) {
		return LK_E_MALFORMED;
	}
	return LK_OK;
}

int
lk_wa_cbor_decode(const uint8_t *buf, size_t len, size_t *used, struct lk_wa_cbor **out)
{
	size_t n = 0;
	struct cbor_load_result res;
	cbor_item_t *item;
	int rc;

	*out = NULL;
	if ((rc = lk_wa_cbor_check(buf, len, &n)) != LK_OK) {
		return rc;
	}
	if (used == NULL && n != len) {
		return LK_E_MALFORMED;
	}
	memset(&res, 0, sizeof(res));
	item = cbor_load(buf, n, &res);
	if (item == NULL) {
		return res.error.code == CBOR_ERR_MEMERROR ? LK_E_NOMEM : LK_E_MALFORMED;
	}
	if (res.error.code != CBOR_ERR_NONE || res.read != n) {
		cbor_decref(&item);
		return LK_E_MALFORMED;
	}
	if (used != NULL) {
		*used = n;
	}
	*out = (struct lk_wa_cbor *)item;
	return LK_OK;
}

void
lk_wa_cbor_free(struct lk_wa_cbor *item)
{
	cbor_item_t *it = (cbor_item_t *)item;

	if (it != NULL) {
		cbor_decref(&it);
	}
}

#define C(x) ((const cbor_item_t *)(x))

/* cbor_is_bool asserts (aborts) on floats in libcbor 0.8: check the width first. */
static int
is_bool(const cbor_item_t *it)
{
	return cbor_isa_float_ctrl(it) && cbor_float_get_width(it) == CBOR_FLOAT_0 &&
	       cbor_is_bool(it);
}

enum lk_wa_cbor_type
lk_wa_cbor_type(const struct lk_wa_cbor *item)
{
	switch (cbor_typeof(C(item))) {
	case CBOR_TYPE_UINT:
	case CBOR_TYPE_NEGINT:
		return LK_WA_CBOR_INT;
	case CBOR_TYPE_BYTESTRING:
		return LK_WA_CBOR_BYTES;
	case CBOR_TYPE_STRING:
		return LK_WA_CBOR_TEXT;
	case CBOR_TYPE_ARRAY:
		return LK_WA_CBOR_ARRAY;
	case CBOR_TYPE_MAP:
		return LK_WA_CBOR_MAP;
	default:
		return is_bool(C(item)) ? LK_WA_CBOR_BOOL : LK_WA_CBOR_OTHER;
	}
}

int
lk_wa_cbor_int(const struct lk_wa_cbor *item, int64_t *v)
{
	uint64_t u;

	if (item == NULL) {
		return -1;
	}
	if (cbor_isa_uint(C(item))) {
		u = cbor_get_int(C(item));
		if (u > INT64_MAX) {
			return -1;
		}
		*v = (int64_t)u;
		return 0;
	}
	if (cbor_isa_negint(C(item))) {
		u = cbor_get_int(C(item));
		if (u > INT64_MAX) {
			return -1;
		}
		*v = -1 - (int64_t)u;
		return 0;
	}
	return -1;
}

int
lk_wa_cbor_bytes(const struct lk_wa_cbor *item, const uint8_t **p, size_t *n)
{
	static const uint8_t empty[1];

	if (item == NULL || !cbor_isa_bytestring(C(item)) ||
	    !cbor_bytestring_is_definite(C(item))) {
		return -1;
	}
	*n = cbor_bytestring_length(C(item));
	*p = *n ? cbor_bytestring_handle(C(item)) : empty;
	return *p == NULL ? -1 : 0;
}

int
lk_wa_cbor_text(const struct lk_wa_cbor *item, const char **p, size_t *n)
{
	if (item == NULL || !cbor_isa_string(C(item)) || !cbor_string_is_definite(C(item))) {
		return -1;
	}
	*n = cbor_string_length(C(item));
	*p = *n ? (const char *)cbor_string_handle(C(item)) : "";
	return *p == NULL ? -1 : 0;
}

int
lk_wa_cbor_text_is(const struct lk_wa_cbor *item, const char *s)
{
	const char *t;
	size_t n;

	if (lk_wa_cbor_text(item, &t, &n) != 0) {
		return 0;
	}
	return n == strlen(s) && memcmp(t, s, n) == 0;
}

int
lk_wa_cbor_bool(const struct lk_wa_cbor *item, int *v)
{
	if (item == NULL || !is_bool(C(item))) {
		return -1;
	}
	*v = cbor_get_bool(C(item)) ? 1 : 0;
	return 0;
}

size_t
lk_wa_cbor_count(const struct lk_wa_cbor *item)
{
	if (item == NULL) {
		return 0;
	}
	if (cbor_isa_array(C(item))) {
		return cbor_array_size(C(item));
	}
	if (cbor_isa_map(C(item))) {
		return cbor_map_size(C(item));
	}
	return 0;
}

const struct lk_wa_cbor *
lk_wa_cbor_array_at(const struct lk_wa_cbor *item, size_t i)
{
	if (item == NULL || !cbor_isa_array(C(item)) || i >= cbor_array_size(C(item))) {
		return NULL;
	}
	return (const struct lk_wa_cbor *)cbor_array_handle(C(item))[i];
}

const struct lk_wa_cbor *
lk_wa_cbor_map_key_at(const struct lk_wa_cbor *item, size_t i)
{
	if (item == NULL || !cbor_isa_map(C(item)) || i >= cbor_map_size(C(item))) {
		return NULL;
	}
	return (const struct lk_wa_cbor *)cbor_map_handle(C(item))[i].key;
}

const struct lk_wa_cbor *
lk_wa_cbor_map_value_at(const struct lk_wa_cbor *item, size_t i)
{
	if (item == NULL || !cbor_isa_map(C(item)) || i >= cbor_map_size(C(item))) {
		return NULL;
	}
	return (const struct lk_wa_cbor *)cbor_map_handle(C(item))[i].value;
}

const struct lk_wa_cbor *
lk_wa_cbor_map_int(const struct lk_wa_cbor *map, int64_t key)
{
	size_t i, n = lk_wa_cbor_count(map);
	int64_t k;

	if (map == NULL || !cbor_isa_map(C(map))) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (lk_wa_cbor_int(lk_wa_cbor_map_key_at(map, i), &k) == 0 && k == key) {
			return lk_wa_cbor_map_value_at(map, i);
		}
	}
	return NULL;
}

const struct lk_wa_cbor *
lk_wa_cbor_map_str(const struct lk_wa_cbor *map, const char *key)
{
	size_t i, n = lk_wa_cbor_count(map);

	if (map == NULL || !cbor_isa_map(C(map))) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (lk_wa_cbor_text_is(lk_wa_cbor_map_key_at(map, i), key)) {
			return lk_wa_cbor_map_value_at(map, i);
		}
	}
	return NULL;
}
