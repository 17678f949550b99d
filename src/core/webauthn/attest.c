/* attest.c: attestation formats none, packed, fido-u2f and apple (WebAuthn §8.2, 8.6, 8.7,
 * 8.8), and the X.509 helpers all formats share: x5c loading, chain verification with the
 * caller's clock, extension lookup, a small DER reader. Untrusted: attStmt and its
 * certificates. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/rc.h"
#include "core/webauthn/attest.h"
#include "core/webauthn/wa_util.h"

#define ATT "attestation"

int
lk_wa_der_next(struct lk_wa_rd *r, int *cls, uint32_t *tag, const uint8_t **val, size_t *len)
{
	uint8_t b, lb;
	size_t n = 0;
	int i;

	if (lk_wa_rd_u8(r, &b) != 0) {
		return -1;
	}
	*cls = b & 0xE0;
	*tag = b & 0x1F;
	if (*tag == 0x1F) {
		*tag = 0;
		for (i = 0;; i++) {
			if (i == 4 || lk_wa_rd_u8(r, &b) != 0) {
				return -1;
			}
			*tag = (*tag << 7) | (b & 0x7F);
			if ((b & 0x80) == 0) {
				break;
			}
		}
	}
	if (lk_wa_rd_u8(r, &lb) != 0) {
		return -1;
	}
	if (lb < 0x80) {
		n = lb;
	} else if (lb == 0x80 || lb > 0x84) {
		return -1; /* indefinite, or longer than any certificate */
	} else {
		for (i = 0; i < (lb & 0x7F); i++) {
			if (lk_wa_rd_u8(r, &b) != 0) {
				return -1;
			}
			n = (n << 8) | b;
		}
	}
	if (lk_wa_rd_bytes(r, n, val) != 0) {
		return -1;
	}
	*len = n;
	return 0;
}

int
lk_wa_x509_ext(X509 *cert, const char *oid, const uint8_t **p, size_t *n)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *os;
	int idx;

	if (obj == NULL) {
		return -1;
	}
	idx = X509_get_ext_by_OBJ(cert, obj, -1);
	if (idx >= 0 && X509_get_ext_by_OBJ(cert, obj, idx) >= 0) {
		ASN1_OBJECT_free(obj);
		return -1;
	}
	ASN1_OBJECT_free(obj);
	if (idx < 0) {
		return 0;
	}
	ext = X509_get_ext(cert, idx);
	os = X509_EXTENSION_get_data(ext);
	if (os == NULL) {
		return -1;
	}
	*p = ASN1_STRING_get0_data(os);
	*n = (size_t)ASN1_STRING_length(os);
	return 1;
}

int
lk_wa_x509_aaguid_ok(X509 *cert, const uint8_t *aaguid)
{
	const uint8_t *p;
	size_t n;
	int found = lk_wa_x509_ext(cert, "1.3.6.1.4.1.45724.1.1.4", &p, &n);

	if (found == 0) {
		return 1;
	}
	if (found < 0 || aaguid == NULL) {
		return 0;
	}
	/* id-fido-gen-ce-aaguid: OCTET STRING (16) */
	return n == 18 && p[0] == 0x04 && p[1] == 16 && memcmp(p + 2, aaguid, 16) == 0;
}

int
lk_wa_x509_not_ca(X509 *cert)
{
	BASIC_CONSTRAINTS *bc;
	int crit = 0, ca;

	bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
	if (bc == NULL) {
		return crit == -1; /* -1: absent; -2: present more than once */
	}
	ca = bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	return !ca;
}

int
lk_wa_x5c_load(const char *fmt, const struct lk_wa_cbor *x5c, STACK_OF(X509) * *out,
               struct lk_wa_error *err)
{
	STACK_OF(X509) * sk;
	size_t i, n = lk_wa_cbor_count(x5c);

	*out = NULL;
	if (x5c == NULL || lk_wa_cbor_type(x5c) != LK_WA_CBOR_ARRAY || n == 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "%s: x5c missing or empty", fmt);
	}
	sk = sk_X509_new_null();
	if (sk == NULL) {
		return LK_E_NOMEM;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *der, *q;
		size_t len;
		X509 *c;
		if (lk_wa_cbor_bytes(lk_wa_cbor_array_at(x5c, i), &der, &len) != 0 || len == 0 ||
		    len > 16384) {
			sk_X509_pop_free(sk, X509_free);
			return lk_wa_fail(err, LK_E_MALFORMED, ATT, "%s: x5c[%zu] not bytes", fmt,
			                  i);
		}
		q = der;
		c = d2i_X509(NULL, &q, (long)len);
		if (c == NULL || q != der + len) {
			X509_free(c);
			sk_X509_pop_free(sk, X509_free);
			return lk_wa_fail(err, LK_E_MALFORMED, ATT,
			                  "%s: x5c[%zu] not a certificate", fmt, i);
		}
		if (sk_X509_push(sk, c) <= 0) {
			X509_free(c);
			sk_X509_pop_free(sk, X509_free);
			return LK_E_NOMEM;
		}
	}
	*out = sk;
	return LK_OK;
}

static int
add_anchors(X509_STORE *store, const struct lk_wa_config *cfg)
{
	size_t i;
	int added = 0;

	for (i = 0; i < cfg->n_anchors; i++) {
		BIO *bio;
		X509 *c;
		if (cfg->anchors_pem[i] == NULL) {
			continue;
		}
		bio = BIO_new_mem_buf(cfg->anchors_pem[i], -1);
		if (bio == NULL) {
			return -1;
		}
		while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			if (X509_STORE_add_cert(store, c) == 1) {
				added++;
			}
			X509_free(c);
		}
		BIO_free(bio);
	}
	ERR_clear_error(); /* PEM_read ends with a "no start line" error */
	return added;
}

/* Without anchors: each certificate is within its validity at now and signed by the next
 * one (whose subject is its issuer); the top one is where the unanchored path ends (its
 * own signature is not checked: some authenticators' self-issued certificates are not
 * self-signed). This is done by hand rather than by X509_verify_cert so that vendor quirks in
 * extensions that only matter for path building (e.g. the doubly wrapped authorityKeyIdentifier of
 * FIDO conformance TPM certificates) do not hide the signature checks. */
static int
chain_internal(const struct lk_wa_config *cfg, const char *fmt, STACK_OF(X509) * chain,
               struct lk_wa_error *err)
{
	time_t now = (time_t)(cfg->now_ms / 1000);
	int n = sk_X509_num(chain), i;

	for (i = 0; i < n; i++) {
		X509 *c = sk_X509_value(chain, i);
		X509 *issuer = i + 1 < n ? sk_X509_value(chain, i + 1) : NULL;
		if (X509_cmp_time(X509_get0_notBefore(c), &now) >= 0 ||
		    X509_cmp_time(X509_get0_notAfter(c), &now) <= 0) {
			return lk_wa_fail(err, LK_E_EXPIRED, ATT,
			                  "%s: certificate chain: certificate %d not valid now",
			                  fmt, i);
		}
		if (issuer == NULL) {
			continue;
		}
		if (X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(issuer)) != 0 ||
		    X509_verify(c, X509_get0_pubkey(issuer)) != 1) {
			return lk_wa_fail(err, LK_E_VERIFY, ATT,
			                  "%s: certificate chain: certificate %d not signed by %d",
			                  fmt, i, i + 1 < n ? i + 1 : i);
		}
	}
	return LK_OK;
}

static int
chain_verify(const struct lk_wa_config *cfg, const char *fmt, STACK_OF(X509) * chain,
             struct lk_wa_error *err)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	int n = sk_X509_num(chain), i, rc = LK_E_NOMEM, e;

	if (n < 1) {
		return LK_E_INVAL;
	}
	if (cfg->n_anchors == 0) {
		rc = chain_internal(cfg, fmt, chain, err);
		ERR_clear_error();
		return rc;
	}
	store = X509_STORE_new();
	untrusted = sk_X509_new_null();
	ctx = X509_STORE_CTX_new();
	if (store == NULL || untrusted == NULL || ctx == NULL) {
		goto out;
	}
	if (add_anchors(store, cfg) <= 0) {
		rc = lk_wa_fail(err, LK_E_INVAL, ATT, "%s: no usable trust anchor", fmt);
		goto out;
	}
	for (i = 1; i < n; i++) {
		if (sk_X509_push(untrusted, sk_X509_value(chain, i)) <= 0) {
			goto out;
		}
	}
	if (X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted) != 1) {
		goto out;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)(cfg->now_ms / 1000));
	/* an anchor may be an intermediate the operator chose to trust */
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) == 1) {
		rc = LK_OK;
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	rc = (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID) ? LK_E_EXPIRED
	                                                                              : LK_E_VERIFY;
	rc = lk_wa_fail(err, rc, ATT, "%s: certificate chain: %s (depth %d)", fmt,
	                X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx));
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

/* The verified chain as the attestation's trust path: each certificate's subject, leaf
 * first, for the caller to show or log. */
static int
record_path(struct lk_wa_att *a, STACK_OF(X509) * chain)
{
	json_t *path = json_array();
	char line[256];
	int i;

	if (path == NULL) {
		return LK_E_NOMEM;
	}
	for (i = 0; i < sk_X509_num(chain); i++) {
		line[0] = '\0';
		X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain, i)), line,
		                  (int)sizeof(line));
		if (json_array_append_new(path, json_string(line)) != 0) {
			json_decref(path);
			return LK_E_NOMEM;
		}
	}
	json_decref(a->trust_path);
	a->trust_path = path;
	a->anchored = a->cfg->n_anchors > 0;
	return LK_OK;
}

int
lk_wa_x5c_verify(struct lk_wa_att *a, const char *fmt, STACK_OF(X509) * chain,
                 struct lk_wa_error *err)
{
	int rc = chain_verify(a->cfg, fmt, chain, err);

	if (rc == LK_OK && (rc = record_path(a, chain)) != LK_OK) {
		rc = lk_wa_fail(err, rc, ATT, "%s: out of memory", fmt);
	}
	return rc;
}

/* authData || clientDataHash, freshly allocated. */
static uint8_t *
to_be_signed(const struct lk_wa_att *a, size_t *len)
{
	uint8_t *m = malloc(a->auth_data_len + 32);

	if (m == NULL) {
		return NULL;
	}
	memcpy(m, a->auth_data, a->auth_data_len);
	memcpy(m + a->auth_data_len, a->client_hash, 32);
	*len = a->auth_data_len + 32;
	return m;
}

/* Every key of attStmt is one of the NULL-terminated allowed names. */
static int
only_keys(const struct lk_wa_cbor *m, const char *const *names)
{
	size_t i, j, n = lk_wa_cbor_count(m);

	for (i = 0; i < n; i++) {
		const struct lk_wa_cbor *k = lk_wa_cbor_map_key_at(m, i);
		for (j = 0; names[j] != NULL; j++) {
			if (lk_wa_cbor_text_is(k, names[j])) {
				break;
			}
		}
		if (names[j] == NULL) {
			return 0;
		}
	}
	return 1;
}

int
lk_wa_att_none(struct lk_wa_att *a, struct lk_wa_error *err)
{
	/* SPEC webauthn-3 8.7: attStmt is an empty map */
	if (lk_wa_cbor_count(a->att_stmt) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "none: attStmt is not empty");
	}
	a->type = "none";
	return LK_OK;
}

static int
name_has(X509_NAME *name, int nid)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	return idx >= 0;
}

int
lk_wa_att_packed(struct lk_wa_att *a, struct lk_wa_error *err)
{
	static const char *const keys[] = {"alg", "sig", "x5c", NULL};
	const struct lk_wa_cbor *x5c;
	const uint8_t *sig;
	size_t sig_len, msg_len = 0;
	int64_t alg;
	uint8_t *msg = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *leaf;
	int rc;

	if (lk_wa_cbor_map_str(a->att_stmt, "ecdaaKeyId") != NULL) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, ATT, "packed: ECDAA is not supported");
	}
	if (!only_keys(a->att_stmt, keys)) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "packed: unknown attStmt member");
	}
	/* SPEC webauthn-3 8.2 step 1: attStmt is valid CBOR with alg, sig, x5c? */
	if (lk_wa_cbor_int(lk_wa_cbor_map_str(a->att_stmt, "alg"), &alg) != 0 || alg < -65536 ||
	    alg > 65536) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "packed: alg missing");
	}
	if (alg == LK_WA_ALG_RS1) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, ATT,
		                  "packed: RS1 is only accepted from a TPM");
	}
	if (lk_wa_cbor_bytes(lk_wa_cbor_map_str(a->att_stmt, "sig"), &sig, &sig_len) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "packed: sig missing");
	}
	if ((msg = to_be_signed(a, &msg_len)) == NULL) {
		return LK_E_NOMEM;
	}
	x5c = lk_wa_cbor_map_str(a->att_stmt, "x5c");
	if (x5c != NULL) {
		/* SPEC webauthn-3 8.2 step 2: x5c present: sig by attestnCert with alg */
		if ((rc = lk_wa_x5c_load("packed", x5c, &chain, err)) != LK_OK) {
			goto out;
		}
		leaf = sk_X509_value(chain, 0);
		rc = lk_wa_sig_verify((int)alg, X509_get0_pubkey(leaf), 0, msg, msg_len, sig,
		                      sig_len);
		if (rc != LK_OK) {
			rc = lk_wa_fail(err, rc == LK_E_UNSUPPORTED ? rc : LK_E_VERIFY, ATT,
			                "packed: signature does not verify");
			goto out;
		}
		/* SPEC webauthn-3 8.2.1: attestation certificate requirements */
		if (X509_get_version(leaf) != 2) {
			rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "packed: certificate is not v3");
			goto out;
		}
		{
			X509_NAME *sub = X509_get_subject_name(leaf);
			int idx = X509_NAME_get_index_by_NID(sub, NID_organizationalUnitName, -1);
			ASN1_STRING *ou =
			    idx >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sub, idx))
			             : NULL;
			static const char want[] = "Authenticator Attestation";
			if (!name_has(sub, NID_countryName) ||
			    !name_has(sub, NID_organizationName) ||
			    !name_has(sub, NID_commonName) || ou == NULL ||
			    ASN1_STRING_length(ou) != (int)strlen(want) ||
			    memcmp(ASN1_STRING_get0_data(ou), want, strlen(want)) != 0) {
				rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
				                "packed: certificate subject requirements");
				goto out;
			}
		}
		/* SPEC webauthn-3 8.2 step 2: aaguid extension must match authData */
		if (!lk_wa_x509_aaguid_ok(leaf, a->ad->aaguid)) {
			rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
			                "packed: id-fido-gen-ce-aaguid does not match");
			goto out;
		}
		if (!lk_wa_x509_not_ca(leaf)) {
			rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "packed: certificate is a CA");
			goto out;
		}
		if ((rc = lk_wa_x5c_verify(a, "packed", chain, err)) != LK_OK) {
			goto out;
		}
		a->type = "basic";
	} else {
		/* SPEC webauthn-3 8.2 step 3: self attestation: alg equals the credential's */
		if (alg != a->cred->alg) {
			rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
			                "packed: self attestation alg %d is not the key's %d",
			                (int)alg, a->cred->alg);
			goto out;
		}
		rc = lk_wa_sig_verify((int)alg, a->cred->pkey, 1, msg, msg_len, sig, sig_len);
		if (rc != LK_OK) {
			rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
			                "packed: self signature does not verify");
			goto out;
		}
		a->type = "self";
	}
	rc = LK_OK;
out:
	sk_X509_pop_free(chain, X509_free);
	free(msg);
	return rc;
}

int
lk_wa_att_fido_u2f(struct lk_wa_att *a, struct lk_wa_error *err)
{
	static const char *const keys[] = {"sig", "x5c", NULL};
	const uint8_t *sig;
	size_t sig_len, n;
	uint8_t *msg = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pk;
	int rc;

	if (!only_keys(a->att_stmt, keys) ||
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(a->att_stmt, "sig"), &sig, &sig_len) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "fido-u2f: attStmt malformed");
	}
	/* SPEC webauthn-3 8.6 step 2: exactly one certificate, an EC P-256 key */
	if ((rc = lk_wa_x5c_load("fido-u2f", lk_wa_cbor_map_str(a->att_stmt, "x5c"), &chain,
	                         err)) != LK_OK) {
		return rc;
	}
	if (sk_X509_num(chain) != 1) {
		rc =
		    lk_wa_fail(err, LK_E_MALFORMED, ATT, "fido-u2f: x5c must hold one certificate");
		goto out;
	}
	pk = X509_get0_pubkey(sk_X509_value(chain, 0));
	{
		char g[64];
		size_t gl = 0;
		if (pk == NULL || !EVP_PKEY_is_a(pk, "EC") ||
		    EVP_PKEY_get_utf8_string_param(pk, "group", g, sizeof(g), &gl) != 1 ||
		    strcmp(g, "prime256v1") != 0) {
			rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
			                "fido-u2f: certificate key is not EC P-256");
			goto out;
		}
	}
	/* SPEC webauthn-3 8.6 step 4: the credential key is EC2 P-256 */
	if (a->cred->kty != LK_WA_KTY_EC2 || a->cred->crv != 1) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "fido-u2f: credential key is not P-256");
		goto out;
	}
	/* SPEC webauthn-3 8.6 step 5: verificationData */
	n = 1 + 32 + 32 + a->ad->cred_id_len + 65;
	if ((msg = malloc(n)) == NULL) {
		rc = LK_E_NOMEM;
		goto out;
	}
	msg[0] = 0x00;
	memcpy(msg + 1, a->ad->rp_id_hash, 32);
	memcpy(msg + 33, a->client_hash, 32);
	memcpy(msg + 65, a->ad->cred_id, a->ad->cred_id_len);
	msg[65 + a->ad->cred_id_len] = 0x04;
	memcpy(msg + 66 + a->ad->cred_id_len, a->cred->x, 32);
	memcpy(msg + 98 + a->ad->cred_id_len, a->cred->y, 32);
	/* SPEC webauthn-3 8.6 step 6: verify sig with the certificate key, ECDSA SHA-256 */
	if (lk_wa_sig_verify(LK_WA_ALG_ES256, pk, 1, msg, n, sig, sig_len) != LK_OK) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "fido-u2f: signature does not verify");
		goto out;
	}
	if ((rc = lk_wa_x5c_verify(a, "fido-u2f", chain, err)) != LK_OK) {
		goto out;
	}
	a->type = "basic";
	rc = LK_OK;
out:
	free(msg);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

int
lk_wa_att_apple(struct lk_wa_att *a, struct lk_wa_error *err)
{
	static const char *const keys[] = {"x5c", "alg", NULL};
	STACK_OF(X509) *chain = NULL;
	X509 *leaf;
	uint8_t *msg = NULL, nonce[32];
	size_t msg_len = 0, ext_len, v_len;
	const uint8_t *ext, *v;
	struct lk_wa_rd r, r2;
	int cls, rc;
	uint32_t tag;

	if (!only_keys(a->att_stmt, keys)) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "apple: unknown attStmt member");
	}
	if ((rc = lk_wa_x5c_load("apple", lk_wa_cbor_map_str(a->att_stmt, "x5c"), &chain, err)) !=
	    LK_OK) {
		return rc;
	}
	leaf = sk_X509_value(chain, 0);
	/* SPEC webauthn-3 8.8 steps 2-3: nonce = SHA-256(authData || clientDataHash) */
	if ((msg = to_be_signed(a, &msg_len)) == NULL) {
		rc = LK_E_NOMEM;
		goto out;
	}
	if ((rc = lk_wa_sha256(msg, msg_len, nonce)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 8.8 step 4: the extension 1.2.840.113635.100.8.2 holds the nonce:
	 * SEQUENCE { [1] EXPLICIT OCTET STRING } */
	if (lk_wa_x509_ext(leaf, "1.2.840.113635.100.8.2", &ext, &ext_len) != 1) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "apple: nonce extension missing");
		goto out;
	}
	lk_wa_rd_init(&r, ext, ext_len);
	if (lk_wa_der_next(&r, &cls, &tag, &v, &v_len) != 0 || cls != 0x20 || tag != 16 ||
	    lk_wa_rd_end(&r) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "apple: nonce extension malformed");
		goto out;
	}
	lk_wa_rd_init(&r, v, v_len);
	if (lk_wa_der_next(&r, &cls, &tag, &v, &v_len) != 0 || cls != 0xA0 || tag != 1 ||
	    lk_wa_rd_end(&r) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "apple: nonce extension malformed");
		goto out;
	}
	lk_wa_rd_init(&r2, v, v_len);
	if (lk_wa_der_next(&r2, &cls, &tag, &v, &v_len) != 0 || cls != 0 || tag != 4 ||
	    lk_wa_rd_end(&r2) != 0 || v_len != 32) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "apple: nonce extension malformed");
		goto out;
	}
	if (CRYPTO_memcmp(v, nonce, 32) != 0) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "apple: nonce mismatch");
		goto out;
	}
	/* SPEC webauthn-3 8.8 step 5: the credential key is the certificate's key */
	if (EVP_PKEY_eq(X509_get0_pubkey(leaf), a->cred->pkey) != 1) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT,
		                "apple: credential key differs from the certificate key");
		goto out;
	}
	if ((rc = lk_wa_x5c_verify(a, "apple", chain, err)) != LK_OK) {
		goto out;
	}
	a->type = "anonca";
	rc = LK_OK;
out:
	free(msg);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return rc;
}
