/* cbor.h: the strict CBOR reader of the WebAuthn verifier, over libcbor. Trust boundary:
 * decodes attacker-supplied bytes (attestationObject, COSE keys, extension outputs). Only
 * cbor.c touches libcbor; everyone else uses these typed getters on an opaque item.
 * Refused before libcbor sees the bytes: input over LK_MAX_CBOR, indefinite lengths,
 * reserved additional-information values, tags, floats, nesting over LK_MAX_CBOR_DEPTH,
 * arrays or maps over LK_MAX_CBOR_ENTRIES, declared lengths beyond the input, map keys
 * other than integers and text strings, and duplicate map keys. */
#ifndef LK_WA_CBOR_H
#define LK_WA_CBOR_H
#include <stddef.h>
#include <stdint.h>

struct lk_wa_cbor; /* a decoded item; borrowed pointers into a tree owned by the root */

enum lk_wa_cbor_type {
	LK_WA_CBOR_INT,   /* major types 0 and 1 */
	LK_WA_CBOR_BYTES, /* 2 */
	LK_WA_CBOR_TEXT,  /* 3 */
	LK_WA_CBOR_ARRAY, /* 4 */
	LK_WA_CBOR_MAP,   /* 5 */
	LK_WA_CBOR_BOOL,  /* 7: false/true */
	LK_WA_CBOR_OTHER, /* 7: null, undefined, simple values, floats */
};

/* Decodes one item. With used == NULL every byte of buf must belong to it (trailing bytes
 * are LK_E_MALFORMED); otherwise the item is read from the start of buf and *used is set
 * to its encoded length. Returns LK_OK, LK_E_MALFORMED, LK_E_TOOBIG or LK_E_NOMEM. */
int lk_wa_cbor_decode(const uint8_t *buf, size_t len, size_t *used, struct lk_wa_cbor **out);
/* Frees a tree returned by lk_wa_cbor_decode; accepts NULL. */
void lk_wa_cbor_free(struct lk_wa_cbor *item);

/* Checks the structural rules above on buf without building a tree: LK_OK or an lk_rc;
 * *used as in lk_wa_cbor_decode. */
int lk_wa_cbor_check(const uint8_t *buf, size_t len, size_t *used);

enum lk_wa_cbor_type lk_wa_cbor_type(const struct lk_wa_cbor *item);
/* 0 and the value, or -1 when item is NULL, not an integer, or outside int64_t. */
int lk_wa_cbor_int(const struct lk_wa_cbor *item, int64_t *v);
/* 0 and a borrowed pointer/length (pointer non-NULL even when empty), or -1. */
int lk_wa_cbor_bytes(const struct lk_wa_cbor *item, const uint8_t **p, size_t *n);
int lk_wa_cbor_text(const struct lk_wa_cbor *item, const char **p, size_t *n);
/* 1 when item is a text string equal to s. */
int lk_wa_cbor_text_is(const struct lk_wa_cbor *item, const char *s);
int lk_wa_cbor_bool(const struct lk_wa_cbor *item, int *v);
/* Number of elements of an array or pairs of a map; 0 for anything else. */
size_t lk_wa_cbor_count(const struct lk_wa_cbor *item);
/* Element i of an array, or key/value i of a map; NULL when out of range or wrong type. */
const struct lk_wa_cbor *lk_wa_cbor_array_at(const struct lk_wa_cbor *item, size_t i);
const struct lk_wa_cbor *lk_wa_cbor_map_key_at(const struct lk_wa_cbor *item, size_t i);
const struct lk_wa_cbor *lk_wa_cbor_map_value_at(const struct lk_wa_cbor *item, size_t i);
/* The value under an integer / text key of a map, or NULL. */
const struct lk_wa_cbor *lk_wa_cbor_map_int(const struct lk_wa_cbor *map, int64_t key);
const struct lk_wa_cbor *lk_wa_cbor_map_str(const struct lk_wa_cbor *map, const char *key);

#endif
