/* body.c: strict JSON bodies. jansson refuses lone surrogate escapes as a syntax error,
 * but the contract wants them named as an invalid field (API-NOTES 5); so they are
 * rewritten to "?" first, remembering which top-level field held the first one, and
 * refused with that field once the rest parses. A string value holding a NUL sent as
 * such is refused the same way. */
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "http/body.h"

/* The code unit of a \uXXXX escape at s (s[0] == '\\'), or -1. */
static long
escape_unit(const char *s, size_t left)
{
	long v = 0;

	if (left < 6 || s[0] != '\\' || s[1] != 'u') {
		return -1;
	}
	for (int i = 2; i < 6; i++) {
		int h = lk_hex_digit(s[i]);
		if (h < 0) {
			return -1;
		}
		v = v * 16 + h;
	}
	return v;
}

/* Copies body, rewriting lone surrogate escapes to "?" so that jansson parses it (it
 * refuses them as a syntax error); *lone_key is set to the position among the top-level
 * keys of the field holding the first lone surrogate (in its key, its value or deeper),
 * else -1. Returns -1 when nesting is too deep. */
static int
rewrite(const char *in, size_t len, char *out, long *lone_key)
{
	int depth = 0, in_string = 0, expect_key = 0;
	long cur_key = -1;

	*lone_key = -1;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		out[i] = c;
		if (!in_string) {
			if (c == '"') {
				in_string = 1;
				if (depth == 1 && expect_key) {
					cur_key++;
				}
				expect_key = 0;
			} else if (c == '{' || c == '[') {
				if (++depth > LK_MAX_JSON_DEPTH) {
					return -1;
				}
				expect_key = c == '{';
			} else if (c == '}' || c == ']') {
				depth--;
			} else if (c == ',') {
				expect_key = depth == 1; /* in the top-level object a key follows */
			}
			continue;
		}
		if (c == '"') {
			in_string = 0;
		} else if (c == '\\' && i + 1 < len) {
			long u = escape_unit(in + i, len - i);
			if (u >= 0xD800 && u <= 0xDBFF) {
				long lo = escape_unit(in + i + 6, len - i - 6);
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					memcpy(out + i, in + i, 12);
					i += 11;
					continue;
				}
			}
			if (u >= 0xD800 && u <= 0xDFFF) {
				memcpy(out + i, "\\u003f", 6);
				if (*lone_key < 0) {
					*lone_key = cur_key;
				}
				i += 5;
				continue;
			}
			out[i + 1] = in[i + 1];
			i++;
		}
	}
	return 0;
}

static int
has_nul(json_t *v)
{
	const char *k;
	size_t i, klen;
	json_t *x;

	if (json_is_string(v)) {
		return memchr(json_string_value(v), 0, json_string_length(v)) != NULL;
	}
	if (json_is_object(v)) {
		json_object_keylen_foreach(v, k, klen, x)
		{
			if (strlen(k) != klen || has_nul(x)) {
				return 1;
			}
		}
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			if (has_nul(x)) {
				return 1;
			}
		}
	}
	return 0;
}

int
lk_body_parse(const char *body, size_t len, json_t **out, const char **code, char *field_buf,
              size_t field_cap)
{
	json_t *j, *x;
	const char *k;
	size_t klen;
	long lone_key, pos = 0;
	char *copy;

	*out = NULL;
	*code = "invalid_json";
	if (len == 0) {
		*out = json_object();
		return 0;
	}
	if (lk_utf8_validate(body, len) != LK_OK ||
	    (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)) {
		return -1;
	}
	if (!(copy = malloc(len))) {
		return -1;
	}
	if (rewrite(body, len, copy, &lone_key) != 0) {
		free(copy);
		return -1;
	}
	j = json_loadb(copy, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	free(copy);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	json_object_keylen_foreach(j, k, klen, x)
	{
		if (pos++ == lone_key || strlen(k) != klen || has_nul(x)) {
			size_t n = strlen(k);
			if (n >= field_cap) {
				n = field_cap - 1;
			}
			memcpy(field_buf, k, n);
			field_buf[n] = '\0';
			*code = "invalid_field";
			json_decref(j);
			return -1;
		}
	}
	*out = j;
	return 0;
}
