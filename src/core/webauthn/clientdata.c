/* clientdata.c: clientDataJSON checks (see clientdata.h). jansson parses the untrusted
 * bytes with duplicate members refused; values are compared, never re-encoded. */
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/limits.h"
#include "core/rc.h"
#include "core/webauthn/clientdata.h"
#include "core/webauthn/wa_util.h"

static int
in_list(const char *s, size_t n, const char *const *list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (list[i] != NULL && strlen(list[i]) == n && memcmp(list[i], s, n) == 0) {
			return 1;
		}
	}
	return 0;
}

int
lk_wa_clientdata_check(const struct lk_wa_config *cfg, const uint8_t *cdj, size_t len,
                       const char *want_type, const char *expected_challenge,
                       struct lk_wa_error *err)
{
	json_error_t jerr;
	json_t *c = NULL, *v, *top;
	const char *s;
	size_t n, en;
	int rc, cross = 0;

	if (cdj == NULL || len == 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, "clientDataJSON", "empty");
	}
	if (len > LK_MAX_BODY) {
		return lk_wa_fail(err, LK_E_TOOBIG, "clientDataJSON", "too large");
	}
	c = json_loadb((const char *)cdj, len, JSON_REJECT_DUPLICATES, &jerr);
	if (c == NULL || !json_is_object(c)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "clientDataJSON", "not a JSON object");
		goto out;
	}
	/* type */
	v = json_object_get(c, "type");
	if (!json_is_string(v)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "type", "missing or not a string");
		goto out;
	}
	if (strcmp(json_string_value(v), want_type) != 0 ||
	    json_string_length(v) != strlen(want_type)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "type", "is not %s", want_type);
		goto out;
	}
	/* challenge: the base64url string as sent, compared in constant time */
	v = json_object_get(c, "challenge");
	if (!json_is_string(v)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "challenge", "missing or not a string");
		goto out;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	en = expected_challenge ? strlen(expected_challenge) : 0;
	if (en == 0 || n != en || CRYPTO_memcmp(s, expected_challenge, n) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "challenge", "mismatch");
		goto out;
	}
	/* origin: exact match */
	v = json_object_get(c, "origin");
	if (!json_is_string(v)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "origin", "missing or not a string");
		goto out;
	}
	if (!in_list(json_string_value(v), json_string_length(v), cfg->origins, cfg->n_origins)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "origin", "mismatch");
		goto out;
	}
	/* crossOrigin and topOrigin (API-NOTES 107) */
	v = json_object_get(c, "crossOrigin");
	if (v != NULL) {
		if (!json_is_boolean(v)) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, "crossOrigin", "not a boolean");
			goto out;
		}
		cross = json_is_true(v);
	}
	top = json_object_get(c, "topOrigin");
	if (top != NULL) {
		if (!json_is_string(top)) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, "crossOrigin",
			                "topOrigin not a string");
			goto out;
		}
		if (!cross) {
			rc = lk_wa_fail(err, LK_E_VERIFY, "crossOrigin",
			                "topOrigin without crossOrigin true");
			goto out;
		}
		if (!in_list(json_string_value(top), json_string_length(top), cfg->top_origins,
		             cfg->n_top_origins)) {
			rc = lk_wa_fail(err, LK_E_VERIFY, "crossOrigin", "topOrigin not accepted");
			goto out;
		}
	} else if (cross) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "crossOrigin",
		                "crossOrigin true without topOrigin");
		goto out;
	}
	/* tokenBinding (L2; removed in L3): when an object, its status must be known */
	v = json_object_get(c, "tokenBinding");
	if (json_is_object(v)) {
		json_t *st = json_object_get(v, "status");
		if (!json_is_string(st) || (strcmp(json_string_value(st), "present") != 0 &&
		                            strcmp(json_string_value(st), "supported") != 0)) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, "tokenBinding", "invalid status");
			goto out;
		}
		if (strcmp(json_string_value(st), "present") == 0 &&
		    !json_is_string(json_object_get(v, "id"))) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, "tokenBinding", "present without id");
			goto out;
		}
	}
	rc = LK_OK;
out:
	json_decref(c);
	return rc;
}
