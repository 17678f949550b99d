/* password.h: password hashing (argon2id through libsodium, t=2, m=19 MiB, p=1) and the
 * password policy of API.md (8..256 code points, not a common password). Passwords are
 * secrets: callers wipe their copies; nothing here logs or keeps them. */
#ifndef LK_PASSWORD_H
#define LK_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"

#define LK_PASSWORD_OPSLIMIT  2ULL
#define LK_PASSWORD_MEMLIMIT  ((size_t)19 * 1024 * 1024)
#define LK_PASSWORD_HASH_SIZE 128 /* crypto_pwhash_STRBYTES: the encoded hash and its NUL */

/* Why a password is refused by the policy; LK_PASSWORD_OK (0) when it is not. */
enum lk_password_weakness {
	LK_PASSWORD_OK = 0,
	LK_PASSWORD_TOO_SHORT = 1, /* under LK_MIN_PASSWORD_CP code points */
	LK_PASSWORD_TOO_LONG = 2,  /* over LK_MAX_PASSWORD_CP code points */
	LK_PASSWORD_COMMON = 3,    /* in data/common-passwords.txt, ASCII case ignored */
	LK_PASSWORD_BAD_UTF8 = 4,  /* not strict UTF-8 */
};

/* Hashes the pw_len bytes of pw into out, an encoded "$argon2id$v=19$m=19456,t=2,p=1$..."
 * string. LK_OK, LK_E_INVAL (NULL arguments), LK_E_NOMEM (argon2 could not allocate),
 * LK_E_CRYPTO (libsodium could not start). */
lk_rc lk_password_hash(const char *pw, size_t pw_len, char out[LK_PASSWORD_HASH_SIZE]);

/* Verifies pw against the NUL-terminated encoded hash (any argon2 parameters libsodium
 * accepts). LK_OK if it matches; LK_E_VERIFY if not, or if hash is NULL or not a valid
 * encoded hash. Time is the hash's cost, whatever the answer. */
__attribute__((warn_unused_result)) lk_rc lk_password_verify(const char *hash, const char *pw,
                                                             size_t pw_len);

/* Burns the time of one lk_password_verify against a fixed dummy hash with the current
 * parameters; for unknown emails and disabled accounts, so that they answer in the time a
 * wrong password takes (API.md /login). */
void lk_password_verify_dummy(const char *pw, size_t pw_len);

/* True if hash is not argon2id with the current parameters (or not a valid hash): the
 * caller re-hashes the password it just verified and stores the new hash. */
bool lk_password_needs_rehash(const char *hash);

/* The policy of API.md / API-NOTES 26 for a new password: strict UTF-8, 8..256 code
 * points, not in the shipped common list compared ASCII-case-insensitively. */
enum lk_password_weakness lk_password_check(const char *pw, size_t pw_len);

/* A short constant English text for w ("too short", ...). */
const char *lk_password_weakness_str(enum lk_password_weakness w);

/* True if pw, ASCII lower-cased, is in the common list. */
bool lk_password_is_common(const char *pw, size_t pw_len);

#endif
