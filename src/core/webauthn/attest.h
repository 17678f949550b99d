/* attest.h: attestation statement formats (WebAuthn §8) and the X.509 helpers they share.
 * Trust boundary: attStmt, its certificates and signatures are attacker-supplied; trust
 * anchors and the clock come from the config. */
#ifndef LK_WA_ATTEST_H
#define LK_WA_ATTEST_H
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/webauthn/authdata.h"
#include "core/webauthn/cbor.h"
#include "core/webauthn/cose.h"
#include "core/webauthn/webauthn.h"

struct lk_wa_att {
	const struct lk_wa_config *cfg;
	const struct lk_wa_cbor *att_stmt; /* the attStmt map */
	const uint8_t *auth_data;          /* raw authenticatorData */
	size_t auth_data_len;
	const struct lk_wa_authdata *ad;
	const struct lk_wa_cose_key *cred; /* the credential public key */
	uint8_t client_hash[32];
	const char *type;   /* out: "none", "self", "basic", "attca", "anonca" */
	int anchored;       /* out: the x5c chain was verified to one of cfg's anchors */
	json_t *trust_path; /* out, owned: the x5c subjects, leaf first (NULL without x5c) */
};

/* Each verifies one format's statement (§8.x verification procedure), including the
 * trust path (the x5c chain to an anchor when cfg has anchors, else its own signatures and
 * validity at cfg->now_ms). LK_OK or an lk_rc with err filled (check "attestation",
 * messages "attestation: <fmt>: <detail>"). */
int lk_wa_att_none(struct lk_wa_att *a, struct lk_wa_error *err);
int lk_wa_att_packed(struct lk_wa_att *a, struct lk_wa_error *err);
int lk_wa_att_fido_u2f(struct lk_wa_att *a, struct lk_wa_error *err);
int lk_wa_att_apple(struct lk_wa_att *a, struct lk_wa_error *err);
int lk_wa_att_tpm(struct lk_wa_att *a, struct lk_wa_error *err);
int lk_wa_att_android_key(struct lk_wa_att *a, struct lk_wa_error *err);
int lk_wa_att_android_safetynet(struct lk_wa_att *a, struct lk_wa_error *err);

/* Loads attStmt.x5c (a non-empty array of DER certificates, leaf first) into a new stack.
 * LK_OK or LK_E_MALFORMED/LK_E_NOMEM with err filled. */
int lk_wa_x5c_load(const char *fmt, const struct lk_wa_cbor *x5c, STACK_OF(X509) * *out,
                   struct lk_wa_error *err);
/* Verifies the chain (leaf first) at a->cfg->now_ms: to one of the config's anchors when
 * there are any, else its internal signatures and validity with its last certificate as
 * the top. On success records it as a's trust path (and a->anchored). LK_OK, LK_E_VERIFY,
 * LK_E_EXPIRED or LK_E_NOMEM with err filled. */
int lk_wa_x5c_verify(struct lk_wa_att *a, const char *fmt, STACK_OF(X509) * chain,
                     struct lk_wa_error *err);
/* The DER contents of the extension with dotted OID oid of cert: 1 found (*p,*n borrowed),
 * 0 absent, -1 present more than once. */
int lk_wa_x509_ext(X509 *cert, const char *oid, const uint8_t **p, size_t *n);
/* Checks the id-fido-gen-ce-aaguid extension, when present, against aaguid. */
int lk_wa_x509_aaguid_ok(X509 *cert, const uint8_t *aaguid);
/* 1 when basicConstraints is absent or has CA false. */
int lk_wa_x509_not_ca(X509 *cert);

/* A minimal DER reader: the next TLV of r (tag number with class/constructed bits in the
 * low byte's top bits folded into *cls, multi-byte tag numbers supported, definite
 * lengths only). 0 or -1. */
struct lk_wa_rd;
int lk_wa_der_next(struct lk_wa_rd *r, int *cls, uint32_t *tag, const uint8_t **val, size_t *len);

#endif
