/* recovery_codes.h: the stored recovery codes of a TOTP enrolment (API.md "TOTP and
 * recovery codes", API-NOTES 80-81). Codes are shown once and kept only as HMAC digests
 * (lk_recovery_code_digest); a code is spent by one conditional UPDATE, so of concurrent
 * uses exactly one wins. Input comes from clients: it is only normalised and digested. */
#ifndef LK_RECOVERY_CODES_H
#define LK_RECOVERY_CODES_H

#include <stddef.h>
#include <stdint.h>

#include "auth/app.h"
#include "core/recovery_code.h"

typedef char lk_recovery_set[LK_RECOVERY_CODES][LK_RECOVERY_CODE_LEN + 1];

/* Deletes the user's codes and stores LK_RECOVERY_CODES fresh ones, written to out for
 * showing once (the caller wipes them). Runs several statements: call it inside a
 * transaction (lk_db_begin). LK_OK; LK_E_CRYPTO; LK_E_STORAGE. */
int lk_recovery_codes_replace(struct lk_app *app, const char *user_id, int64_t now,
                              lk_recovery_set out);

/* Unused codes of the user into *n. LK_OK or LK_E_STORAGE. */
int lk_recovery_codes_remaining(struct lk_app *app, const char *user_id, int64_t *n);

/* Spends the code in[0..in_len) (case, spaces and dashes ignored) if it is an unused code of
 * the user: one UPDATE ... WHERE used_at IS NULL decides. LK_OK when this call spent it;
 * LK_E_VERIFY (unknown, already used, or not shaped like a code); LK_E_STORAGE. */
int lk_recovery_codes_consume(struct lk_app *app, const char *user_id, const char *in,
                              size_t in_len, int64_t now);

/* Deletes every code of the user. LK_OK or LK_E_STORAGE. */
int lk_recovery_codes_delete(struct lk_app *app, const char *user_id);

#endif
