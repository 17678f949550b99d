/* attest_tpm.c: the tpm attestation format (WebAuthn §8.3): TPMT_PUBLIC (pubArea) and
 * TPMS_ATTEST (certInfo) from TPM 2.0 Part 2, read with the bounded reader, the AIK
 * certificate requirements of §8.3.1, and the x5c trust path. Untrusted: all of attStmt. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/rc.h"
#include "core/webauthn/attest.h"
#include "core/webauthn/wa_util.h"

#define ATT "attestation"

#define TPM_GENERATED_VALUE   0xff544347u
#define TPM_ST_ATTEST_CERTIFY 0x8017
#define TPM_ALG_RSA           0x0001
#define TPM_ALG_SHA1          0x0004
#define TPM_ALG_SHA256        0x000B
#define TPM_ALG_SHA384        0x000C
#define TPM_ALG_SHA512        0x000D
#define TPM_ALG_NULL          0x0010
#define TPM_ALG_ECC           0x0023

struct tpm_public {
	uint16_t type, name_alg;
	const uint8_t *unique; /* RSA modulus */
	size_t unique_len;
	uint32_t exponent;
	uint16_t curve;
	const uint8_t *x, *y;
	size_t x_len, y_len;
};

/* TPMT_SYM_DEF_OBJECT, TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME: an algorithm
 * id, then details unless it is TPM_ALG_NULL. sym has two detail fields, schemes one. */
static int
skip_alg_with_details(struct lk_wa_rd *r, int n_details)
{
	uint16_t alg, d;
	int i;

	if (lk_wa_rd_be16(r, &alg) != 0) {
		return -1;
	}
	if (alg == TPM_ALG_NULL) {
		return 0;
	}
	for (i = 0; i < n_details; i++) {
		if (lk_wa_rd_be16(r, &d) != 0) {
			return -1;
		}
	}
	return 0;
}

/* TPM 2.0 Part 2, 12.2.4 TPMT_PUBLIC (RSA and ECC only); nothing may be left over. */
static int
parse_pub_area(const uint8_t *p, size_t n, struct tpm_public *pub)
{
	struct lk_wa_rd r;
	uint32_t attrs;
	const uint8_t *policy;
	size_t policy_len;

	memset(pub, 0, sizeof(*pub));
	lk_wa_rd_init(&r, p, n);
	if (lk_wa_rd_be16(&r, &pub->type) != 0 || lk_wa_rd_be16(&r, &pub->name_alg) != 0 ||
	    lk_wa_rd_be32(&r, &attrs) != 0 || lk_wa_rd_tpm2b(&r, &policy, &policy_len) != 0 ||
	    skip_alg_with_details(&r, 2) != 0 || skip_alg_with_details(&r, 1) != 0) {
		return -1;
	}
	if (pub->type == TPM_ALG_RSA) {
		uint16_t key_bits;
		if (lk_wa_rd_be16(&r, &key_bits) != 0 || lk_wa_rd_be32(&r, &pub->exponent) != 0 ||
		    lk_wa_rd_tpm2b(&r, &pub->unique, &pub->unique_len) != 0) {
			return -1;
		}
	} else if (pub->type == TPM_ALG_ECC) {
		if (lk_wa_rd_be16(&r, &pub->curve) != 0 || skip_alg_with_details(&r, 1) != 0 ||
		    lk_wa_rd_tpm2b(&r, &pub->x, &pub->x_len) != 0 ||
		    lk_wa_rd_tpm2b(&r, &pub->y, &pub->y_len) != 0) {
			return -1;
		}
	} else {
		return -1;
	}
	return lk_wa_rd_end(&r);
}

static const char *
tpm_hash_name(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1:
		return "SHA1";
	case TPM_ALG_SHA256:
		return "SHA256";
	case TPM_ALG_SHA384:
		return "SHA384";
	case TPM_ALG_SHA512:
		return "SHA512";
	default:
		return NULL;
	}
}

/* The pubArea key is the credential public key. */
static int
same_key(const struct tpm_public *pub, const struct lk_wa_cose_key *k)
{
	if (pub->type == TPM_ALG_RSA) {
		uint64_t e = 0;
		size_t i;
		if (k->kty != LK_WA_KTY_RSA || pub->unique_len != k->n_len ||
		    memcmp(pub->unique, k->n, k->n_len) != 0) {
			return 0;
		}
		for (i = 0; i < k->e_len; i++) {
			e = (e << 8) | k->e[i];
		}
		return e == (pub->exponent == 0 ? 65537u : pub->exponent);
	}
	if (k->kty != LK_WA_KTY_EC2 || (unsigned)pub->curve != (unsigned)k->crv + 2u) {
		return 0; /* TPM_ECC_NIST_P256/384/521 are 3/4/5, COSE crv 1/2/3 */
	}
	return pub->x_len == k->coord_len && pub->y_len == k->coord_len &&
	       memcmp(pub->x, k->x, k->coord_len) == 0 && memcmp(pub->y, k->y, k->coord_len) == 0;
}

/* §8.3.1 TPM attestation statement certificate requirements. */
static int
aik_cert_ok(X509 *c, const uint8_t *aaguid, const char **why)
{
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *want;
	int crit = 0, found = 0, i;
	GENERAL_NAMES *san;

	if (X509_get_version(c) != 2) {
		*why = "aikCert is not v3";
		return 0;
	}
	if (X509_NAME_entry_count(X509_get_subject_name(c)) != 0) {
		*why = "aikCert subject is not empty";
		return 0;
	}
	san = X509_get_ext_d2i(c, NID_subject_alt_name, &crit, NULL);
	if (san == NULL) {
		*why = "aikCert has no subjectAltName";
		return 0;
	}
	GENERAL_NAMES_free(san);
	eku = X509_get_ext_d2i(c, NID_ext_key_usage, &crit, NULL);
	want = OBJ_txt2obj("2.23.133.8.3", 1);
	for (i = 0; eku != NULL && want != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0) {
			found = 1;
		}
	}
	ASN1_OBJECT_free(want);
	EXTENDED_KEY_USAGE_free(eku);
	if (!found) {
		*why = "aikCert lacks extended key usage tcg-kp-AIKCertificate";
		return 0;
	}
	if (!lk_wa_x509_not_ca(c)) {
		*why = "aikCert is a CA";
		return 0;
	}
	if (!lk_wa_x509_aaguid_ok(c, aaguid)) {
		*why = "aikCert id-fido-gen-ce-aaguid does not match";
		return 0;
	}
	return 1;
}

int
lk_wa_att_tpm(struct lk_wa_att *a, struct lk_wa_error *err)
{
	static const char *const keys[] = {"ver", "alg", "x5c", "sig", "certInfo", "pubArea"};
	const struct lk_wa_cbor *s = a->att_stmt;
	const uint8_t *sig, *cert_info, *pub_area, *q, *extra, *name, *qname, *signer;
	size_t sig_len, ci_len, pa_len, extra_len, name_len, qname_len, signer_len, i, j;
	size_t want_len = 0, nh_len = 0;
	uint8_t want[64], nh[64], clock[17 + 8];
	const char *hash, *why = "";
	struct tpm_public pub;
	struct lk_wa_rd r;
	STACK_OF(X509) *chain = NULL;
	uint32_t magic;
	uint16_t type;
	int64_t alg;
	uint8_t *tbs = NULL;
	int rc;

	/* SPEC webauthn-3 8.3 step 1: ver, alg, x5c, sig, certInfo, pubArea */
	if (lk_wa_cbor_map_str(s, "ecdaaKeyId") != NULL) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, ATT, "tpm: ECDAA is not supported");
	}
	for (i = 0; i < lk_wa_cbor_count(s); i++) {
		for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
			if (lk_wa_cbor_text_is(lk_wa_cbor_map_key_at(s, i), keys[j])) {
				break;
			}
		}
		if (j == sizeof(keys) / sizeof(keys[0])) {
			return lk_wa_fail(err, LK_E_MALFORMED, ATT, "tpm: unknown attStmt member");
		}
	}
	if (!lk_wa_cbor_text_is(lk_wa_cbor_map_str(s, "ver"), "2.0")) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "tpm: ver is not 2.0");
	}
	if (lk_wa_cbor_int(lk_wa_cbor_map_str(s, "alg"), &alg) != 0 || alg < -65536 ||
	    alg > 65536 || (hash = lk_wa_alg_hash((int)alg)) == NULL) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, ATT, "tpm: alg missing or unsupported");
	}
	if (lk_wa_cbor_bytes(lk_wa_cbor_map_str(s, "sig"), &sig, &sig_len) != 0 ||
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(s, "certInfo"), &cert_info, &ci_len) != 0 ||
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(s, "pubArea"), &pub_area, &pa_len) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT,
		                  "tpm: sig, certInfo or pubArea missing");
	}
	/* SPEC webauthn-3 8.3 step 2: the pubArea key is the credential public key */
	if (parse_pub_area(pub_area, pa_len, &pub) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "tpm: pubArea malformed");
	}
	if (!same_key(&pub, a->cred)) {
		return lk_wa_fail(err, LK_E_VERIFY, ATT,
		                  "tpm: pubArea key differs from the credential key");
	}
	/* SPEC webauthn-3 8.3 step 3: attToBeSigned = authData || clientDataHash */
	if ((tbs = malloc(a->auth_data_len + 32)) == NULL) {
		return LK_E_NOMEM;
	}
	memcpy(tbs, a->auth_data, a->auth_data_len);
	memcpy(tbs + a->auth_data_len, a->client_hash, 32);
	rc = lk_wa_digest(hash, tbs, a->auth_data_len + 32, want, &want_len);
	free(tbs);
	if (rc != LK_OK) {
		return rc;
	}
	/* SPEC webauthn-3 8.3 step 4: certInfo is a TPMS_ATTEST: magic, type, extraData,
	 * attested.name */
	lk_wa_rd_init(&r, cert_info, ci_len);
	if (lk_wa_rd_be32(&r, &magic) != 0 || lk_wa_rd_be16(&r, &type) != 0 ||
	    lk_wa_rd_tpm2b(&r, &signer, &signer_len) != 0 ||
	    lk_wa_rd_tpm2b(&r, &extra, &extra_len) != 0 ||
	    lk_wa_rd_bytes(&r, sizeof(clock), &q) != 0 || /* clockInfo, firmwareVersion */
	    lk_wa_rd_tpm2b(&r, &name, &name_len) != 0 ||
	    lk_wa_rd_tpm2b(&r, &qname, &qname_len) != 0 || lk_wa_rd_end(&r) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, ATT, "tpm: certInfo malformed");
	}
	if (magic != TPM_GENERATED_VALUE) {
		return lk_wa_fail(err, LK_E_VERIFY, ATT, "tpm: certInfo magic");
	}
	if (type != TPM_ST_ATTEST_CERTIFY) {
		return lk_wa_fail(err, LK_E_VERIFY, ATT, "tpm: certInfo type");
	}
	if (extra_len != want_len || CRYPTO_memcmp(extra, want, want_len) != 0) {
		return lk_wa_fail(err, LK_E_VERIFY, ATT, "tpm: certInfo extraData");
	}
	{
		const char *nh_name = tpm_hash_name(pub.name_alg);
		if (nh_name == NULL ||
		    lk_wa_digest(nh_name, pub_area, pa_len, nh, &nh_len) != LK_OK ||
		    name_len != 2 + nh_len || name[0] != (pub.name_alg >> 8) ||
		    name[1] != (pub.name_alg & 0xff) || memcmp(name + 2, nh, nh_len) != 0) {
			return lk_wa_fail(err, LK_E_VERIFY, ATT,
			                  "tpm: certInfo attested name is not pubArea's");
		}
	}
	/* SPEC webauthn-3 8.3 step 5: x5c: sig over certInfo by aikCert with alg */
	if ((rc = lk_wa_x5c_load("tpm", lk_wa_cbor_map_str(s, "x5c"), &chain, err)) != LK_OK) {
		return rc;
	}
	rc = lk_wa_sig_verify((int)alg, X509_get0_pubkey(sk_X509_value(chain, 0)), 0, cert_info,
	                      ci_len, sig, sig_len);
	if (rc != LK_OK) {
		rc = lk_wa_fail(err, rc == LK_E_UNSUPPORTED ? rc : LK_E_VERIFY, ATT,
		                "tpm: signature does not verify");
		goto out;
	}
	/* SPEC webauthn-3 8.3.1: aikCert requirements, aaguid extension */
	if (!aik_cert_ok(sk_X509_value(chain, 0), a->ad->aaguid, &why)) {
		rc = lk_wa_fail(err, LK_E_VERIFY, ATT, "tpm: %s", why);
		goto out;
	}
	if ((rc = lk_wa_x5c_verify(a, "tpm", chain, err)) != LK_OK) {
		goto out;
	}
	a->type = "attca";
	rc = LK_OK;
out:
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return rc;
}
