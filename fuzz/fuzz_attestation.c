/* fuzz_attestation.c: an attestationObject through every attestation format: CBOR
 * decoding, authData with its key, then the format's verification procedure (certificate
 * parsing, TPM structures, Android key description, SafetyNet JWS, Apple nonce) with no
 * trust anchors. Input: clientDataHash (32 bytes), the clock (8 bytes, big-endian ms), then
 * the attestationObject, so that seeds from real registrations pass their signatures and
 * reach the certificate, TPM and key-description parsers behind them
 * (fuzz/make-corpus.mjs writes them so). */
#include <string.h>

#include "core/rc.h"
#include "core/webauthn/attest.h"
#include "fuzz.h"

#define HEADER (32 + 8)

static const char *const origins[] = {"https://example.org"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *name;
		int (*fn)(struct lk_wa_att *, struct lk_wa_error *);
	} fmts[] = {
	    {"none", lk_wa_att_none},
	    {"packed", lk_wa_att_packed},
	    {"fido-u2f", lk_wa_att_fido_u2f},
	    {"apple", lk_wa_att_apple},
	    {"tpm", lk_wa_att_tpm},
	    {"android-key", lk_wa_att_android_key},
	    {"android-safetynet", lk_wa_att_android_safetynet},
	};
	struct lk_wa_config cfg;
	struct lk_wa_cbor *obj = NULL;
	const struct lk_wa_cbor *stmt;
	const uint8_t *ad_raw;
	size_t ad_len, i;
	struct lk_wa_authdata ad;
	struct lk_wa_cose_key key;
	struct lk_wa_att att;
	struct lk_wa_error err;

	uint64_t now = 0;

	if (size < HEADER) {
		return 0;
	}
	for (i = 0; i < 8; i++) {
		now = now << 8 | data[32 + i];
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.rp_id = "example.org";
	cfg.origins = origins;
	cfg.n_origins = 1;
	cfg.now_ms = (int64_t)(now & INT64_MAX);
	if (lk_wa_cbor_decode(data + HEADER, size - HEADER, NULL, &obj) != LK_OK) {
		return 0;
	}
	stmt = lk_wa_cbor_map_str(obj, "attStmt");
	if (stmt != NULL && lk_wa_cbor_type(stmt) == LK_WA_CBOR_MAP &&
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(obj, "authData"), &ad_raw, &ad_len) == 0 &&
	    lk_wa_authdata_parse(ad_raw, ad_len, &ad, &key, &err) == LK_OK) {
		if (key.pkey != NULL) {
			for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
				if (!lk_wa_cbor_text_is(lk_wa_cbor_map_str(obj, "fmt"),
				                        fmts[i].name)) {
					continue;
				}
				memset(&att, 0, sizeof(att));
				att.cfg = &cfg;
				att.att_stmt = stmt;
				att.auth_data = ad_raw;
				att.auth_data_len = ad_len;
				att.ad = &ad;
				att.cred = &key;
				memcpy(att.client_hash, data, 32);
				(void)fmts[i].fn(&att, &err);
				json_decref(att.trust_path);
			}
		}
		lk_wa_cose_clear(&key);
	}
	lk_wa_cbor_free(obj);
	return 0;
}
