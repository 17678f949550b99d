/* authdata.c: authenticatorData parsing (see authdata.h), through the bounded reader. */
#include <string.h>

#include "core/rc.h"
#include "core/webauthn/authdata.h"
#include "core/webauthn/cbor.h"
#include "core/webauthn/wa_util.h"

#define A "authenticatorData"

int
lk_wa_authdata_parse(const uint8_t *buf, size_t len, struct lk_wa_authdata *out,
                     struct lk_wa_cose_key *key, struct lk_wa_error *err)
{
	struct lk_wa_rd r;
	struct lk_wa_cbor *item = NULL;
	uint16_t idlen;
	size_t used = 0, i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (key != NULL) {
		memset(key, 0, sizeof(*key));
	}
	lk_wa_rd_init(&r, buf, len);
	if (buf == NULL || lk_wa_rd_bytes(&r, 32, &out->rp_id_hash) != 0 ||
	    lk_wa_rd_u8(&r, &out->flags) != 0 || lk_wa_rd_be32(&r, &out->sign_count) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, A, "shorter than 37 bytes");
	}
	if (out->flags & LK_WA_FLAG_AT) {
		if (lk_wa_rd_bytes(&r, 16, &out->aaguid) != 0 || lk_wa_rd_be16(&r, &idlen) != 0 ||
		    lk_wa_rd_bytes(&r, idlen, &out->cred_id) != 0) {
			return lk_wa_fail(err, LK_E_MALFORMED, A,
			                  "attested credential data truncated");
		}
		out->cred_id_len = idlen;
		rc = lk_wa_cbor_decode(r.p + r.pos, lk_wa_rd_left(&r), &used, &item);
		if (rc != LK_OK) {
			return lk_wa_fail(err, LK_E_MALFORMED, A,
			                  "credential public key is not well-formed CBOR");
		}
		if (lk_wa_cbor_type(item) != LK_WA_CBOR_MAP) {
			lk_wa_cbor_free(item);
			return lk_wa_fail(err, LK_E_MALFORMED, A,
			                  "credential public key is not a map");
		}
		out->cose = r.p + r.pos;
		out->cose_len = used;
		r.pos += used;
		if (key != NULL && (rc = lk_wa_cose_from_cbor(item, key, err)) != LK_OK) {
			lk_wa_cbor_free(item);
			return rc;
		}
		lk_wa_cbor_free(item);
		item = NULL;
	}
	if (out->flags & LK_WA_FLAG_ED) {
		if (lk_wa_rd_left(&r) == 0) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, A, "ED flag set but no extensions");
			goto fail;
		}
		rc = lk_wa_cbor_decode(r.p + r.pos, lk_wa_rd_left(&r), &used, &item);
		if (rc != LK_OK || lk_wa_cbor_type(item) != LK_WA_CBOR_MAP ||
		    lk_wa_cbor_count(item) == 0) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, A,
			                "extensions are not a non-empty map");
			goto fail;
		}
		n = lk_wa_cbor_count(item);
		for (i = 0; i < n; i++) {
			if (lk_wa_cbor_type(lk_wa_cbor_map_key_at(item, i)) != LK_WA_CBOR_TEXT) {
				rc = lk_wa_fail(err, LK_E_MALFORMED, A,
				                "extension identifier not text");
				goto fail;
			}
		}
		lk_wa_cbor_free(item);
		item = NULL;
		out->ext = r.p + r.pos;
		out->ext_len = used;
		r.pos += used;
	}
	if (lk_wa_rd_end(&r) != 0) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, A, "%zu trailing bytes", lk_wa_rd_left(&r));
		goto fail;
	}
	return LK_OK;
fail:
	lk_wa_cbor_free(item);
	lk_wa_cose_clear(key);
	return rc;
}
