/* cose.h: COSE_Key (RFC 9052/9053, WebAuthn §5.8.5) to OpenSSL EVP_PKEY, and signature
 * verification by COSE algorithm. Trust boundary: the key bytes come from the client at
 * registration (and from our store at authentication, where they were checked before). */
#ifndef LK_WA_COSE_H
#define LK_WA_COSE_H
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/webauthn/cbor.h"
#include "core/webauthn/webauthn.h"

#define LK_WA_KTY_OKP 1
#define LK_WA_KTY_EC2 2
#define LK_WA_KTY_RSA 3
#define LK_WA_KTY_AKP 7 /* ML-DSA */

struct lk_wa_cose_key {
	int kty, alg, crv;
	uint8_t x[66], y[66]; /* EC2 coordinates or the OKP x (coord_len bytes) */
	size_t coord_len;
	uint8_t n[1024]; /* RSA modulus (n_len bytes) and exponent */
	size_t n_len;
	uint8_t e[8];
	size_t e_len;
	EVP_PKEY *pkey;
};

/* Reads a decoded COSE_Key map: kty, alg, crv and coordinates checked exactly (alg known
 * and matching kty/crv, coordinate lengths, RSA modulus >= 2048 bits, EC point on the
 * curve). Fills *out (release with lk_wa_cose_clear). Returns LK_OK, LK_E_MALFORMED
 * (check "publicKey"), LK_E_UNSUPPORTED (check "algorithm"), LK_E_NOMEM, LK_E_CRYPTO. */
int lk_wa_cose_from_cbor(const struct lk_wa_cbor *map, struct lk_wa_cose_key *out,
                         struct lk_wa_error *err);
/* Decodes bytes that must be exactly one COSE_Key, as lk_wa_cose_from_cbor. */
int lk_wa_cose_parse(const uint8_t *buf, size_t len, struct lk_wa_cose_key *out,
                     struct lk_wa_error *err);
/* Frees the key; accepts NULL and a zeroed struct. */
void lk_wa_cose_clear(struct lk_wa_cose_key *k);

/* Verifies sig over msg with pkey under COSE algorithm alg (ECDSA signatures DER only;
 * RSA PKCS#1 v1.5 or PSS with salt = hash length; EdDSA pure). The key type must suit alg;
 * with strict_curve the EC curve must be the one alg names. LK_OK, LK_E_VERIFY,
 * LK_E_UNSUPPORTED (alg unknown or key type mismatch), LK_E_CRYPTO. */
int lk_wa_sig_verify(int alg, EVP_PKEY *pkey, int strict_curve, const uint8_t *msg, size_t msg_len,
                     const uint8_t *sig, size_t sig_len);

/* The digest name (for EVP_get_digestbyname) of a COSE signature alg, or NULL (EdDSA,
 * unknown). */
const char *lk_wa_alg_hash(int alg);

#endif
