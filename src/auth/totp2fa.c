/* totp2fa.c: TOTP enrolment, code checks and the second step of a sign-in (see
 * totp2fa.h). Secrets are unsealed into struct enrol only for the check at hand and
 * wiped right after; client codes are normalised by the core and compared there in
 * constant time. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account_recovery.h"
#include "auth/events.h"
#include "auth/factors.h"
#include "auth/lockdown.h"
#include "auth/notify.h"
#include "auth/ratelimit.h"
#include "auth/totp2fa.h"
#include "core/base32.h"
#include "core/qr.h"
#include "core/rc.h"
#include "core/secretbox.h"
#include "store/store.h"

#define SEALED_SIZE (LK_TOTP_SECRET_BYTES + LK_SECRETBOX_OVERHEAD)

/* An enrolment or an unconfirmed set-up as stored, then unsealed. */
struct enrol {
	int found;
	unsigned char sealed[SEALED_SIZE];
	size_t sealed_len;
	unsigned char key[LK_TOTP_SECRET_BYTES];
	size_t key_len;
	enum lk_totp_alg alg;
	unsigned digits, period;
	int64_t last_step, last_offset, drift;
};

static void
enrol_wipe(struct enrol *e)
{
	sodium_memzero(e, sizeof(*e));
}

void
lk_totp2fa_setup_clear(struct lk_totp_setup *s)
{
	if (!s) {
		return;
	}
	if (s->uri) {
		sodium_memzero(s->uri, strlen(s->uri));
	}
	free(s->uri);
	free(s->svg);
	sodium_memzero(s, sizeof(*s));
}

static int
enrol_row(void *arg, const struct lk_val *c, int n)
{
	struct enrol *e = arg;

	if (n < 7 || c[0].type != LK_V_BLOB || c[0].len > sizeof(e->sealed)) {
		return 1;
	}
	memcpy(e->sealed, c[0].p, c[0].len);
	e->sealed_len = c[0].len;
	e->alg = (enum lk_totp_alg)c[1].i;
	e->digits = (unsigned)c[2].i;
	e->period = (unsigned)c[3].i;
	e->last_step = c[4].i;
	e->last_offset = c[5].i;
	e->drift = c[6].i;
	e->found = 1;
	return 1;
}

/* Loads and unseals the user's enrolment (setup = 0) or unconfirmed set-up (setup = 1).
 * LK_OK, LK_E_NOTFOUND, LK_E_VERIFY (the sealed secret does not open), LK_E_STORAGE. */
static int
enrol_load(struct lk_app *app, const char *user_id, int setup, struct enrol *e)
{
	static const char *const sql[2] = {
	    "SELECT secret_sealed, alg, digits, period_s, last_step, last_offset, drift FROM totp "
	    "WHERE user_id = ?1",
	    "SELECT secret_sealed, alg, digits, period_s, -1, 0, 0 FROM totp_setup "
	    "WHERE user_id = ?1",
	};
	int rc;

	memset(e, 0, sizeof(*e));
	struct lk_val p[] = {LK_TEXT(user_id)};
	if ((rc = lk_db_exec(app->store, sql[setup ? 1 : 0], p, 1, enrol_row, e, NULL)) != LK_OK) {
		return rc;
	}
	if (!e->found) {
		return LK_E_NOTFOUND;
	}
	rc = lk_secretbox_open(app->key, e->sealed, e->sealed_len, (const unsigned char *)user_id,
	                       strlen(user_id), e->key, sizeof(e->key), &e->key_len);
	if (rc != LK_OK) {
		enrol_wipe(e);
		return LK_E_VERIFY;
	}
	return LK_OK;
}

int
lk_totp2fa_enabled(struct lk_app *app, const char *user_id, int *enabled)
{
	int64_t n = 0;
	int rc;

	struct lk_val p[] = {LK_TEXT(user_id)};
	rc = lk_db_int(app->store, "SELECT COUNT(*) FROM totp WHERE user_id = ?1", p, 1, &n);
	*enabled = rc == LK_OK && n > 0;
	return rc == LK_E_NOTFOUND ? LK_OK : rc;
}

int
lk_totp2fa_state(struct lk_app *app, const char *user_id, int *enabled, int *pending)
{
	int64_t n = 0;
	int rc, on = 0;

	if ((rc = lk_totp2fa_enabled(app, user_id, &on)) != LK_OK) {
		return rc;
	}
	if (enabled) {
		*enabled = on;
	}
	if (pending) {
		struct lk_val p[] = {LK_TEXT(user_id)};
		rc = lk_db_int(app->store, "SELECT COUNT(*) FROM totp_setup WHERE user_id = ?1", p,
		               1, &n);
		*pending = rc == LK_OK && n > 0;
	}
	return rc == LK_E_NOTFOUND ? LK_OK : rc;
}

int
lk_totp2fa_code_type_ok(const json_t *v)
{
	return json_is_string(v) || (json_is_integer(v) && json_integer_value(v) >= 0);
}

/* The code of a JSON value as `digits` decimal digits (API-NOTES 38, 39, 73): a string
 * with spaces and dashes removed, or an integer zero-padded. LK_OK or LK_E_VERIFY. */
static int
code_from_json(const json_t *v, unsigned digits, char out[LK_TOTP_CODE_SIZE])
{
	out[0] = '\0';
	if (json_is_string(v)) {
		return lk_totp_normalize_code(json_string_value(v), json_string_length(v), digits,
		                              out) == LK_OK
		           ? LK_OK
		           : LK_E_VERIFY;
	}
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v), max = 1;
		for (unsigned i = 0; i < digits; i++) {
			max *= 10;
		}
		if (n < 0 || n >= max) {
			return LK_E_VERIFY;
		}
		snprintf(out, LK_TOTP_CODE_SIZE, "%0*lld", (int)digits, (long long)n);
		return LK_OK;
	}
	return LK_E_VERIFY;
}

/* Folds one lk_totp_verify result into the best so far: a fresh step beats a replay,
 * which beats no match; between fresh steps the later wins. */
static void
fold(int rc, int64_t step, int *best_rc, int64_t *best_step)
{
	if (rc == LK_OK) {
		if (*best_rc != LK_OK || step > *best_step) {
			*best_step = step;
		}
		*best_rc = LK_OK;
	} else if (rc == LK_E_REPLAY && *best_rc != LK_OK) {
		*best_rc = LK_E_REPLAY;
	} else if (rc != LK_E_VERIFY && rc != LK_E_REPLAY && *best_rc == LK_E_VERIFY) {
		*best_rc = rc; /* a parameter or crypto failure */
	}
}

/* SPEC rfc6238 5.2, 6: matches code in t-skew..t+skew widened by e->drift steps on one
 * side; every step is checked (no early exit). *step receives the latest fresh matching
 * step, *t the current one. LK_OK, LK_E_REPLAY, LK_E_VERIFY, LK_E_INVAL, LK_E_CRYPTO. */
static int
window_match(const struct enrol *e, unsigned skew, int64_t now_s, const char *code, int64_t *step,
             int64_t *t)
{
	int best = LK_E_VERIFY;
	int64_t s = -1, d = e->drift, dir = d < 0 ? -1 : 1;
	int rc;

	*t = lk_totp_step(now_s, e->period);
	rc = lk_totp_verify(e->key, e->key_len, e->alg, e->digits, e->period, skew, now_s, code,
	                    e->last_step, &s);
	fold(rc, s, &best, step);
	for (int64_t k = 1; k <= (d < 0 ? -d : d) && k <= LK_TOTP_MAX_DRIFT; k++) {
		int64_t at = now_s + dir * ((int64_t)skew + k) * (int64_t)e->period;
		if (at < 0) {
			continue;
		}
		rc = lk_totp_verify(e->key, e->key_len, e->alg, e->digits, e->period, 0, at, code,
		                    e->last_step, &s);
		fold(rc, s, &best, step);
	}
	return best;
}

/* The drift after accepting a code at offset (RFC 6238 section 6): a non-zero offset seen
 * twice in a row widens the window that way, a zero offset seen twice narrows it again. */
static int64_t
next_drift(const struct enrol *e, int64_t offset)
{
	if (offset != e->last_offset) {
		return e->drift;
	}
	if (offset > LK_TOTP_MAX_DRIFT) {
		return LK_TOTP_MAX_DRIFT;
	}
	if (offset < -LK_TOTP_MAX_DRIFT) {
		return -LK_TOTP_MAX_DRIFT;
	}
	return offset;
}

/* SPEC rfc6238 5.2: spends step with one conditional UPDATE; of two requests with one
 * code only the first changes the row. LK_OK, LK_E_VERIFY (replay), LK_E_STORAGE. */
static int
spend_step(struct lk_app *app, const char *user_id, const struct enrol *e, int64_t step, int64_t t)
{
	int64_t changes = 0, offset = step - t;
	int rc;

	struct lk_val p[] = {LK_TEXT(user_id), LK_INT(step), LK_INT(offset),
	                     LK_INT(next_drift(e, offset))};
	rc = lk_db_exec(app->store,
	                "UPDATE totp SET last_step = ?2, last_offset = ?3, drift = ?4 "
	                "WHERE user_id = ?1 AND last_step < ?2",
	                p, 4, NULL, NULL, &changes);
	if (rc != LK_OK) {
		return rc;
	}
	return changes == 1 ? LK_OK : LK_E_VERIFY;
}

int
lk_totp2fa_check(struct lk_app *app, const char *user_id, const json_t *code, int64_t now)
{
	char digits[LK_TOTP_CODE_SIZE];
	struct enrol e;
	int64_t step = -1, t = 0;
	int rc;

	if ((rc = enrol_load(app, user_id, 0, &e)) != LK_OK) {
		return rc == LK_E_NOTFOUND ? LK_E_NOTFOUND : LK_E_STORAGE;
	}
	if (code_from_json(code, e.digits, digits) != LK_OK) {
		rc = LK_E_VERIFY;
		goto out;
	}
	rc = window_match(&e, (unsigned)app->cfg.totp_skew, now / 1000, digits, &step, &t);
	if (rc == LK_OK) {
		rc = spend_step(app, user_id, &e, step, t);
	} else if (rc == LK_E_REPLAY) {
		rc = LK_E_VERIFY;
	}
out:
	sodium_memzero(digits, sizeof(digits));
	enrol_wipe(&e);
	return rc;
}

/* ---- set-up and enabling ---- */

struct params {
	enum lk_totp_alg alg;
	unsigned digits, period;
};

static int
configured(const struct lk_app *app, struct params *p)
{
	p->digits = (unsigned)app->cfg.totp_digits;
	p->period = (unsigned)app->cfg.totp_period;
	return lk_totp_alg_parse(app->cfg.totp_algorithm, &p->alg) == LK_OK ? LK_OK : LK_E_INVAL;
}

/* Seals key for user_id and stores it as the unconfirmed set-up, replacing any. */
static int
store_setup(struct lk_app *app, const char *user_id, const unsigned char *key,
            const struct params *pa, int64_t now)
{
	unsigned char sealed[SEALED_SIZE];
	size_t sealed_len = 0;
	int rc;

	rc = lk_secretbox_seal(app->key, key, LK_TOTP_SECRET_BYTES, (const unsigned char *)user_id,
	                       strlen(user_id), sealed, sizeof(sealed), &sealed_len);
	if (rc != LK_OK) {
		return LK_E_CRYPTO;
	}
	struct lk_val p[] = {LK_TEXT(user_id),   LK_BLOB(sealed, sealed_len), LK_INT(pa->alg),
	                     LK_INT(pa->digits), LK_INT(pa->period),          LK_INT(now)};
	return lk_db_exec(app->store,
	                  "INSERT INTO totp_setup (user_id, secret_sealed, alg, digits, period_s, "
	                  "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id) DO "
	                  "UPDATE SET secret_sealed = excluded.secret_sealed, alg = excluded.alg, "
	                  "digits = excluded.digits, period_s = excluded.period_s, "
	                  "created_at = excluded.created_at",
	                  p, 6, NULL, NULL, NULL);
}

/* The otpauth URI and its QR code for a base32 secret. */
static int
uri_and_qr(struct lk_app *app, const struct lk_user *u, const char *b32, const struct params *pa,
           char **uri, char **svg, size_t *svg_len)
{
	int rc = lk_totp_uri(app->cfg.issuer, u->email, b32, pa->alg, pa->digits, pa->period, uri);

	if (rc != LK_OK) {
		return rc;
	}
	return lk_qr_svg(*uri, svg, svg_len);
}

int
lk_totp2fa_setup(struct lk_app *app, const struct lk_user *u, int64_t now,
                 struct lk_totp_setup *out)
{
	unsigned char key[LK_TOTP_SECRET_BYTES];
	struct params pa;
	int enabled = 0, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = lk_totp2fa_enabled(app, u->id, &enabled)) != LK_OK) {
		return rc;
	}
	if (enabled) {
		return LK_E_EXISTS;
	}
	if ((rc = configured(app, &pa)) != LK_OK) {
		return rc;
	}
	if ((rc = lk_totp_secret_new(key, out->secret)) != LK_OK) {
		goto out;
	}
	if ((rc = store_setup(app, u->id, key, &pa, now)) != LK_OK) {
		goto out;
	}
	rc = uri_and_qr(app, u, out->secret, &pa, &out->uri, &out->svg, NULL);
out:
	sodium_memzero(key, sizeof(key));
	if (rc != LK_OK) {
		lk_totp2fa_setup_clear(out);
	}
	return rc;
}

int
lk_totp2fa_qr(struct lk_app *app, const struct lk_user *u, char **svg, size_t *len)
{
	char b32[LK_TOTP_SECRET_B32 + 1], *uri = NULL;
	struct enrol e;
	struct params pa;
	int enabled = 0, rc;

	*svg = NULL;
	if ((rc = lk_totp2fa_enabled(app, u->id, &enabled)) != LK_OK) {
		return rc;
	}
	if (enabled) {
		return LK_E_NOTFOUND; /* API-NOTES 77 */
	}
	if ((rc = enrol_load(app, u->id, 1, &e)) != LK_OK) {
		return rc == LK_E_NOTFOUND ? rc : LK_E_STORAGE;
	}
	pa = (struct params){e.alg, e.digits, e.period};
	rc = lk_base32_encode(e.key, e.key_len, b32, sizeof(b32));
	if (rc == LK_OK) {
		rc = uri_and_qr(app, u, b32, &pa, &uri, svg, len);
	}
	if (uri) {
		sodium_memzero(uri, strlen(uri));
		free(uri);
	}
	sodium_memzero(b32, sizeof(b32));
	enrol_wipe(&e);
	return rc;
}

/* Turns the verified set-up (still holding sealed) into the enrolment with the recovery
 * codes, atomically. LK_E_EXISTS, LK_E_NOTFOUND (the set-up changed meanwhile). */
static int
commit_enable(struct lk_app *app, const char *user_id, const struct enrol *e, int64_t step,
              int64_t t, int64_t now, lk_recovery_set codes)
{
	int64_t changes = 0;
	int rc;

	struct lk_val p[] = {LK_TEXT(user_id), LK_INT(step), LK_INT(step - t), LK_INT(now),
	                     LK_BLOB(e->sealed, e->sealed_len)};
	struct lk_val q[] = {LK_TEXT(user_id)};
	if ((rc = lk_db_begin(app->store)) != LK_OK) {
		return rc;
	}
	rc = lk_db_exec(
	    app->store,
	    "INSERT INTO totp (user_id, secret_sealed, alg, digits, period_s, last_step, "
	    "last_offset, drift, created_at) SELECT user_id, secret_sealed, alg, "
	    "digits, period_s, ?2, ?3, 0, ?4 FROM totp_setup WHERE user_id = ?1 AND "
	    "secret_sealed = ?5",
	    p, 5, NULL, NULL, &changes);
	if (rc == LK_OK && changes != 1) {
		rc = LK_E_NOTFOUND;
	}
	if (rc == LK_OK) {
		rc = lk_db_exec(app->store, "DELETE FROM totp_setup WHERE user_id = ?1", q, 1, NULL,
		                NULL, NULL);
	}
	if (rc == LK_OK) {
		rc = lk_recovery_codes_replace(app, user_id, now, codes);
	}
	if (rc != LK_OK) {
		lk_db_rollback(app->store);
		return rc;
	}
	return lk_db_commit(app->store);
}

int
lk_totp2fa_enable(struct lk_app *app, const struct lk_user *u, const json_t *code,
                  const struct lk_client *cl, int64_t now, lk_recovery_set codes)
{
	char digits[LK_TOTP_CODE_SIZE] = "";
	struct enrol e;
	int64_t step = -1, t = 0;
	int enabled = 0, rc;

	if ((rc = lk_totp2fa_enabled(app, u->id, &enabled)) != LK_OK) {
		return rc;
	}
	if (enabled) {
		return LK_E_EXISTS; /* API-NOTES 78: 409 first */
	}
	if ((rc = enrol_load(app, u->id, 1, &e)) != LK_OK) {
		return rc == LK_E_NOTFOUND ? rc : LK_E_STORAGE;
	}
	rc = code_from_json(code, e.digits, digits);
	if (rc == LK_OK) {
		rc = window_match(&e, (unsigned)app->cfg.totp_skew, now / 1000, digits, &step, &t);
	}
	if (rc == LK_OK) {
		rc = commit_enable(app, u->id, &e, step, t, now, codes);
	} else if (rc == LK_E_REPLAY || rc == LK_E_MALFORMED) {
		rc = LK_E_VERIFY;
	}
	if (rc == LK_OK) {
		lk_event_add(app, u->id, "totp.enabled", cl->ip, cl->ua, now,
		             json_pack("{s:s, s:i, s:i}", "algorithm", lk_totp_alg_name(e.alg),
		                       "digits", (int)e.digits, "period", (int)e.period));
		lk_notify(app, u, "totp-enabled",
		          "Two-step verification with an authenticator app was turned on.", cl->ip,
		          cl->ua, now);
	}
	sodium_memzero(digits, sizeof(digits));
	enrol_wipe(&e);
	return rc;
}

/* ---- disabling, recovery codes, removal ---- */

int
lk_totp2fa_remove(struct lk_app *app, const char *user_id)
{
	static const char *const wipe[] = {
	    "DELETE FROM totp WHERE user_id = ?1",
	    "DELETE FROM totp_setup WHERE user_id = ?1",
	    "DELETE FROM recovery_codes WHERE user_id = ?1",
	};
	int rc = LK_OK;

	struct lk_val p[] = {LK_TEXT(user_id)};
	for (size_t i = 0; i < sizeof(wipe) / sizeof(wipe[0]) && rc == LK_OK; i++) {
		rc = lk_db_exec(app->store, wipe[i], p, 1, NULL, NULL, NULL);
	}
	return rc;
}

static int
remove_atomically(struct lk_app *app, const char *user_id)
{
	int rc;

	if ((rc = lk_db_begin(app->store)) != LK_OK) {
		return rc;
	}
	if ((rc = lk_totp2fa_remove(app, user_id)) != LK_OK) {
		lk_db_rollback(app->store);
		return rc;
	}
	return lk_db_commit(app->store);
}

/* Proves the code or recovery code of a disable request. LK_OK, LK_E_VERIFY, other. */
static int
prove_for_disable(struct lk_app *app, const char *user_id, const char *field, const json_t *v,
                  int64_t now)
{
	if (strcmp(field, "recoveryCode") == 0) {
		return lk_recovery_codes_consume(app, user_id, json_string_value(v),
		                                 json_string_length(v), now);
	}
	return lk_totp2fa_check(app, user_id, v, now);
}

int
lk_totp2fa_disable(struct lk_app *app, const struct lk_user *u, const char *field,
                   const json_t *value, const struct lk_client *cl, int64_t now,
                   int64_t *retry_after)
{
	const char *with = strcmp(field, "recoveryCode") == 0 ? "recovery_code" : "totp";
	char bucket[64];
	int enabled = 0, rc;
	int64_t slot = 0;

	*retry_after = 0;
	if ((rc = lk_totp2fa_enabled(app, u->id, &enabled)) != LK_OK) {
		return rc;
	}
	if (!enabled) {
		return LK_E_NOTFOUND;
	}
	/* API-NOTES 52: a wrong code here spends the account's reauth budget */
	snprintf(bucket, sizeof(bucket), "reauth:%s", u->id);
	if (lk_rate_take(app, bucket, app->cfg.rate_2fa_account, LK_RATE_15MIN_MS, now, &slot,
	                 retry_after) == LK_E_LOCKED) {
		return LK_E_LOCKED;
	}
	rc = prove_for_disable(app, u->id, field, value, now);
	if (rc == LK_E_VERIFY) {
		lk_event_add(app, u->id, "reauth.failure", cl->ip, cl->ua, now,
		             json_pack("{s:s, s:s}", "method", with, "action", "totp.disable"));
		return rc;
	}
	if (rc == LK_OK) {
		lk_rate_release(app, slot);
		rc = remove_atomically(app, u->id);
	}
	if (rc != LK_OK) {
		return rc == LK_E_NOTFOUND ? rc : LK_E_STORAGE;
	}
	lk_event_add(app, u->id, "totp.disabled", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "with", with));
	lk_notify_ex(
	    app, u, "totp-disabled", "Two-step verification was turned off.",
	    "The authenticator app and the recovery codes no longer work for this account.", cl->ip,
	    cl->ua, now);
	return LK_OK;
}

static int
replace_if_enabled(struct lk_app *app, const char *user_id, int64_t now, lk_recovery_set codes)
{
	int64_t enabled = 0;
	int rc;

	if ((rc = lk_db_begin(app->store)) != LK_OK) {
		return rc;
	}
	/* Writes the TOTP row first: it tells whether TOTP is on and queues concurrent
	 * regenerations behind this one (on PostgreSQL a plain read would not, and two could
	 * each delete the old set and insert their own: 20 live codes). */
	struct lk_val p[] = {LK_TEXT(user_id)};
	rc = lk_db_exec(app->store, "UPDATE totp SET last_step = last_step WHERE user_id = ?1", p,
	                1, NULL, NULL, &enabled);
	if (rc == LK_OK && enabled != 1) {
		rc = LK_E_NOTFOUND;
	}
	if (rc == LK_OK) {
		rc = lk_recovery_codes_replace(app, user_id, now, codes);
	}
	if (rc != LK_OK) {
		lk_db_rollback(app->store);
		return rc;
	}
	return lk_db_commit(app->store);
}

int
lk_totp2fa_regenerate_codes(struct lk_app *app, const struct lk_user *u, const struct lk_client *cl,
                            int64_t now, lk_recovery_set codes)
{
	char left[80];
	int rc = replace_if_enabled(app, u->id, now, codes);

	if (rc != LK_OK) {
		return rc;
	}
	lk_event_add(app, u->id, "recovery_codes.regenerated", cl->ip, cl->ua, now, NULL);
	snprintf(left, sizeof(left), "The older codes no longer work; %d recovery codes are left.",
	         LK_RECOVERY_CODES);
	lk_notify_ex(app, u, "recovery-codes-regenerated", "New recovery codes were made.", left,
	             cl->ip, cl->ua, now);
	return LK_OK;
}

int
lk_totp2fa_methods(struct lk_app *app, const char *user_id, int *required, char *methods,
                   size_t cap)
{
	int64_t codes = 0, passkeys = 0;
	int rc;

	*required = 0;
	snprintf(methods, cap, "%s", "");
	if ((rc = lk_totp2fa_enabled(app, user_id, required)) != LK_OK || !*required) {
		return rc;
	}
	if ((rc = lk_recovery_codes_remaining(app, user_id, &codes)) != LK_OK ||
	    (rc = lk_factors_passkey_count(app, user_id, &passkeys)) != LK_OK) {
		return rc;
	}
	/* API-NOTES 36: totp, then recovery_code while codes remain, then passkey */
	snprintf(methods, cap, "totp%s%s", codes > 0 ? ",recovery_code" : "",
	         passkeys > 0 ? ",passkey" : "");
	return LK_OK;
}

/* ---- the second step of a sign-in ---- */

struct step_ctx {
	struct lk_app *app;
	struct lk_session *s;
	const struct lk_client *cl;
	int64_t now;
	const char *method; /* events: totp, recovery_code, passkey */
	enum lk_login_method metric;
	char amr[16];
	char bucket[64];
	int64_t slot; /* lk_rate_take's slot in bucket: kept by a failure, released by a success */
};

static enum lk_outcome
step_failure(struct step_ctx *x, struct lk_2fa_result *out)
{
	int limit = x->app->cfg.rate_2fa_session < 1 ? 1 : x->app->cfg.rate_2fa_session;

	if (lk_session_count_failure(x->app, x->s->id, &out->failures) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	if (out->failures >= limit) {
		/* API-NOTES 41: the limit-th failure ends the pending session */
		lk_session_delete(x->app, x->s->id);
		out->session_destroyed = 1;
		/* Someone holds the password: tell the owner (SECURITY-PROBES P-035). */
		struct lk_user u;
		if (lk_user_by_id(x->app, x->s->user_id, &u) == LK_OK) {
			lk_notify(x->app, &u, "2fa-failures",
			          "Someone signed in with your password but failed the second step "
			          "several times. If this was not you, change your password.",
			          x->cl->ip, x->cl->ua, x->now);
		}
	}
	lk_event_add(x->app, x->s->user_id, "2fa.failure", x->cl->ip, x->cl->ua, x->now,
	             json_pack("{s:s, s:I, s:b}", "method", x->method, "failures",
	                       (json_int_t)out->failures, "sessionDestroyed",
	                       out->session_destroyed));
	lk_metrics_login(&x->app->metrics, x->metric, LK_LO_FAILURE);
	return LK_BAD_CREDENTIALS;
}

/* Spends the recovery code and counts the ones left (inside the sign-in's transaction). */
static int
use_recovery_code(struct step_ctx *x, const json_t *v, struct lk_2fa_result *out)
{
	int rc = lk_recovery_codes_consume(x->app, x->s->user_id, json_string_value(v),
	                                   json_string_length(v), x->now);

	if (rc != LK_OK) {
		return rc;
	}
	return lk_recovery_codes_remaining(x->app, x->s->user_id, &out->recovery_remaining);
}

/* After the commit: the event and the email of a spent recovery code. */
static void
recovery_code_used(struct step_ctx *x, struct lk_2fa_result *out)
{
	char left[80];

	lk_event_add(x->app, x->s->user_id, "recovery_code.used", x->cl->ip, x->cl->ua, x->now,
	             json_pack("{s:I}", "remaining", (json_int_t)out->recovery_remaining));
	snprintf(left, sizeof(left), "%lld recovery code%s left.",
	         (long long)out->recovery_remaining,
	         out->recovery_remaining == 1 ? " is" : "s are");
	lk_notify_ex(x->app, &out->user, "recovery-code-used",
	             "A recovery code was used to sign in to your account.", left, x->cl->ip,
	             x->cl->ua, x->now);
}

/* Checks the factor. LK_OK (x->amr set), LK_E_VERIFY, or a storage failure. */
static int
prove_factor(struct step_ctx *x, const char *field, const json_t *v, struct lk_2fa_result *out)
{
	int rc;

	if (strcmp(field, "code") == 0) {
		rc = lk_totp2fa_check(x->app, x->s->user_id, v, x->now);
		snprintf(x->amr, sizeof(x->amr), "otp");
		return rc == LK_E_NOTFOUND ? LK_E_VERIFY : rc;
	}
	if (strcmp(field, "recoveryCode") == 0) {
		snprintf(x->amr, sizeof(x->amr), "recovery_code");
		return use_recovery_code(x, v, out);
	}
	rc = lk_factors_passkey_2fa(x->app, x->s, v, x->now, x->amr, out->check, out->message);
	return rc == LK_OK || rc == LK_E_STORAGE ? rc : LK_E_VERIFY;
}

static const char *
first_factor(const char *amr)
{
	return lk_amr_has(amr, "email_link") ? "magic_link" : "password";
}

/* The factor is proved and the session promoted (committed): events, notices, metrics. */
static enum lk_outcome
step_success(struct step_ctx *x, struct lk_2fa_result *out)
{
	out->expires_at = x->s->expires_at;
	if (strcmp(x->method, "recovery_code") == 0) {
		recovery_code_used(x, out);
	}
	lk_event_add(x->app, x->s->user_id, "2fa.success", x->cl->ip, x->cl->ua, x->now,
	             json_pack("{s:s}", "method", x->method));
	lk_event_add(
	    x->app, x->s->user_id, "login.success", x->cl->ip, x->cl->ua, x->now,
	    json_pack("{s:s, s:s}", "method", first_factor(x->s->amr), "secondFactor", x->method));
	/* a completed sign-in: cancels a waiting recovery (API-NOTES 119), lifts a lockdown
	 * (a second factor was proved), and may be a new device */
	lk_recovery_cancel_on_signin(x->app, x->s->user_id, x->now);
	lk_lockdown_clear(x->app, x->s->user_id);
	lk_notify_signin(x->app, &out->user, x->cl->ip, x->cl->ua, x->now);
	lk_metrics_login(&x->app->metrics, x->metric, LK_LO_SUCCESS);
	return LK_DONE;
}

static void
step_method(struct step_ctx *x, const char *field)
{
	if (strcmp(field, "code") == 0) {
		x->method = "totp";
		x->metric = LK_LM_TOTP;
	} else if (strcmp(field, "recoveryCode") == 0) {
		x->method = "recovery_code";
		x->metric = LK_LM_RECOVERY_CODE;
	} else {
		x->method = "passkey";
		x->metric = LK_LM_PASSKEY_2FA;
	}
}

enum lk_outcome
lk_totp2fa_login(struct lk_app *app, struct lk_session *s, const char *field, const json_t *value,
                 const struct lk_client *cl, int64_t now, struct lk_2fa_result *out)
{
	struct step_ctx x = {.app = app, .s = s, .cl = cl, .now = now};
	struct lk_session before = *s;
	int rc, tx;

	memset(out, 0, sizeof(*out));
	out->recovery_remaining = -1;
	step_method(&x, field);
	snprintf(x.bucket, sizeof(x.bucket), "2fa:%s", s->user_id);
	/* the check counts the attempt at once (parallel codes cannot all pass it) */
	if (lk_rate_take(app, x.bucket, app->cfg.rate_2fa_account, LK_RATE_15MIN_MS, now, &x.slot,
	                 &out->retry_after) == LK_E_LOCKED) {
		lk_metrics_login(&app->metrics, x.metric, LK_LO_RATE_LIMITED);
		return LK_LIMITED;
	}
	if (lk_user_by_id(app, s->user_id, &out->user) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	/* SECURITY-PROBES P-050: a TOTP step or a recovery code is spent and the session
	 * promoted in one transaction, so a failure between them neither burns the code nor
	 * leaves the session pending after its factor was used. (The passkey step spends its
	 * challenge on its own: a lost challenge costs only a new options request.) */
	tx = strcmp(field, "code") == 0 || strcmp(field, "recoveryCode") == 0;
	if (tx && lk_db_begin(app->store) != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	rc = prove_factor(&x, field, value, out);
	if (rc == LK_OK) {
		/* LK_E_NOTFOUND: a concurrent request completed this sign-in */
		rc = lk_session_promote(app, s, x.amr, now, out->token);
	}
	if (tx && rc == LK_OK && lk_db_commit(app->store) != LK_OK) {
		rc = LK_E_STORAGE; /* a failed commit has rolled back */
	} else if (tx && rc != LK_OK) {
		lk_db_rollback(app->store);
	}
	if (rc != LK_OK) {
		*s = before; /* nothing was promoted */
		sodium_memzero(out->token, sizeof(out->token));
		out->recovery_remaining = -1;
	}
	if (rc == LK_E_VERIFY) {
		return step_failure(&x, out);
	}
	if (rc == LK_E_NOTFOUND) {
		return LK_BAD_CREDENTIALS;
	}
	if (rc != LK_OK) {
		return LK_FAILED_INTERNAL;
	}
	lk_rate_release(app, x.slot);
	return step_success(&x, out);
}
