/* authdata.h: authenticatorData (WebAuthn §6.1) parsing. Trust boundary: raw bytes from the
 * client; everything is bounds-checked and nothing may be left over. */
#ifndef LK_WA_AUTHDATA_H
#define LK_WA_AUTHDATA_H
#include <stddef.h>
#include <stdint.h>

#include "core/webauthn/cose.h"
#include "core/webauthn/webauthn.h"

#define LK_WA_FLAG_UP 0x01
#define LK_WA_FLAG_UV 0x04
#define LK_WA_FLAG_BE 0x08
#define LK_WA_FLAG_BS 0x10
#define LK_WA_FLAG_AT 0x40
#define LK_WA_FLAG_ED 0x80

/* Borrowed views into the parsed bytes. */
struct lk_wa_authdata {
	const uint8_t *rp_id_hash; /* 32 bytes */
	uint8_t flags;
	uint32_t sign_count;
	const uint8_t *aaguid; /* 16 bytes, when AT */
	const uint8_t *cred_id;
	size_t cred_id_len;
	const uint8_t *cose; /* the credential public key bytes, when AT */
	size_t cose_len;
	const uint8_t *ext; /* the extensions map bytes, when ED */
	size_t ext_len;
};

/* Parses authenticatorData: 37-byte header, attested credential data when AT (credential
 * id of any length here; callers apply limits), the COSE key as one well-formed CBOR map,
 * an extensions map when ED (a non-empty CBOR map with text keys), no byte left over.
 * With key != NULL and AT set the COSE key is also decoded and checked into *key
 * (release with lk_wa_cose_clear). LK_OK or LK_E_MALFORMED (check "authenticatorData")
 * and the lk_wa_cose_from_cbor codes. */
int lk_wa_authdata_parse(const uint8_t *buf, size_t len, struct lk_wa_authdata *out,
                         struct lk_wa_cose_key *key, struct lk_wa_error *err);

#endif
