/* lockdown.h: "this wasn't me". POST /auth/lockdown with the token of a notification's
 * link (tokens, purpose 'lockdown', single use, 7 days) revokes every session of the account,
 * cancels its open recoveries and sets users.locked_down. While locked down, password and
 * magic-link sign-in are refused unless they lead to a second factor (the account has TOTP:
 * the pending 2FA step is allowed because it proves one); a completed /login/2fa, a
 * passwordless passkey sign-in or a completed account recovery clears the lock. */
#ifndef LK_LOCKDOWN_H
#define LK_LOCKDOWN_H

#include <stdint.h>

#include "auth/accounts.h"

/* Uses a lockdown token. LK_DONE, LK_BAD_TOKEN (unknown, used or expired: 400
 * invalid_or_expired_token), LK_FAILED_INTERNAL. Records the event `lockdown` and emails
 * the account. */
enum lk_outcome lk_lockdown_apply(struct lk_app *app, const char *token, const struct lk_client *cl,
                                  int64_t now);

/* Clears the lock of user_id after the owner proved a second factor (a completed
 * /login/2fa, a passwordless passkey sign-in). Harmless when not locked. LK_OK or
 * LK_E_STORAGE. */
int lk_lockdown_clear(struct lk_app *app, const char *user_id);

/* For a first factor (password, magic link) of a locked-down account: 1 when the sign-in
 * may go on to the pending second-factor step (the account has TOTP enabled), 0 when it
 * must be refused like wrong credentials. Only meaningful when u->locked_down. */
int lk_lockdown_first_factor_allowed(struct lk_app *app, const struct lk_user *u);

#endif
