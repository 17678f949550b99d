/* recovery_code.h: TOTP recovery codes (API-NOTES 80): `xxxxx-xxxxx` over the 31 letters
 * and digits "23456789abcdefghjkmnpqrstuvwxyz" (no 0, 1, i, l, o; about 49.5 bits), shown
 * once, stored only as HMAC-SHA-256 under the server's LK_KEY_RECOVERY subkey. */
#ifndef LK_RECOVERY_CODE_H
#define LK_RECOVERY_CODE_H

#include <stddef.h>

#include "core/limits.h"
#include "core/rc.h"
#include "core/secretbox.h"

#define LK_RECOVERY_CODES       10                         /* codes per set */
#define LK_RECOVERY_CODE_CHARS  10                         /* significant characters */
#define LK_RECOVERY_CODE_LEN    11                         /* as shown, with the dash */
#define LK_RECOVERY_CODE_DIGEST 32                         /* HMAC-SHA-256 */
#define LK_RECOVERY_CODE_MAX_IN LK_MAX_RECOVERY_CODE_INPUT /* see limits.h */

/* Writes one fresh code "xxxxx-xxxxx" and its NUL into out. LK_OK or LK_E_CRYPTO. */
lk_rc lk_recovery_code_generate(char out[LK_RECOVERY_CODE_LEN + 1]);

/* Writes LK_RECOVERY_CODES distinct fresh codes. LK_OK or LK_E_CRYPTO. */
lk_rc lk_recovery_codes_generate(char out[LK_RECOVERY_CODES][LK_RECOVERY_CODE_LEN + 1]);

/* Normalises user input: ASCII case ignored, spaces and dashes dropped; the rest must be
 * exactly 10 characters of the alphabet. Writes the 10 lower-case characters and a NUL to
 * out. LK_OK; LK_E_MALFORMED (wrong length or characters; out holds ""); LK_E_TOOBIG
 * (over LK_RECOVERY_CODE_MAX_IN bytes). */
lk_rc lk_recovery_code_normalize(const char *in, size_t in_len,
                                 char out[LK_RECOVERY_CODE_CHARS + 1]);

/* The digest to store or look up for the code in in[0..in_len) (normalised first):
 * HMAC-SHA-256 of the 10 normalised characters under k's LK_KEY_RECOVERY subkey.
 * Returns like lk_recovery_code_normalize, plus LK_E_INVAL for a NULL key. */
lk_rc lk_recovery_code_digest(const struct lk_serverkey *k, const char *in, size_t in_len,
                              unsigned char out[LK_RECOVERY_CODE_DIGEST]);

#endif
