/* magic_link.h: sign-in by a link (and its 8-digit code) sent to the account's email
 * (API.md "Magic links", API-NOTES 83-94). Requests are answered alike for known and
 * unknown addresses; the link is composed into the outbox, never returned. Token and code
 * are stored only as hashes and spent together by one conditional UPDATE.
 * Trust boundary: every argument comes from an unauthenticated client, already shape-checked
 * by the edge (strings, no NUL); emails, tokens, codes and redirects are validated here. */
#ifndef LK_MAGIC_LINK_H
#define LK_MAGIC_LINK_H

#include <stdint.h>

#include "auth/accounts.h"
#include "core/limits.h"

/* Digits of the code printed in the email beside the link. */
#define LK_MAGIC_CODE_DIGITS 8
/* Code attempts per link: the 5th may still succeed, then the code is dead (API.md). */
#define LK_MAGIC_CODE_TRIES 5
/* lk_key_derive name of the HMAC key of codes (8 characters; must differ from the names in
 * core/secretbox.h). */
#define LK_KEY_MAGIC_CODE "mlinkcod"

/* What a used link yields: the sign-in (user, session and cookie token; methods for
 * LK_NEED_2FA) and the safe redirect to echo ("" for none). */
struct lk_magic_result {
	struct lk_signin si;
	char redirect[LK_MAX_REDIRECT + 1];
};

/* POST /auth/magic-link. email as sent (normalised here); redirect may be NULL and is kept
 * only when lk_redirect_check accepts it. Counts the request against the per-address limit
 * (cfg.rate_mail_ip per hour) and the per-email one (cfg.rate_mail_email per sliding hour,
 * every accepted request, account or not). Sends a link when within the email limit and the
 * email names an account that may sign in (not disabled; if locked down, only one with TOTP
 * and a verified email), or names none and cfg.magic_link_signup is set; records
 * magic_link.requested for an account that got one. Token, code and message are made for
 * every request, and the counting and queueing run in one transaction, so known and unknown
 * addresses take comparable time.
 * Returns LK_DONE (answer 202 whether or not anything was sent), LK_BAD_EMAIL (malformed
 * email), LK_LIMITED (*retry_after seconds), LK_FAILED_INTERNAL (store or crypto). */
enum lk_outcome lk_magic_link_request(struct lk_app *app, const char *email, const char *redirect,
                                      const struct lk_client *cl, int64_t now,
                                      int64_t *retry_after);

/* POST /auth/magic-link/verify {token}: spends the link whose token this is, if unused and
 * unexpired, and signs its account in (see lk_magic_link_verify_code for the outcomes).
 * fallback_redirect (may be NULL) is echoed when safe and the link carries none. */
enum lk_outcome lk_magic_link_verify_token(struct lk_app *app, const char *token,
                                           const char *fallback_redirect,
                                           const struct lk_client *cl, int64_t now,
                                           struct lk_magic_result *out);

/* POST /auth/magic-link/verify {email, code}: code as typed (spaces and dashes ignored, 8
 * digits). Each attempt first takes one try from every live link of the email (a link with
 * LK_MAGIC_CODE_TRIES tries used takes no more: its code is dead), then spends the link
 * whose code matches. A used link, by token or code:
 * - of an unverified account: the pre-hijack defence (lk_account_prehijack_reset), event
 *   email.verified {via: magic_link, removed, sessionsRevoked}, then a full session;
 * - of a verified account with TOTP: a pending session (amr email_link), LK_NEED_2FA with
 *   out->si.methods;
 * - else a full session (amr email_link), events magic_link.used and login.success
 *   {method: magic_link}, waiting account recoveries cancelled, the device recorded
 *   (lk_notify_signin);
 * - of an unknown email (cfg.magic_link_signup): the account is created, verified and
 *   passwordless, then signed in.
 * Returns LK_DONE, LK_NEED_2FA, LK_BAD_TOKEN (unknown, used, expired, dead code, the
 * account changed its email or is gone, or a signup link with cfg.magic_link_signup now
 * off), LK_BAD_CREDENTIALS (disabled, or locked down without a second factor to go on to:
 * the link is spent; events magic_link.used and login.failure {method, reason}),
 * LK_FAILED_INTERNAL. Every outcome but LK_NEED_2FA and LK_DONE counts as a magic_link
 * failure in the metrics. */
enum lk_outcome lk_magic_link_verify_code(struct lk_app *app, const char *email, const char *code,
                                          const char *fallback_redirect, const struct lk_client *cl,
                                          int64_t now, struct lk_magic_result *out);

/* Spends every unused link of the account (by its id, or sent to its address before it
 * existed), so a link in a mailbox outlives no change of the account's keys: a password
 * change, a completed recovery, a lockdown (SECURITY-PROBES P-076). A newer link leaves
 * older ones valid: mail arrives out of order. Runs in the caller's transaction if any.
 * LK_OK or LK_E_STORAGE. */
int lk_magic_link_spend_all(struct lk_app *app, const char *user_id, int64_t now);

#endif
