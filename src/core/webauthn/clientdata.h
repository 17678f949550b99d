/* clientdata.h: CollectedClientData (WebAuthn §5.8.1) checks. Trust boundary: the JSON
 * bytes come from the client; they are hashed exactly as received (by the caller) and
 * only read here, never re-serialised. */
#ifndef LK_WA_CLIENTDATA_H
#define LK_WA_CLIENTDATA_H
#include <stddef.h>
#include <stdint.h>

#include "core/webauthn/webauthn.h"

/* Parses clientDataJSON (a JSON object, duplicate members refused) and checks, in spec
 * order: type == want_type, challenge equal to expected_challenge (as a string, constant
 * time), origin equal to one of cfg->origins, crossOrigin a boolean if present, topOrigin
 * (present only with crossOrigin true, and one of cfg->top_origins), crossOrigin true only
 * with a topOrigin, tokenBinding status when it is an object. Step numbers go in the
 * caller's SPEC tags; `ceremony` is "7.1" or "7.2". LK_OK or LK_E_MALFORMED/LK_E_VERIFY
 * with err filled (check clientDataJSON, type, challenge, origin, crossOrigin,
 * tokenBinding). */
int lk_wa_clientdata_check(const struct lk_wa_config *cfg, const uint8_t *cdj, size_t len,
                           const char *want_type, const char *expected_challenge,
                           struct lk_wa_error *err);

#endif
