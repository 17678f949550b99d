/* secretbox.h: the server key (<data-dir>/secret.key) and everything derived from it:
 * sealing of TOTP secrets at rest (XChaCha20-Poly1305 with caller-chosen associated data)
 * and named subkeys (recovery-code HMAC, fake passkey lists). The long-term key stays in
 * guarded, locked, read-only memory behind this small interface, so it could later move
 * to a separate process. */
#ifndef LK_SECRETBOX_H
#define LK_SECRETBOX_H

#include <stddef.h>

#include "core/rc.h"

#define LK_KEY_BYTES 32
/* Subkey names for lk_key_derive: exactly 8 characters each (crypto_kdf contexts). */
#define LK_KEY_TOTPSEAL      "totpseal" /* the AEAD key of lk_secretbox_seal/open */
#define LK_KEY_RECOVERY      "recovery" /* HMAC key of recovery codes (API-NOTES 80) */
#define LK_KEY_FAKE_PASSKEYS "fakepkey" /* HMAC key of fake allowCredentials lists */
/* A sealed blob: version byte, 24-byte nonce, ciphertext, 16-byte tag. */
#define LK_SECRETBOX_OVERHEAD (1 + 24 + 16)

struct lk_serverkey;

/* Reads <data_dir>/secret.key (64 hex characters, optionally a newline), creating it
 * first if absent: 32 random bytes written to a temporary file opened
 * O_CREAT|O_EXCL|O_NOFOLLOW mode 0600, then link()ed into place, so instances starting at
 * once all end up reading the one file that won. Refuses a key file that is not a regular
 * file, is a symlink, or is readable or writable by group or others.
 * Returns LK_OK and *out (free with lk_serverkey_free); LK_E_IO (cannot open, create or
 * read; data_dir must exist); LK_E_STATE (permissions too open, not a regular file);
 * LK_E_MALFORMED (content is not 64 hex digits); LK_E_NOMEM; LK_E_CRYPTO. */
lk_rc lk_serverkey_load_or_create(const char *data_dir, struct lk_serverkey **out);

/* A server key from 32 given bytes (tests, tools). LK_OK, LK_E_NOMEM, LK_E_CRYPTO. */
lk_rc lk_serverkey_from_bytes(const unsigned char key[LK_KEY_BYTES], struct lk_serverkey **out);

/* Wipes and frees k; NULL is fine. */
void lk_serverkey_free(struct lk_serverkey *k);

/* Derives the 32-byte subkey called name (8 characters, e.g. LK_KEY_RECOVERY) with
 * crypto_kdf into out; the caller wipes it after use. LK_OK or LK_E_INVAL. */
lk_rc lk_key_derive(const struct lk_serverkey *k, const char *name,
                    unsigned char out[LK_KEY_BYTES]);

/* Encrypts the pt_len bytes of pt under the LK_KEY_TOTPSEAL subkey with a random nonce,
 * binding the ad_len bytes of ad (e.g. the user id: a sealed secret moved to another row
 * does not open). Writes pt_len + LK_SECRETBOX_OVERHEAD bytes to out (out_cap bytes) and
 * the length to *out_len. LK_OK, LK_E_INVAL (out too small, NULL arguments). */
lk_rc lk_secretbox_seal(const struct lk_serverkey *k, const unsigned char *pt, size_t pt_len,
                        const unsigned char *ad, size_t ad_len, unsigned char *out, size_t out_cap,
                        size_t *out_len);

/* Opens a blob of lk_secretbox_seal with the same ad. Writes ct_len -
 * LK_SECRETBOX_OVERHEAD bytes to out (out_cap bytes; the caller wipes them after use).
 * LK_OK; LK_E_MALFORMED (too short or unknown version); LK_E_VERIFY (forged, corrupted,
 * another key or other ad; out is wiped); LK_E_INVAL (out too small). */
__attribute__((warn_unused_result)) lk_rc lk_secretbox_open(const struct lk_serverkey *k,
                                                            const unsigned char *ct, size_t ct_len,
                                                            const unsigned char *ad, size_t ad_len,
                                                            unsigned char *out, size_t out_cap,
                                                            size_t *out_len);

#endif
