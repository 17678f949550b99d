/* challenges.h: WebAuthn ceremony challenges (API.md "Passkeys": at least 128 random bits,
 * single use, expiring after the ceremony timeout, bound to a purpose and, where there is
 * one, to a session and an account). The store keeps only the SHA-256 of a challenge; the
 * challenge comes back inside the client's clientDataJSON (untrusted), is hashed and looked
 * up, and one DELETE ... RETURNING decides its single use, across every instance sharing
 * the database. Expired rows are deleted as new ones are issued. */
#ifndef LK_CHALLENGES_H
#define LK_CHALLENGES_H

#include <stdint.h>

#include "auth/app.h"

#define LK_CHALLENGE_BYTES 32     /* 256 random bits */
#define LK_CHALLENGE_LEN   43     /* unpadded base64url of LK_CHALLENGE_BYTES */
#define LK_CHALLENGE_TTL   300000 /* ms: also the options' timeout */

enum lk_challenge_purpose {
	LK_CH_REGISTER,      /* registration of a passkey (full session in sudo mode) */
	LK_CH_LOGIN,         /* passwordless sign-in (no session) */
	LK_CH_SECOND_FACTOR, /* /login/2fa (pending session) */
	LK_CH_REAUTH,        /* /me/reauth (full session) */
};

/* The purpose's name as stored ("register", "login", "second_factor", "reauth"). */
const char *lk_challenge_purpose_name(enum lk_challenge_purpose p);

/* Issues a fresh challenge for purpose, bound to session_id and user_id (either may be
 * NULL: not bound), valid until now + LK_CHALLENGE_TTL; writes it (base64url,
 * NUL-terminated) to out. Deletes expired challenges first and, for a session, the
 * session's older challenges of the same purpose: one outstanding per (session, purpose).
 * Runs its own transaction (not for use inside lk_db_begin). LK_OK, LK_E_CRYPTO,
 * LK_E_STORAGE. */
int lk_challenge_issue(struct lk_app *app, enum lk_challenge_purpose purpose,
                       const char *session_id, const char *user_id, int64_t now,
                       char out[LK_CHALLENGE_LEN + 1]);

/* Consumes the challenge string challenge (untrusted, any length) once: it must have been
 * issued for purpose, to session_id exactly (NULL: issued to no session), and not have
 * expired. *user_id receives the account it was bound to ("" when none). LK_OK;
 * LK_E_NOTFOUND (unknown, used, expired, another purpose or another session);
 * LK_E_STORAGE. */
int lk_challenge_consume(struct lk_app *app, enum lk_challenge_purpose purpose,
                         const char *challenge, const char *session_id, int64_t now,
                         char user_id[32]);

/* Deletes every outstanding challenge bound to user_id (pre-hijack defence, account
 * recovery). LK_OK or LK_E_STORAGE. */
int lk_challenge_drop_user(struct lk_app *app, const char *user_id);

#endif
