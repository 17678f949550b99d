/* recovery_codes.c: recovery-code rows (see recovery_codes.h). */
#include <sodium.h>
#include <string.h>

#include "auth/recovery_codes.h"
#include "core/rc.h"
#include "store/store.h"

static int
insert_code(struct lk_app *app, const char *user_id, const char *code, int64_t now)
{
	unsigned char digest[LK_RECOVERY_CODE_DIGEST];
	int rc;

	rc = lk_recovery_code_digest(app->key, code, strlen(code), digest);
	if (rc != LK_OK) {
		return LK_E_CRYPTO;
	}
	struct lk_val p[] = {LK_TEXT(user_id), LK_BLOB(digest, sizeof(digest)), LK_INT(now)};
	rc = lk_db_exec(
	    app->store,
	    "INSERT INTO recovery_codes (user_id, digest, created_at) VALUES (?1, ?2, ?3)", p, 3,
	    NULL, NULL, NULL);
	sodium_memzero(digest, sizeof(digest));
	return rc;
}

int
lk_recovery_codes_replace(struct lk_app *app, const char *user_id, int64_t now, lk_recovery_set out)
{
	int rc;

	if (lk_recovery_codes_generate(out) != LK_OK) {
		return LK_E_CRYPTO;
	}
	if ((rc = lk_recovery_codes_delete(app, user_id)) != LK_OK) {
		return rc;
	}
	for (int i = 0; i < LK_RECOVERY_CODES; i++) {
		if ((rc = insert_code(app, user_id, out[i], now)) != LK_OK) {
			return rc;
		}
	}
	return LK_OK;
}

int
lk_recovery_codes_remaining(struct lk_app *app, const char *user_id, int64_t *n)
{
	struct lk_val p[] = {LK_TEXT(user_id)};
	int rc = lk_db_int(
	    app->store,
	    "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL", p, 1, n);

	if (rc == LK_E_NOTFOUND) {
		*n = 0;
		rc = LK_OK;
	}
	return rc;
}

int
lk_recovery_codes_consume(struct lk_app *app, const char *user_id, const char *in, size_t in_len,
                          int64_t now)
{
	unsigned char digest[LK_RECOVERY_CODE_DIGEST];
	int64_t changes = 0;
	int rc;

	if (lk_recovery_code_digest(app->key, in, in_len, digest) != LK_OK) {
		return LK_E_VERIFY;
	}
	/* SPEC single use: the row's used_at flips once; the changes count decides. */
	struct lk_val p[] = {LK_BLOB(digest, sizeof(digest)), LK_TEXT(user_id), LK_INT(now)};
	rc = lk_db_exec(app->store,
	                "UPDATE recovery_codes SET used_at = ?3 WHERE digest = ?1 AND user_id = ?2 "
	                "AND used_at IS NULL",
	                p, 3, NULL, NULL, &changes);
	sodium_memzero(digest, sizeof(digest));
	if (rc != LK_OK) {
		return rc;
	}
	return changes == 1 ? LK_OK : LK_E_VERIFY;
}

int
lk_recovery_codes_delete(struct lk_app *app, const char *user_id)
{
	struct lk_val p[] = {LK_TEXT(user_id)};
	return lk_db_exec(app->store, "DELETE FROM recovery_codes WHERE user_id = ?1", p, 1, NULL,
	                  NULL, NULL);
}
