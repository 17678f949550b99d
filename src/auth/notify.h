/* notify.h: security notifications (API.md "Security notifications and 'this wasn't me'").
 * Every security change of an account is emailed to it with the time, the client address and
 * user agent, and a one-click lockdown link <origin>/auth/lockdown?token=T (T stored hashed
 * in tokens, purpose 'lockdown', 7 days, single use; see auth/lockdown.h). Also the "new
 * sign-in from a new device" rule: a device is the (client address, user agent) pair of a
 * full sign-in, remembered per account in known_devices. */
#ifndef LK_NOTIFY_H
#define LK_NOTIFY_H

#include <stdint.h>

#include "auth/app.h"
#include "auth/sessions.h"

#define LK_LOCKDOWN_TTL_MS (7LL * 24 * 3600 * 1000)

/* Emails user one notification. purpose is the X-Latchkey-Purpose tag ([a-z0-9-], e.g.
 * "password-changed", "totp-enabled", "passkey-added"); what is one short sentence saying
 * what changed ("Your password was changed."), used as the subject and the first line. ip
 * and ua are the client that made the change (NULL for the command line). A fresh lockdown
 * token is issued for the email. Returns LK_OK, LK_E_INVAL (a bad purpose or text),
 * LK_E_STORAGE. Never fails the caller's change: callers may ignore the result. */
int lk_notify(struct lk_app *app, const struct lk_user *user, const char *purpose, const char *what,
              const char *ip, const char *ua, int64_t now);

/* Like lk_notify with more text: extra (may be NULL) is a paragraph placed after the
 * details, before the lockdown link (e.g. the recovery cancel link, on its own line). */
int lk_notify_ex(struct lk_app *app, const struct lk_user *user, const char *purpose,
                 const char *what, const char *extra, const char *ip, const char *ua, int64_t now);

/* Like lk_notify_ex, but the email is due at due (>= now; it is queued now and the mail
 * worker sends it then) and its lockdown link lasts until due + 7 days. *outbox_id (may be
 * NULL) receives the outbox row, so a caller may delete it while unsent. */
int lk_notify_at(struct lk_app *app, const struct lk_user *user, const char *purpose,
                 const char *what, const char *extra, const char *ip, const char *ua, int64_t now,
                 int64_t due, int64_t *outbox_id);

/* Records that user signed in fully from (ip, ua). When that pair is new for the account
 * and the account had signed in from another device before, emails a "new sign-in"
 * notification. The first device of an account (its signup) is recorded silently. Call on
 * every full sign-in and at signup. Returns LK_OK or LK_E_STORAGE. */
int lk_notify_signin(struct lk_app *app, const struct lk_user *user, const char *ip, const char *ua,
                     int64_t now);

#endif
