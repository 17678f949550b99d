/* cose.c: COSE_Key decoding to EVP_PKEY and signature checks by COSE algorithm (see
 * cose.h). Untrusted input: the key map from authData; every parameter is type- and
 * length-checked before OpenSSL sees it. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "core/rc.h"
#include "core/webauthn/cose.h"
#include "core/webauthn/wa_util.h"

#define P "publicKey"

int
lk_wa_alg_supported(int alg)
{
	switch (alg) {
	case LK_WA_ALG_ES256:
	case LK_WA_ALG_ES384:
	case LK_WA_ALG_ES512:
	case LK_WA_ALG_RS256:
	case LK_WA_ALG_RS384:
	case LK_WA_ALG_RS512:
	case LK_WA_ALG_PS256:
	case LK_WA_ALG_PS384:
	case LK_WA_ALG_PS512:
	case LK_WA_ALG_EDDSA:
	case LK_WA_ALG_ED448:
	case -19: /* Ed25519, fully specified */
		return 1;
	default:
		return 0;
	}
}

const char *
lk_wa_alg_hash(int alg)
{
	switch (alg) {
	case LK_WA_ALG_ES256:
	case LK_WA_ALG_RS256:
	case LK_WA_ALG_PS256:
		return "SHA256";
	case LK_WA_ALG_ES384:
	case LK_WA_ALG_RS384:
	case LK_WA_ALG_PS384:
		return "SHA384";
	case LK_WA_ALG_ES512:
	case LK_WA_ALG_RS512:
	case LK_WA_ALG_PS512:
		return "SHA512";
	case LK_WA_ALG_RS1:
		return "SHA1";
	default:
		return NULL;
	}
}

void
lk_wa_cose_clear(struct lk_wa_cose_key *k)
{
	if (k == NULL) {
		return;
	}
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

static int
get_bytes(const struct lk_wa_cbor *map, int64_t label, const uint8_t **p, size_t *n)
{
	return lk_wa_cbor_bytes(lk_wa_cbor_map_int(map, label), p, n);
}

static int
public_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok;

	if (c == NULL) {
		return LK_E_NOMEM;
	}
	ok = EVP_PKEY_public_check(c);
	EVP_PKEY_CTX_free(c);
	return ok == 1 ? LK_OK : LK_E_MALFORMED;
}

static int
from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *c = NULL;
	int rc = LK_E_MALFORMED;

	*out = NULL;
	if (params == NULL) {
		return LK_E_NOMEM;
	}
	c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (c == NULL || EVP_PKEY_fromdata_init(c) != 1) {
		rc = LK_E_CRYPTO;
		goto out;
	}
	if (EVP_PKEY_fromdata(c, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		*out = NULL;
		goto out;
	}
	rc = LK_OK;
out:
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	return rc;
}

static int
ec2(const struct lk_wa_cbor *map, struct lk_wa_cose_key *k, struct lk_wa_error *err)
{
	const uint8_t *x, *y;
	size_t xn, yn, want;
	const char *group;
	int want_alg, rc;
	uint8_t pt[1 + 2 * 66];
	OSSL_PARAM_BLD *bld;

	switch (k->crv) {
	case 1:
		group = "P-256", want = 32, want_alg = LK_WA_ALG_ES256;
		break;
	case 2:
		group = "P-384", want = 48, want_alg = LK_WA_ALG_ES384;
		break;
	case 3:
		group = "P-521", want = 66, want_alg = LK_WA_ALG_ES512;
		break;
	default:
		if (k->alg == -47) {
			return lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm",
			                  "unsupported algorithm -47 (ES256K)");
		}
		return lk_wa_fail(err, LK_E_MALFORMED, P, "EC2 curve %d not supported", k->crv);
	}
	if (k->alg != want_alg) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm",
		                  "alg %d does not match EC2 curve %d", k->alg, k->crv);
	}
	if (get_bytes(map, -2, &x, &xn) != 0 || get_bytes(map, -3, &y, &yn) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "EC2 x/y missing or not bytes");
	}
	if (xn != want || yn != want) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "EC2 coordinate length %zu/%zu", xn, yn);
	}
	memcpy(k->x, x, xn);
	memcpy(k->y, y, yn);
	k->coord_len = want;
	pt[0] = 0x04;
	memcpy(pt + 1, x, want);
	memcpy(pt + 1 + want, y, want);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * want) != 1) {
		OSSL_PARAM_BLD_free(bld);
		return LK_E_NOMEM;
	}
	rc = from_params("EC", bld, &k->pkey);
	OSSL_PARAM_BLD_free(bld);
	if (rc == LK_OK) {
		rc = public_check(k->pkey);
	}
	if (rc == LK_E_MALFORMED) {
		return lk_wa_fail(err, rc, P, "EC2 point is not on curve %s", group);
	}
	return rc;
}

static int
rsa(const struct lk_wa_cbor *map, struct lk_wa_cose_key *k, struct lk_wa_error *err)
{
	const uint8_t *n, *e;
	size_t nn, en;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	int rc;

	switch (k->alg) {
	case LK_WA_ALG_RS256:
	case LK_WA_ALG_RS384:
	case LK_WA_ALG_RS512:
	case LK_WA_ALG_PS256:
	case LK_WA_ALG_PS384:
	case LK_WA_ALG_PS512:
	case LK_WA_ALG_RS1:
		break;
	default:
		return lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm",
		                  "alg %d does not match RSA key", k->alg);
	}
	if (get_bytes(map, -1, &n, &nn) != 0 || get_bytes(map, -2, &e, &en) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "RSA n/e missing or not bytes");
	}
	if (nn < 256 || nn > sizeof(k->n) || n[0] == 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "RSA modulus of %zu bytes", nn);
	}
	if (en == 0 || en > sizeof(k->e) || e[0] == 0 || (e[en - 1] & 1) == 0 ||
	    (en == 1 && e[0] < 3)) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "RSA exponent");
	}
	memcpy(k->n, n, nn);
	k->n_len = nn;
	memcpy(k->e, e, en);
	k->e_len = en;
	rc = LK_E_NOMEM;
	bn = BN_bin2bn(n, (int)nn, NULL);
	be = BN_bin2bn(e, (int)en, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn == NULL || be == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
		goto out;
	}
	if (BN_num_bits(bn) < 2048 || !BN_is_odd(bn)) {
		rc = lk_wa_fail(err, LK_E_MALFORMED, P, "RSA modulus of %d bits", BN_num_bits(bn));
		goto out;
	}
	rc = from_params("RSA", bld, &k->pkey);
	if (rc == LK_OK) {
		rc = public_check(k->pkey);
	}
	if (rc == LK_E_MALFORMED) {
		rc = lk_wa_fail(err, rc, P, "RSA key refused");
	}
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return rc;
}

static int
okp(const struct lk_wa_cbor *map, struct lk_wa_cose_key *k, struct lk_wa_error *err)
{
	const uint8_t *x;
	size_t xn, want;
	int type;

	if (k->crv == 6 && (k->alg == LK_WA_ALG_EDDSA || k->alg == -19)) {
		type = EVP_PKEY_ED25519, want = 32;
	} else if (k->crv == 7 && (k->alg == LK_WA_ALG_EDDSA || k->alg == LK_WA_ALG_ED448)) {
		type = EVP_PKEY_ED448, want = 57;
	} else if (k->crv != 6 && k->crv != 7) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "OKP curve %d not supported", k->crv);
	} else {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm",
		                  "alg %d does not match OKP curve %d", k->alg, k->crv);
	}
	if (get_bytes(map, -2, &x, &xn) != 0 || xn != want) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "OKP x missing or of wrong length");
	}
	if (lk_wa_cbor_map_int(map, -4) != NULL) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "private key parameter present");
	}
	/* The public-key check OpenSSL does not make for raw Ed25519 keys: a canonical
	 * encoding of a point on the curve, in the prime-order subgroup (so never one of the
	 * small-order points that any signature could be forged for). */
	if (type == EVP_PKEY_ED25519 && crypto_core_ed25519_is_valid_point(x) != 1) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "OKP x is not a valid Ed25519 point");
	}
	memcpy(k->x, x, xn);
	k->coord_len = xn;
	k->pkey = EVP_PKEY_new_raw_public_key(type, NULL, x, xn);
	if (k->pkey == NULL) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "OKP key refused");
	}
	return LK_OK;
}

int
lk_wa_cose_from_cbor(const struct lk_wa_cbor *map, struct lk_wa_cose_key *out,
                     struct lk_wa_error *err)
{
	int64_t kty, alg, crv = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (map == NULL || lk_wa_cbor_type(map) != LK_WA_CBOR_MAP) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "COSE_Key is not a map");
	}
	if (lk_wa_cbor_int(lk_wa_cbor_map_int(map, 1), &kty) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "kty missing or not an integer");
	}
	if (lk_wa_cbor_int(lk_wa_cbor_map_int(map, 3), &alg) != 0) {
		return lk_wa_fail(err, LK_E_MALFORMED, P, "alg missing or not an integer");
	}
	if (alg < -65536 || alg > 65536) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm", "unsupported algorithm");
	}
	if (alg == -48 || alg == -49 || alg == -50) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm",
		                  "unsupported algorithm %d (ML-DSA)", (int)alg);
	}
	if (!lk_wa_alg_supported((int)alg) && alg != LK_WA_ALG_RS1 && alg != -47) {
		return lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm", "unsupported algorithm %d",
		                  (int)alg);
	}
	if (kty == LK_WA_KTY_EC2 || kty == LK_WA_KTY_OKP) {
		if (lk_wa_cbor_int(lk_wa_cbor_map_int(map, -1), &crv) != 0 || crv < 0 ||
		    crv > 1000) {
			return lk_wa_fail(err, LK_E_MALFORMED, P, "crv missing or not an integer");
		}
		if (lk_wa_cbor_map_int(map, -4) != NULL) {
			return lk_wa_fail(err, LK_E_MALFORMED, P, "private key parameter present");
		}
	}
	out->kty = (int)kty;
	out->alg = (int)alg;
	out->crv = (int)crv;
	switch (kty) {
	case LK_WA_KTY_EC2:
		rc = ec2(map, out, err);
		break;
	case LK_WA_KTY_RSA:
		rc = rsa(map, out, err);
		break;
	case LK_WA_KTY_OKP:
		rc = okp(map, out, err);
		break;
	default:
		rc = lk_wa_fail(err, LK_E_UNSUPPORTED, "algorithm",
		                "unsupported key type %d (alg %d)", (int)kty, (int)alg);
	}
	if (rc != LK_OK) {
		lk_wa_cose_clear(out);
	}
	return rc;
}

int
lk_wa_cose_parse(const uint8_t *buf, size_t len, struct lk_wa_cose_key *out,
                 struct lk_wa_error *err)
{
	struct lk_wa_cbor *item = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = lk_wa_cbor_decode(buf, len, NULL, &item)) != LK_OK) {
		return lk_wa_fail(err, rc, P, "COSE_Key is not one well-formed CBOR map");
	}
	rc = lk_wa_cose_from_cbor(item, out, err);
	lk_wa_cbor_free(item);
	return rc;
}

static const char *
ec_curve_of(int alg)
{
	switch (alg) {
	case LK_WA_ALG_ES256:
		return "prime256v1";
	case LK_WA_ALG_ES384:
		return "secp384r1";
	case LK_WA_ALG_ES512:
		return "secp521r1";
	default:
		return NULL;
	}
}

int
lk_wa_sig_verify(int alg, EVP_PKEY *pkey, int strict_curve, const uint8_t *msg, size_t msg_len,
                 const uint8_t *sig, size_t sig_len)
{
	const char *hash = lk_wa_alg_hash(alg), *curve = ec_curve_of(alg);
	const EVP_MD *md = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int rc = LK_E_UNSUPPORTED, ok, is_pss = 0;

	if (pkey == NULL || sig_len == 0) {
		return pkey == NULL ? LK_E_INVAL : LK_E_VERIFY;
	}
	switch (alg) {
	case LK_WA_ALG_ES256:
	case LK_WA_ALG_ES384:
	case LK_WA_ALG_ES512:
		if (!EVP_PKEY_is_a(pkey, "EC")) {
			return LK_E_UNSUPPORTED;
		}
		if (strict_curve) {
			char g[64];
			size_t gl = 0;
			if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, g,
			                                   sizeof(g), &gl) != 1 ||
			    strcmp(g, curve) != 0) {
				return LK_E_UNSUPPORTED;
			}
		}
		break;
	case LK_WA_ALG_PS256:
	case LK_WA_ALG_PS384:
	case LK_WA_ALG_PS512:
		is_pss = 1;
		/* fall through */
	case LK_WA_ALG_RS256:
	case LK_WA_ALG_RS384:
	case LK_WA_ALG_RS512:
	case LK_WA_ALG_RS1:
		if (!EVP_PKEY_is_a(pkey, "RSA")) {
			return LK_E_UNSUPPORTED;
		}
		break;
	case LK_WA_ALG_EDDSA:
		if (!EVP_PKEY_is_a(pkey, "ED25519") && !EVP_PKEY_is_a(pkey, "ED448")) {
			return LK_E_UNSUPPORTED;
		}
		break;
	case -19:
		if (!EVP_PKEY_is_a(pkey, "ED25519")) {
			return LK_E_UNSUPPORTED;
		}
		break;
	case LK_WA_ALG_ED448:
		if (!EVP_PKEY_is_a(pkey, "ED448")) {
			return LK_E_UNSUPPORTED;
		}
		break;
	default:
		return LK_E_UNSUPPORTED;
	}
	if (hash != NULL && (md = EVP_get_digestbyname(hash)) == NULL) {
		return LK_E_CRYPTO;
	}
	mctx = EVP_MD_CTX_new();
	if (mctx == NULL) {
		return LK_E_NOMEM;
	}
	if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pkey) != 1) {
		rc = LK_E_CRYPTO;
		goto out;
	}
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, is_pss ? RSA_PKCS1_PSS_PADDING
		                                              : RSA_PKCS1_PADDING) != 1) {
			rc = LK_E_CRYPTO;
			goto out;
		}
		if (is_pss &&
		    (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)) {
			rc = LK_E_CRYPTO;
			goto out;
		}
	}
	ok = EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len);
	rc = ok == 1 ? LK_OK : LK_E_VERIFY;
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}
