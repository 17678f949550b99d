/* verify.c: the registration (WebAuthn L3 §7.1) and authentication (§7.2) ceremonies over
 * the JSON a browser sends. Trust boundary: `response` is attacker-controlled; the config,
 * the expected challenge and the stored credential record are ours. Each step carries its
 * spec tag; steps 1-4 (calling the browser API) happen in the browser. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "core/limits.h"
#include "core/rc.h"
#include "core/webauthn/attest.h"
#include "core/webauthn/authdata.h"
#include "core/webauthn/cbor.h"
#include "core/webauthn/clientdata.h"
#include "core/webauthn/cose.h"
#include "core/webauthn/wa_util.h"
#include "core/webauthn/webauthn.h"

static void
err_init(struct lk_wa_error *err)
{
	if (err != NULL) {
		err->check = "";
		err->message[0] = '\0';
	}
}

static int
cfg_ok(const struct lk_wa_config *cfg)
{
	return cfg != NULL && cfg->rp_id != NULL && cfg->origins != NULL && cfg->n_origins > 0 &&
	       (cfg->n_top_origins == 0 || cfg->top_origins != NULL) &&
	       (cfg->n_algs == 0 || cfg->algs != NULL) &&
	       (cfg->n_anchors == 0 || cfg->anchors_pem != NULL);
}

/* alg is implemented and offered. RS1 (SHA-1) is never a default: only a TPM
 * registration may carry it (Windows Hello), or a config that lists it explicitly. */
static int
alg_offered(const struct lk_wa_config *cfg, int alg, int tpm)
{
	size_t i;

	if (!lk_wa_alg_supported(alg) && !(alg == LK_WA_ALG_RS1 && (tpm || cfg->n_algs > 0))) {
		return 0;
	}
	if (cfg->n_algs == 0) {
		return 1;
	}
	for (i = 0; i < cfg->n_algs; i++) {
		if (cfg->algs[i] == alg) {
			return 1;
		}
	}
	return 0;
}

/* A base64url member of obj decoded (check names the failure). */
static int
b64_member(const json_t *obj, const char *name, size_t max, int required, uint8_t **out,
           size_t *out_len, const char *check, struct lk_wa_error *err)
{
	json_t *v = json_object_get(obj, name);
	int rc;

	*out = NULL;
	*out_len = 0;
	if (v == NULL || json_is_null(v)) {
		if (required) {
			return lk_wa_fail(err, LK_E_MALFORMED, check, "%s missing", name);
		}
		return LK_OK;
	}
	if (!json_is_string(v)) {
		return lk_wa_fail(err, LK_E_MALFORMED, check, "%s is not a string", name);
	}
	rc = lk_wa_b64u_decode(json_string_value(v), json_string_length(v), max, out, out_len);
	if (rc == LK_E_NOMEM) {
		return rc;
	}
	if (rc != LK_OK) {
		return lk_wa_fail(err, rc, check, "%s is not canonical base64url%s", name,
		                  rc == LK_E_TOOBIG ? " of an accepted size" : "");
	}
	return LK_OK;
}

/* id, rawId and type of a PublicKeyCredential JSON; rawId decoded into *raw. */
static int
credential_ids(const json_t *response, uint8_t **raw, size_t *raw_len, struct lk_wa_error *err)
{
	json_t *id, *raw_id, *type;
	int rc;

	*raw = NULL;
	if (!json_is_object(response)) {
		return lk_wa_fail(err, LK_E_MALFORMED, "credentialId", "response is not an object");
	}
	id = json_object_get(response, "id");
	raw_id = json_object_get(response, "rawId");
	type = json_object_get(response, "type");
	if (!json_is_string(type) || strcmp(json_string_value(type), "public-key") != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, "type", "credential type is not public-key");
	}
	if (!json_is_string(id) || !json_is_string(raw_id)) {
		return lk_wa_fail(err, LK_E_MALFORMED, "credentialId", "id or rawId missing");
	}
	if (json_string_length(id) != json_string_length(raw_id) ||
	    strcmp(json_string_value(id), json_string_value(raw_id)) != 0) {
		return lk_wa_fail(err, LK_E_VERIFY, "credentialId", "id differs from rawId");
	}
	rc = b64_member(response, "rawId", LK_MAX_CREDENTIAL_ID + 1, 1, raw, raw_len,
	                "credentialId", err);
	if (rc == LK_OK && *raw_len == 0) {
		free(*raw);
		*raw = NULL;
		rc = lk_wa_fail(err, LK_E_MALFORMED, "credentialId", "empty");
	}
	return rc;
}

void
lk_wa_registration_clear(struct lk_wa_registration *r)
{
	if (r == NULL) {
		return;
	}
	free(r->credential_id);
	free(r->public_key);
	json_decref(r->transports);
	json_decref(r->trust_path);
	memset(r, 0, sizeof(*r));
}

static int
copy_transports(const json_t *resp, json_t **out, struct lk_wa_error *err)
{
	json_t *t = json_object_get(resp, "transports"), *v;
	size_t i;

	*out = json_array();
	if (*out == NULL) {
		return LK_E_NOMEM;
	}
	if (t == NULL || json_is_null(t)) {
		return LK_OK;
	}
	if (!json_is_array(t) || json_array_size(t) > 16) {
		return lk_wa_fail(err, LK_E_MALFORMED, "credentialId",
		                  "transports is not an array");
	}
	json_array_foreach(t, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 32) {
			return lk_wa_fail(err, LK_E_MALFORMED, "credentialId",
			                  "transports holds a non-string");
		}
		if (json_array_append_new(
		        *out, json_stringn(json_string_value(v), json_string_length(v))) != 0) {
			return LK_E_NOMEM;
		}
	}
	return LK_OK;
}

typedef int (*att_fn)(struct lk_wa_att *, struct lk_wa_error *);

static att_fn
att_format(const char *fmt, size_t n)
{
	static const struct {
		const char *name;
		att_fn fn;
	} tab[] = {
	    {"none", lk_wa_att_none},
	    {"packed", lk_wa_att_packed},
	    {"fido-u2f", lk_wa_att_fido_u2f},
	    {"apple", lk_wa_att_apple},
	    {"tpm", lk_wa_att_tpm},
	    {"android-key", lk_wa_att_android_key},
	    {"android-safetynet", lk_wa_att_android_safetynet},
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].name) == n && memcmp(tab[i].name, fmt, n) == 0) {
			return tab[i].fn;
		}
	}
	return NULL;
}

int
lk_wa_verify_registration(const struct lk_wa_config *cfg, const json_t *response,
                          const char *expected_challenge_b64u, int require_uv, int require_up,
                          struct lk_wa_registration *out, struct lk_wa_error *err)
{
	static const char *const att_keys[] = {"fmt", "attStmt", "authData"};
	uint8_t *raw = NULL, *cdj = NULL, *ao = NULL, rp_hash[32];
	size_t raw_len = 0, cdj_len = 0, ao_len = 0, i, n, fmt_len = 0;
	json_t *resp;
	struct lk_wa_cbor *obj = NULL;
	const struct lk_wa_cbor *fmt_item, *stmt;
	const uint8_t *ad_raw;
	size_t ad_len;
	const char *fmt;
	struct lk_wa_authdata ad;
	struct lk_wa_cose_key key;
	struct lk_wa_att att;
	att_fn verify_fmt;
	int rc;

	memset(&key, 0, sizeof(key));
	memset(&att, 0, sizeof(att));
	err_init(err);
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (!cfg_ok(cfg) || out == NULL || expected_challenge_b64u == NULL) {
		return LK_E_INVAL;
	}
	if ((rc = credential_ids(response, &raw, &raw_len, err)) != LK_OK) {
		goto out;
	}
	resp = json_object_get(response, "response");
	if (!json_is_object(resp)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "clientDataJSON", "response member missing");
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 5: JSONtext = UTF-8 decode of clientDataJSON */
	if ((rc = b64_member(resp, "clientDataJSON", LK_MAX_BODY, 1, &cdj, &cdj_len,
	                     "clientDataJSON", err)) != LK_OK) {
		goto out;
	}
	if ((rc = b64_member(resp, "attestationObject", LK_MAX_CBOR, 1, &ao, &ao_len, "attestation",
	                     err)) != LK_OK) {
		goto out;
	}
	if ((rc = copy_transports(resp, &out->transports, err)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 6: C = parse(JSONtext) */
	/* SPEC webauthn-3 7.1 step 7: C.type is webauthn.create */
	/* SPEC webauthn-3 7.1 step 8: C.challenge equals the options' challenge */
	/* SPEC webauthn-3 7.1 step 9: C.origin is an expected origin */
	/* SPEC webauthn-3 7.1 step 10: C.topOrigin is a page we expect to be framed by */
	if ((rc = lk_wa_clientdata_check(cfg, cdj, cdj_len, "webauthn.create",
	                                 expected_challenge_b64u, err)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 11: hash = SHA-256(clientDataJSON as received) */
	if ((rc = lk_wa_sha256(cdj, cdj_len, att.client_hash)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 12: CBOR-decode attestationObject into fmt, authData,
	 * attStmt (strict: one definite map, nothing after it, no other members) */
	rc = lk_wa_cbor_decode(ao, ao_len, NULL, &obj);
	if (rc == LK_E_NOMEM) {
		goto out;
	}
	if (rc != LK_OK || lk_wa_cbor_type(obj) != LK_WA_CBOR_MAP) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "attestation",
		                "attestationObject is not one well-formed CBOR map");
		goto out;
	}
	n = lk_wa_cbor_count(obj);
	for (i = 0; i < n; i++) {
		const struct lk_wa_cbor *k = lk_wa_cbor_map_key_at(obj, i);
		if (!lk_wa_cbor_text_is(k, att_keys[0]) && !lk_wa_cbor_text_is(k, att_keys[1]) &&
		    !lk_wa_cbor_text_is(k, att_keys[2])) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, "attestation",
			                "attestationObject has an unknown member");
			goto out;
		}
	}
	fmt_item = lk_wa_cbor_map_str(obj, "fmt");
	stmt = lk_wa_cbor_map_str(obj, "attStmt");
	if (lk_wa_cbor_text(fmt_item, &fmt, &fmt_len) != 0 || stmt == NULL ||
	    lk_wa_cbor_type(stmt) != LK_WA_CBOR_MAP ||
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(obj, "authData"), &ad_raw, &ad_len) != 0) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "attestation",
		                "attestationObject lacks fmt, attStmt or authData");
		goto out;
	}
	if ((rc = lk_wa_authdata_parse(ad_raw, ad_len, &ad, &key, err)) != LK_OK) {
		goto out;
	}
	if (!(ad.flags & LK_WA_FLAG_AT)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "authenticatorData",
		                "no attested credential data (AT clear)");
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 13: rpIdHash is SHA-256 of the RP ID */
	if ((rc = lk_wa_sha256((const uint8_t *)cfg->rp_id, strlen(cfg->rp_id), rp_hash)) !=
	    LK_OK) {
		goto out;
	}
	if (CRYPTO_memcmp(rp_hash, ad.rp_id_hash, 32) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "rpIdHash", "mismatch");
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 14: UP set unless the creation was conditional */
	if (require_up && !(ad.flags & LK_WA_FLAG_UP)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "userPresence", "UP flag not set");
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 15: UV set when user verification is required */
	if (require_uv && !(ad.flags & LK_WA_FLAG_UV)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "userVerification", "UV flag not set");
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 16: BS only with BE */
	if ((ad.flags & LK_WA_FLAG_BS) && !(ad.flags & LK_WA_FLAG_BE)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "backupFlags", "BS set without BE");
		goto out;
	}
	/* SPEC webauthn-3 7.1 steps 17-18: BE and BS are recorded by the caller (no policy) */
	/* SPEC webauthn-3 7.1 step 19: alg is one of the offered pubKeyCredParams */
	if (!alg_offered(cfg, key.alg, fmt_len == 3 && memcmp(fmt, "tpm", 3) == 0)) {
		rc = lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm", "alg %d was not offered",
		                key.alg);
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 20: no extensions were requested; outputs are ignored */
	/* SPEC webauthn-3 7.1 step 25: credentialId <= 1023 bytes, and it is the credential's
	 * id/rawId */
	if (ad.cred_id_len > LK_MAX_CREDENTIAL_ID) {
		rc = lk_wa_fail(err, LK_E_TOOBIG, "credentialId", "longer than 1023 bytes");
		goto out;
	}
	if (ad.cred_id_len != raw_len || memcmp(ad.cred_id, raw, raw_len) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "credentialId",
		                "rawId is not the credential id of authenticatorData");
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 21: fmt is a supported format (case-sensitive) */
	if ((verify_fmt = att_format(fmt, fmt_len)) == NULL) {
		rc = lk_wa_fail(err, LK_E_UNSUPPORTED, "format", "unsupported attestation format");
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 22: verify attStmt with the format's procedure */
	/* SPEC webauthn-3 7.1 steps 23-24: trust anchors and trust path (inside the formats:
	 * the x5c chain must reach a configured anchor when there are any) */
	att.cfg = cfg;
	att.att_stmt = stmt;
	att.auth_data = ad_raw;
	att.auth_data_len = ad_len;
	att.ad = &ad;
	att.cred = &key;
	if ((rc = verify_fmt(&att, err)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 26: credentialId not yet registered: the caller's */
	/* SPEC webauthn-3 7.1 step 27: the credential record */
	out->credential_id = raw;
	out->credential_id_len = raw_len;
	raw = NULL;
	out->public_key = malloc(ad.cose_len);
	if (out->public_key == NULL) {
		rc = LK_E_NOMEM;
		goto out;
	}
	memcpy(out->public_key, ad.cose, ad.cose_len);
	out->public_key_len = ad.cose_len;
	out->alg = key.alg;
	memcpy(out->fmt, fmt, fmt_len < sizeof(out->fmt) ? fmt_len : sizeof(out->fmt) - 1);
	memcpy(out->aaguid, ad.aaguid, 16);
	out->sign_count = ad.sign_count;
	out->uv = !!(ad.flags & LK_WA_FLAG_UV);
	out->be = !!(ad.flags & LK_WA_FLAG_BE);
	out->bs = !!(ad.flags & LK_WA_FLAG_BS);
	out->attestation = att.type;
	out->anchored = att.anchored;
	out->trust_path = att.trust_path ? att.trust_path : json_array();
	att.trust_path = NULL;
	if (out->trust_path == NULL) {
		rc = LK_E_NOMEM;
		goto out;
	}
	rc = LK_OK;
out:
	if (rc != LK_OK && out != NULL) {
		lk_wa_registration_clear(out);
	}
	json_decref(att.trust_path);
	lk_wa_cose_clear(&key);
	lk_wa_cbor_free(obj);
	free(raw);
	free(cdj);
	free(ao);
	ERR_clear_error();
	return rc;
}

int
lk_wa_assertion_ids(const json_t *response, uint8_t cred_id[1023], size_t *cred_id_len,
                    uint8_t user_handle[64], size_t *user_handle_len, struct lk_wa_error *err)
{
	uint8_t *raw = NULL, *uh = NULL;
	size_t raw_len = 0, uh_len = 0;
	int rc;

	err_init(err);
	*cred_id_len = 0;
	*user_handle_len = 0;
	if ((rc = credential_ids(response, &raw, &raw_len, err)) != LK_OK) {
		return rc;
	}
	if (raw_len > LK_MAX_CREDENTIAL_ID) {
		free(raw);
		return lk_wa_fail(err, LK_E_TOOBIG, "credentialId", "longer than 1023 bytes");
	}
	rc = b64_member(json_object_get(response, "response"), "userHandle", 64, 0, &uh, &uh_len,
	                "userHandle", err);
	if (rc == LK_OK) {
		memcpy(cred_id, raw, raw_len);
		*cred_id_len = raw_len;
		if (uh != NULL) {
			memcpy(user_handle, uh, uh_len);
			*user_handle_len = uh_len;
		}
	}
	free(raw);
	free(uh);
	return rc;
}

int
lk_wa_verify_assertion(const struct lk_wa_config *cfg, const json_t *response,
                       const struct lk_wa_auth_params *p, struct lk_wa_assertion *out,
                       struct lk_wa_error *err)
{
	uint8_t *raw = NULL, *cdj = NULL, *adb = NULL, *sig = NULL, *uh = NULL, *msg = NULL;
	size_t raw_len = 0, cdj_len = 0, ad_len = 0, sig_len = 0, uh_len = 0, i;
	uint8_t rp_hash[32], c_hash[32];
	json_t *resp;
	struct lk_wa_authdata ad;
	struct lk_wa_cose_key key;
	int rc, found;

	memset(&key, 0, sizeof(key));
	err_init(err);
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (!cfg_ok(cfg) || p == NULL || out == NULL || p->expected_challenge_b64u == NULL ||
	    p->cose_key == NULL ||
	    (p->n_allow > 0 && (p->allow_ids == NULL || p->allow_id_lens == NULL))) {
		return LK_E_INVAL;
	}
	if ((rc = credential_ids(response, &raw, &raw_len, err)) != LK_OK) {
		goto out;
	}
	if (raw_len > LK_MAX_CREDENTIAL_ID) {
		rc = lk_wa_fail(err, LK_E_TOOBIG, "credentialId", "longer than 1023 bytes");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 5: credential.id is one of allowCredentials */
	if (p->n_allow > 0) {
		for (i = 0, found = 0; i < p->n_allow; i++) {
			if (p->allow_id_lens[i] == raw_len &&
			    memcmp(p->allow_ids[i], raw, raw_len) == 0) {
				found = 1;
			}
		}
		if (!found) {
			rc = lk_wa_fail(err, LK_E_VERIFY, "credentialId",
			                "not an allowed credential");
			goto out;
		}
	}
	resp = json_object_get(response, "response");
	if (!json_is_object(resp)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "clientDataJSON", "response member missing");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 7: the stored credential record's public key */
	if ((rc = lk_wa_cose_parse(p->cose_key, p->cose_key_len, &key, err)) != LK_OK) {
		goto out;
	}
	if (!alg_offered(cfg, key.alg, 0)) {
		rc = lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm", "alg %d is not accepted",
		                key.alg);
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 8: cData, authData and sig from the response */
	if ((rc = b64_member(resp, "clientDataJSON", LK_MAX_BODY, 1, &cdj, &cdj_len,
	                     "clientDataJSON", err)) != LK_OK ||
	    (rc = b64_member(resp, "authenticatorData", LK_MAX_BODY, 1, &adb, &ad_len,
	                     "authenticatorData", err)) != LK_OK ||
	    (rc = b64_member(resp, "signature", 4096, 1, &sig, &sig_len, "signature", err)) !=
	        LK_OK ||
	    (rc = b64_member(resp, "userHandle", 64, 0, &uh, &uh_len, "userHandle", err)) !=
	        LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 6: the user owns the credential: a userHandle, when
	 * present, is the owner's; a discoverable login needs one */
	if (uh != NULL && uh_len == 0) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, "userHandle", "empty");
		goto out;
	}
	if (p->discoverable && uh == NULL) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "userHandle", "missing in a discoverable login");
		goto out;
	}
	if (uh != NULL && p->user_handle != NULL &&
	    (uh_len != p->user_handle_len || CRYPTO_memcmp(uh, p->user_handle, uh_len) != 0)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "userHandle", "not the credential owner's");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 9: JSONtext = UTF-8 decode of cData */
	/* SPEC webauthn-3 7.2 step 10: C = parse(JSONtext) */
	/* SPEC webauthn-3 7.2 step 11: C.type is webauthn.get */
	/* SPEC webauthn-3 7.2 step 12: C.challenge equals the options' challenge */
	/* SPEC webauthn-3 7.2 step 13: C.origin is an expected origin */
	/* SPEC webauthn-3 7.2 step 14: C.topOrigin is a page we expect to be framed by */
	if ((rc = lk_wa_clientdata_check(cfg, cdj, cdj_len, "webauthn.get",
	                                 p->expected_challenge_b64u, err)) != LK_OK) {
		goto out;
	}
	if ((rc = lk_wa_authdata_parse(adb, ad_len, &ad, NULL, err)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 15: rpIdHash is SHA-256 of the RP ID */
	if ((rc = lk_wa_sha256((const uint8_t *)cfg->rp_id, strlen(cfg->rp_id), rp_hash)) !=
	    LK_OK) {
		goto out;
	}
	if (CRYPTO_memcmp(rp_hash, ad.rp_id_hash, 32) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "rpIdHash", "mismatch");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 16: UP set */
	if (!(ad.flags & LK_WA_FLAG_UP)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "userPresence", "UP flag not set");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 17: UV set when required */
	if (p->require_uv && !(ad.flags & LK_WA_FLAG_UV)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "userVerification", "UV flag not set");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 18: BS only with BE */
	if ((ad.flags & LK_WA_FLAG_BS) && !(ad.flags & LK_WA_FLAG_BE)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "backupFlags", "BS set without BE");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 19: BE is what was recorded at registration */
	if (p->stored_be >= 0 && !!(ad.flags & LK_WA_FLAG_BE) != !!p->stored_be) {
		rc = lk_wa_fail(err, LK_E_VERIFY, "backupFlags", "BE differs from registration");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 20: no extensions were requested; outputs are ignored */
	/* SPEC webauthn-3 7.2 step 21: hash = SHA-256(cData as received) */
	if ((rc = lk_wa_sha256(cdj, cdj_len, c_hash)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 22: sig over authData || hash with the stored key */
	if ((msg = malloc(ad_len + 32)) == NULL) {
		rc = LK_E_NOMEM;
		goto out;
	}
	memcpy(msg, adb, ad_len);
	memcpy(msg + ad_len, c_hash, 32);
	rc = lk_wa_sig_verify(key.alg, key.pkey, 1, msg, ad_len + 32, sig, sig_len);
	if (rc != LK_OK) {
		rc = lk_wa_fail(err, rc == LK_E_CRYPTO ? rc : LK_E_VERIFY, "signature",
		                "does not verify");
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 23: signCount must grow when both are non-zero (a new 0
	 * after a non-zero one is accepted: API-NOTES 105) */
	if (ad.sign_count != 0 && p->stored_count != 0 && ad.sign_count <= p->stored_count) {
		rc = lk_wa_fail(err, LK_E_REPLAY, "signCount", "%u is not greater than stored %u",
		                ad.sign_count, p->stored_count);
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 25: what the caller updates */
	out->sign_count = ad.sign_count;
	out->uv = !!(ad.flags & LK_WA_FLAG_UV);
	out->be = !!(ad.flags & LK_WA_FLAG_BE);
	out->bs = !!(ad.flags & LK_WA_FLAG_BS);
	memcpy(out->credential_id, raw, raw_len);
	out->credential_id_len = raw_len;
	rc = LK_OK;
out:
	lk_wa_cose_clear(&key);
	free(raw);
	free(cdj);
	free(adb);
	free(sig);
	free(uh);
	free(msg);
	ERR_clear_error();
	return rc;
}

int
lk_wa_verify_authentication(const struct lk_wa_config *cfg, const json_t *response,
                            const char *expected_challenge_b64u, const uint8_t *cose_key,
                            size_t cose_key_len, uint32_t stored_count, int stored_be,
                            const uint8_t *user_handle, size_t user_handle_len, int discoverable,
                            int require_uv, struct lk_wa_assertion *out, struct lk_wa_error *err)
{
	struct lk_wa_auth_params p;

	memset(&p, 0, sizeof(p));
	p.expected_challenge_b64u = expected_challenge_b64u;
	p.cose_key = cose_key;
	p.cose_key_len = cose_key_len;
	p.stored_count = stored_count;
	p.stored_be = stored_be;
	p.user_handle = user_handle_len > 0 ? user_handle : NULL;
	p.user_handle_len = user_handle_len;
	p.discoverable = discoverable;
	p.require_uv = require_uv;
	return lk_wa_verify_assertion(cfg, response, &p, out, err);
}
