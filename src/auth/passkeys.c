/* passkeys.c: the passkey flows of API.md "Passkeys" over core/webauthn (see passkeys.h).
 * Trust boundary: responses, names, emails and credential ids come from clients; the
 * stored credential records, user handles and challenges are ours. Small adapters here
 * read two things the verifier does not hand back: the challenge member of a response's
 * clientDataJSON (to find the stored challenge, which is kept only as a hash; the verifier
 * then compares it again) and the sign counter of an assertion it refused as a counter
 * regression (for the event's receivedCount). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account_recovery.h"
#include "auth/challenges.h"
#include "auth/events.h"
#include "auth/jsonutil.h"
#include "auth/lockdown.h"
#include "auth/notify.h"
#include "auth/passkeys.h"
#include "auth/ratelimit.h"
#include "core/b64url.h"
#include "core/email.h"
#include "core/limits.h"
#include "core/rc.h"
#include "core/secretbox.h"
#include "core/utf8.h"
#include "embedded.h"
#include "store/store.h"

#define HANDLE_BYTES  32
#define CRED_ID_B64   1400 /* > lk_b64url_encoded_len(LK_MAX_CREDENTIAL_ID) + 1 */
#define DEFAULT_NAME  "Passkey"
#define NAME_CAP      (4 * LK_MAX_PASSKEY_NAME_CP + 1)
#define FAKE_MAX      3
#define FAKE_ID_MIN   16
#define FAKE_ID_MAX   64
#define CHALLENGE_CAP 128 /* a client's challenge string longer than this is not ours */

#define PASSKEY_COLS                                                                               \
	"id, name, created_at, last_used_at, backup_eligible, backed_up, transports, aaguid"

/* The COSE algorithms offered at registration, in order of preference (API-NOTES 98). */
static const int offered_algs[] = {LK_WA_ALG_EDDSA, LK_WA_ALG_ES256, LK_WA_ALG_RS256,
                                   LK_WA_ALG_ES384, LK_WA_ALG_ES512, LK_WA_ALG_PS256};

/* Transport lists a fake allowCredentials entry may carry (as browsers report them). */
static const char *const fake_transports[][2] = {
    {"internal", NULL}, {"hybrid", "internal"}, {"usb", NULL}, {"nfc", "usb"}, {"internal", NULL},
};

static void
wa_config(const struct lk_app *app, int64_t now, int registration, const char *origins[1],
          struct lk_wa_config *c)
{
	memset(c, 0, sizeof(*c));
	origins[0] = app->cfg.origin;
	c->rp_id = app->cfg.rp_id;
	c->origins = origins;
	c->n_origins = 1;
	c->top_origins = (const char *const *)app->cfg.top_origins;
	c->n_top_origins = (size_t)app->cfg.n_top_origins;
	c->algs = registration ? offered_algs : NULL;
	c->n_algs = registration ? sizeof(offered_algs) / sizeof(offered_algs[0]) : 0;
	c->now_ms = now;
	c->anchors_pem = (const char *const *)app->cfg.anchors_pem;
	c->n_anchors = (size_t)app->cfg.n_anchors;
}

static int
fail(struct lk_wa_error *err, const char *check, const char *detail)
{
	err->check = check;
	snprintf(err->message, sizeof(err->message), "%s: %s", check, detail);
	return LK_E_VERIFY;
}

/* What the verifier's result means for the caller: a refusal is LK_E_VERIFY with err
 * filled; resource failures pass through. */
static int
verifier_rc(int rc)
{
	if (rc == LK_OK || rc == LK_E_NOMEM || rc == LK_E_CRYPTO || rc == LK_E_INVAL) {
		return rc;
	}
	return LK_E_VERIFY;
}

/* ---- adapters over the response JSON (untrusted) ---- */

/* Copies the challenge member of response.response.clientDataJSON into out. The verifier
 * checks clientDataJSON in full afterwards; this only finds the stored challenge. */
static int
client_challenge(const json_t *response, char *out, size_t cap, struct lk_wa_error *err)
{
	json_t *cd = json_object_get(json_object_get(response, "response"), "clientDataJSON");
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	json_t *obj = NULL, *ch;
	int rc;

	if (!json_is_string(cd) || json_string_length(cd) > lk_b64url_encoded_len(LK_MAX_BODY) ||
	    lk_b64url_decode_alloc(json_string_value(cd), json_string_length(cd), &raw, &raw_len) !=
	        LK_OK) {
		rc = fail(err, "clientDataJSON", "not base64url");
		goto out;
	}
	obj = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
	ch = json_object_get(obj, "challenge");
	if (!json_is_object(obj)) {
		rc = fail(err, "clientDataJSON", "not a JSON object (duplicate keys are refused)");
		goto out;
	}
	if (!json_is_string(ch) || json_string_length(ch) >= cap ||
	    strlen(json_string_value(ch)) != json_string_length(ch)) {
		rc = fail(err, "challenge", "missing or malformed");
		goto out;
	}
	memcpy(out, json_string_value(ch), json_string_length(ch) + 1);
	rc = LK_OK;
out:
	json_decref(obj);
	free(raw);
	return rc;
}

/* The signCount of response.response.authenticatorData (bytes 33..36), or -1. */
static int64_t
assertion_count(const json_t *response)
{
	json_t *ad = json_object_get(json_object_get(response, "response"), "authenticatorData");
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	int64_t n = -1;

	if (json_is_string(ad) &&
	    lk_b64url_decode_alloc(json_string_value(ad), json_string_length(ad), &raw, &raw_len) ==
	        LK_OK &&
	    raw_len >= 37) {
		n = ((int64_t)raw[33] << 24) | ((int64_t)raw[34] << 16) | ((int64_t)raw[35] << 8) |
		    (int64_t)raw[36];
	}
	free(raw);
	return n;
}

/* ---- names ---- */

static int
ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int
lk_passkey_name_check(const char *name, size_t name_len, char *out, size_t cap)
{
	size_t start = 0, end = name_len, pos, count = 0;
	uint32_t cp;

	while (start < end && ascii_space((unsigned char)name[start])) {
		start++;
	}
	while (end > start && ascii_space((unsigned char)name[end - 1])) {
		end--;
	}
	if (end == start || end - start >= cap) {
		return LK_E_INVAL;
	}
	for (pos = start; pos < end; count++) {
		if (lk_utf8_next(name, end, &pos, &cp) != LK_OK || cp < 0x20 ||
		    (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
			return LK_E_INVAL;
		}
	}
	if (count > LK_MAX_PASSKEY_NAME_CP) {
		return LK_E_INVAL;
	}
	memcpy(out, name + start, end - start);
	out[end - start] = '\0';
	return LK_OK;
}

/* The name data/aaguids.json gives aaguid (lower-case UUID), else "Passkey". */
static void
default_name(const char *aaguid, char *out, size_t cap)
{
	const struct lk_embedded *e = lk_embedded_find("data/aaguids.json");
	json_t *table = e ? json_loadb((const char *)e->data, e->len, 0, NULL) : NULL;
	json_t *v = json_object_get(table, aaguid);
	char tmp[NAME_CAP];

	if (json_is_string(v) && lk_passkey_name_check(json_string_value(v), json_string_length(v),
	                                               tmp, sizeof(tmp)) == LK_OK) {
		snprintf(out, cap, "%s", tmp);
	} else {
		snprintf(out, cap, "%s", DEFAULT_NAME);
	}
	json_decref(table);
}

/* ---- users ---- */

struct handle {
	unsigned char b[64];
	size_t len;
	char email[LK_MAX_EMAIL + 1];
	int found;
};

static int
handle_row(void *arg, const struct lk_val *c, int n)
{
	struct handle *h = arg;

	if (n >= 2) {
		h->found = 1;
		if (c[0].type == LK_V_BLOB && c[0].len > 0 && c[0].len <= sizeof(h->b)) {
			memcpy(h->b, c[0].p, c[0].len);
			h->len = c[0].len;
		}
		if (c[1].type == LK_V_TEXT) {
			snprintf(h->email, sizeof(h->email), "%.*s", (int)c[1].len,
			         (const char *)c[1].p);
		}
	}
	return 1;
}

/* The user's WebAuthn user handle (and email), made on first use when create is set
 * (API-NOTES 99: never changed afterwards). h->len is 0 when there is none. */
static int
user_handle(struct lk_app *app, const char *user_id, int create, struct handle *h)
{
	int rc;

	memset(h, 0, sizeof(*h));
	struct lk_val p[] = {LK_TEXT(user_id)};
	if ((rc = lk_db_exec(app->store, "SELECT webauthn_handle, email FROM users WHERE id = ?1",
	                     p, 1, handle_row, h, NULL)) != LK_OK) {
		return rc;
	}
	if (!h->found) {
		return LK_E_NOTFOUND;
	}
	if (h->len > 0 || !create) {
		return LK_OK;
	}
	unsigned char fresh[HANDLE_BYTES];
	randombytes_buf(fresh, sizeof(fresh));
	struct lk_val q[] = {LK_BLOB(fresh, sizeof(fresh)), LK_TEXT(user_id)};
	/* Two first registrations at once: the first UPDATE wins, both read its value. */
	if ((rc = lk_db_exec(app->store,
	                     "UPDATE users SET webauthn_handle = ?1 WHERE id = ?2 AND "
	                     "webauthn_handle IS NULL",
	                     q, 2, NULL, NULL, NULL)) != LK_OK) {
		return rc;
	}
	memset(h, 0, sizeof(*h));
	if ((rc = lk_db_exec(app->store, "SELECT webauthn_handle, email FROM users WHERE id = ?1",
	                     p, 1, handle_row, h, NULL)) != LK_OK) {
		return rc;
	}
	return h->found && h->len > 0 ? LK_OK : LK_E_STORAGE;
}

/* ---- passkey objects ---- */

static json_t *
transports_json(const struct lk_val *v)
{
	json_t *t = NULL;

	if (v->type == LK_V_TEXT) {
		t = json_loadb((const char *)v->p, v->len, 0, NULL);
	}
	if (!json_is_array(t)) {
		json_decref(t);
		t = json_array();
	}
	return t;
}

/* One API passkey object from the PASSKEY_COLS of a row. */
static json_t *
passkey_json(const struct lk_val *c)
{
	return json_pack(
	    "{s:s%, s:s%, s:o, s:o, s:b, s:b, s:o, s:s%}", "id", (const char *)c[0].p, c[0].len,
	    "name", (const char *)c[1].p, c[1].len, "createdAt", lk_json_time(c[2].i), "lastUsedAt",
	    c[3].type == LK_V_INT ? lk_json_time(c[3].i) : json_null(), "backupEligible",
	    (int)(c[4].i != 0), "backedUp", (int)(c[5].i != 0), "transports",
	    transports_json(&c[6]), "aaguid", (const char *)c[7].p, c[7].len);
}

static int
list_row(void *arg, const struct lk_val *c, int n)
{
	json_t *list = arg, *o;

	if (n < 8 || c[0].type != LK_V_TEXT || c[1].type != LK_V_TEXT || c[7].type != LK_V_TEXT) {
		return 0;
	}
	if ((o = passkey_json(c)) == NULL || json_array_append_new(list, o) != 0) {
		return 1;
	}
	return 0;
}

/* The user's passkey id as an object in *out; LK_E_NOTFOUND when not the user's. */
static int
passkey_get(struct lk_app *app, const char *user_id, const char *id, json_t **out)
{
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (list == NULL) {
		return LK_E_NOMEM;
	}
	struct lk_val p[] = {LK_TEXT(id), LK_TEXT(user_id)};
	rc = lk_db_exec(app->store,
	                "SELECT " PASSKEY_COLS " FROM passkeys WHERE id = ?1 AND user_id = ?2", p,
	                2, list_row, list, NULL);
	if (rc == LK_OK && json_array_size(list) == 0) {
		rc = LK_E_NOTFOUND;
	}
	if (rc == LK_OK) {
		*out = json_incref(json_array_get(list, 0));
	}
	json_decref(list);
	return rc;
}

int
lk_passkey_list(struct lk_app *app, const char *user_id, json_t **out)
{
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (list == NULL) {
		return LK_E_NOMEM;
	}
	struct lk_val p[] = {LK_TEXT(user_id)};
	rc = lk_db_exec(app->store,
	                "SELECT " PASSKEY_COLS
	                " FROM passkeys WHERE user_id = ?1 ORDER BY created_at, id",
	                p, 1, list_row, list, NULL);
	if (rc != LK_OK) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:o}", "passkeys", list);
	return *out ? LK_OK : LK_E_NOMEM;
}

int
lk_passkey_count(struct lk_app *app, const char *user_id, int64_t *n)
{
	struct lk_val p[] = {LK_TEXT(user_id)};

	return lk_db_int(app->store, "SELECT COUNT(*) FROM passkeys WHERE user_id = ?1", p, 1, n);
}

int
lk_passkey_remove_all(struct lk_app *app, const char *user_id)
{
	struct lk_val p[] = {LK_TEXT(user_id)};
	int rc;

	if ((rc = lk_db_exec(app->store, "DELETE FROM passkeys WHERE user_id = ?1", p, 1, NULL,
	                     NULL, NULL)) != LK_OK) {
		return rc;
	}
	return lk_challenge_drop_user(app, user_id);
}

/* {type, id, transports} descriptors of the user's passkeys (allow/excludeCredentials). */
static int
descriptor_row(void *arg, const struct lk_val *c, int n)
{
	json_t *list = arg, *o;

	if (n < 2 || c[0].type != LK_V_TEXT) {
		return 0;
	}
	o = json_pack("{s:s, s:s%, s:o}", "type", "public-key", "id", (const char *)c[0].p,
	              c[0].len, "transports", transports_json(&c[1]));
	if (o == NULL || json_array_append_new(list, o) != 0) {
		return 1;
	}
	return 0;
}

static int
descriptors(struct lk_app *app, const char *user_id, json_t **out)
{
	int rc;

	if ((*out = json_array()) == NULL) {
		return LK_E_NOMEM;
	}
	struct lk_val p[] = {LK_TEXT(user_id)};
	rc = lk_db_exec(app->store,
	                "SELECT id, transports FROM passkeys WHERE user_id = ?1 "
	                "ORDER BY created_at, id",
	                p, 1, descriptor_row, *out, NULL);
	if (rc != LK_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- notifications ---- */

static void
notify(struct lk_app *app, const char *user_id, const char *purpose, const char *what,
       const struct lk_client *cl, int64_t now)
{
	struct lk_user u;

	if (lk_user_by_id(app, user_id, &u) == LK_OK) {
		lk_notify(app, &u, purpose, what, cl->ip, cl->ua, now);
	}
}

/* ---- registration ---- */

int
lk_passkey_register_options(struct lk_app *app, const struct lk_session *s, int64_t now,
                            json_t **out)
{
	char challenge[LK_CHALLENGE_LEN + 1], handle_b64[128];
	json_t *exclude = NULL, *params = NULL;
	struct handle h;
	int rc;

	*out = NULL;
	if ((rc = user_handle(app, s->user_id, 1, &h)) != LK_OK ||
	    (rc = descriptors(app, s->user_id, &exclude)) != LK_OK ||
	    (rc = lk_challenge_issue(app, LK_CH_REGISTER, s->id, s->user_id, now, challenge)) !=
	        LK_OK ||
	    (rc = lk_b64url_encode(h.b, h.len, handle_b64, sizeof(handle_b64))) != LK_OK) {
		goto out;
	}
	rc = LK_E_NOMEM;
	if ((params = json_array()) == NULL) {
		goto out;
	}
	for (size_t i = 0; i < sizeof(offered_algs) / sizeof(offered_algs[0]); i++) {
		if (json_array_append_new(params, json_pack("{s:s, s:i}", "type", "public-key",
		                                            "alg", offered_algs[i])) != 0) {
			goto out;
		}
	}
	*out = json_pack("{s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:O, s:i, s:O, s:{s:s, s:s}, "
	                 "s:s}",
	                 "rp", "id", app->cfg.rp_id, "name", app->cfg.rp_name, "user", "id",
	                 handle_b64, "name", h.email, "displayName", h.email, "challenge",
	                 challenge, "pubKeyCredParams", params, "timeout", LK_CHALLENGE_TTL,
	                 "excludeCredentials", exclude, "authenticatorSelection", "residentKey",
	                 "preferred", "userVerification", "preferred", "attestation",
	                 app->cfg.attestation_direct ? "direct" : "none");
	rc = *out ? LK_OK : LK_E_NOMEM;
out:
	json_decref(params);
	json_decref(exclude);
	sodium_memzero(challenge, sizeof(challenge));
	return rc;
}

int
lk_passkey_register_verify(struct lk_app *app, const struct lk_session *s, const json_t *response,
                           const char *name, const struct lk_client *cl, int64_t now,
                           json_t **passkey, struct lk_wa_error *err)
{
	char challenge[CHALLENGE_CAP], bound[32], aaguid[37], pname[NAME_CAP], *id = NULL;
	char *transports = NULL;
	const char *origins[1];
	struct lk_wa_registration reg;
	struct lk_wa_config cfg;
	int rc;

	memset(&reg, 0, sizeof(reg));
	*passkey = NULL;
	err->check = "";
	err->message[0] = '\0';
	if ((rc = client_challenge(response, challenge, sizeof(challenge), err)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.1 step 8 (with 13.4.3): the challenge issued to this session
	 * for a registration, used once, whatever the outcome below */
	rc = lk_challenge_consume(app, LK_CH_REGISTER, challenge, s->id, now, bound);
	if (rc == LK_E_NOTFOUND || (rc == LK_OK && strcmp(bound, s->user_id) != 0)) {
		rc = fail(err, "challenge", "unknown, expired or already used");
		goto out;
	}
	if (rc != LK_OK) {
		goto out;
	}
	wa_config(app, now, 1, origins, &cfg);
	/* API-NOTES 98: UV is not required at registration; UP is */
	rc = lk_wa_verify_registration(&cfg, response, challenge, 0, 1, &reg, err);
	if ((rc = verifier_rc(rc)) != LK_OK) {
		goto out;
	}
	lk_wa_aaguid_str(reg.aaguid, aaguid);
	if (name) {
		snprintf(pname, sizeof(pname), "%s", name);
	} else {
		default_name(aaguid, pname, sizeof(pname));
	}
	rc = LK_E_NOMEM;
	if (lk_b64url_encode_alloc(reg.credential_id, reg.credential_id_len, &id) != LK_OK ||
	    (transports = json_dumps(reg.transports, JSON_COMPACT)) == NULL) {
		goto out;
	}
	struct lk_val p[] = {
	    LK_TEXT(id),     LK_TEXT(s->user_id),    LK_BLOB(reg.public_key, reg.public_key_len),
	    LK_INT(reg.alg), LK_INT(reg.sign_count), LK_TEXT(transports),
	    LK_TEXT(aaguid), LK_TEXT(reg.fmt),       LK_INT(reg.be),
	    LK_INT(reg.bs),  LK_TEXT(pname),         LK_INT(now)};
	/* SPEC webauthn-3 7.1 step 26: a credential id registered to any account is refused
	 * (the primary key decides, after verification: API-NOTES 109) */
	rc = lk_db_exec(app->store,
	                "INSERT INTO passkeys (id, user_id, public_key, alg, sign_count, "
	                "transports, aaguid, fmt, backup_eligible, backed_up, name, created_at) "
	                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	                p, 12, NULL, NULL, NULL);
	if (rc != LK_OK) {
		goto out;
	}
	lk_event_add(app, s->user_id, "passkey.added", cl->ip, cl->ua, now,
	             json_pack("{s:s, s:s}", "passkeyId", id, "name", pname));
	/* The event's detail is the contract's; what the attestation proved goes to the log. */
	fprintf(stderr, "passkey.attestation fmt=%s type=%s anchored=%d\n", reg.fmt,
	        reg.attestation ? reg.attestation : "none", reg.anchored);
	notify(app, s->user_id, "passkey-added", "A passkey was added to your account.", cl, now);
	rc = passkey_get(app, s->user_id, id, passkey);
out:
	lk_wa_registration_clear(&reg);
	free(transports);
	free(id);
	return rc;
}

/* ---- sign-in ---- */

static int
fake_list(struct lk_app *app, const char *email, json_t **out)
{
	unsigned char key[LK_KEY_BYTES], seed[crypto_auth_hmacsha512_BYTES];
	unsigned char id[crypto_auth_hmacsha512_BYTES];
	crypto_auth_hmacsha512_state st;
	char id_b64[128];
	int rc = LK_E_NOMEM;
	size_t n;

	*out = NULL;
	if (lk_key_derive(app->key, LK_KEY_FAKE_PASSKEYS, key) != LK_OK) {
		return LK_E_CRYPTO;
	}
	/* API-NOTES 102: stable for the server key and the normalised email */
	crypto_auth_hmacsha512_init(&st, key, sizeof(key));
	crypto_auth_hmacsha512_update(&st, (const unsigned char *)"shape", 6);
	crypto_auth_hmacsha512_update(&st, (const unsigned char *)email, strlen(email));
	crypto_auth_hmacsha512_final(&st, seed);
	if ((*out = json_array()) == NULL) {
		goto out;
	}
	n = 1 + seed[0] % FAKE_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char label[3] = {'i', 'd', (unsigned char)i};
		size_t len = FAKE_ID_MIN + seed[1 + i] % (FAKE_ID_MAX - FAKE_ID_MIN + 1);
		const char *const *t = fake_transports[seed[8 + i] % (sizeof(fake_transports) /
		                                                      sizeof(fake_transports[0]))];
		json_t *tr;

		crypto_auth_hmacsha512_init(&st, key, sizeof(key));
		crypto_auth_hmacsha512_update(&st, label, sizeof(label));
		crypto_auth_hmacsha512_update(&st, (const unsigned char *)email, strlen(email));
		crypto_auth_hmacsha512_final(&st, id);
		if (lk_b64url_encode(id, len, id_b64, sizeof(id_b64)) != LK_OK ||
		    (tr = t[1] ? json_pack("[s,s]", t[0], t[1]) : json_pack("[s]", t[0])) == NULL ||
		    json_array_append_new(*out, json_pack("{s:s, s:s, s:o}", "type", "public-key",
		                                          "id", id_b64, "transports", tr)) != 0) {
			goto out;
		}
	}
	rc = LK_OK;
out:
	if (rc != LK_OK) {
		json_decref(*out);
		*out = NULL;
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	return rc;
}

static json_t *
request_options(const struct lk_app *app, const char *challenge, json_t *allow, const char *uv)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:o}", "challenge", challenge, "rpId",
	                 app->cfg.rp_id, "timeout", LK_CHALLENGE_TTL, "userVerification", uv,
	                 "allowCredentials", allow);
}

int
lk_passkey_login_options(struct lk_app *app, const char *email, const struct lk_client *cl,
                         int64_t now, json_t **out, int64_t *retry_after)
{
	char bucket[128], norm[LK_MAX_EMAIL + 1], challenge[LK_CHALLENGE_LEN + 1];
	const char *bind = NULL;
	json_t *allow = NULL;
	struct lk_user u;
	size_t norm_len;
	int64_t n = 0, slot = 0;
	int rc;

	*out = NULL;
	*retry_after = 0;
	/* API-NOTES 132: every request counts against the address (checked and counted in one
	 * step, so parallel requests cannot pass the limit) */
	snprintf(bucket, sizeof(bucket), "passkey-options-ip:%s", cl->ip);
	if (lk_rate_take(app, bucket, app->cfg.rate_passkey_ip, LK_RATE_15MIN_MS, now, &slot,
	                 retry_after) == LK_E_LOCKED) {
		return LK_E_LOCKED;
	}
	if (email) {
		if (lk_email_normalize(email, strlen(email), norm, &norm_len) != LK_OK) {
			return LK_E_MALFORMED;
		}
		/* API-NOTES 101-102: the account's passkeys, else a stable fake list */
		rc = lk_user_by_email(app, norm, &u);
		if (rc == LK_OK && (rc = lk_passkey_count(app, u.id, &n)) != LK_OK) {
			return rc;
		}
		if (rc == LK_OK && n > 0) {
			if ((rc = descriptors(app, u.id, &allow)) != LK_OK) {
				return rc;
			}
			bind = u.id;
		} else if ((rc = fake_list(app, norm, &allow)) != LK_OK) {
			return rc;
		}
	} else if ((allow = json_array()) == NULL) {
		return LK_E_NOMEM;
	}
	/* API-NOTES 103: {} binds the challenge to no account (and no session) */
	if ((rc = lk_challenge_issue(app, LK_CH_LOGIN, NULL, bind, now, challenge)) != LK_OK) {
		json_decref(allow);
		return rc;
	}
	*out = request_options(app, challenge, allow, "required");
	return *out ? LK_OK : LK_E_NOMEM;
}

/* A stored credential record. */
struct cred {
	char id[CRED_ID_B64];
	char user_id[32];
	unsigned char *key;
	size_t key_len;
	int64_t sign_count;
	int be;
	char name[NAME_CAP];
	int found;
};

static int
cred_row(void *arg, const struct lk_val *c, int n)
{
	struct cred *r = arg;

	if (n < 6 || c[0].type != LK_V_TEXT || c[1].type != LK_V_TEXT || c[2].type != LK_V_BLOB ||
	    c[0].len >= sizeof(r->id) || (r->key = malloc(c[2].len ? c[2].len : 1)) == NULL) {
		return 1;
	}
	memcpy(r->id, c[0].p, c[0].len);
	r->id[c[0].len] = '\0';
	snprintf(r->user_id, sizeof(r->user_id), "%.*s", (int)c[1].len, (const char *)c[1].p);
	memcpy(r->key, c[2].p, c[2].len);
	r->key_len = c[2].len;
	r->sign_count = c[3].i;
	r->be = c[4].i != 0;
	snprintf(r->name, sizeof(r->name), "%.*s", (int)c[5].len, (const char *)c[5].p);
	r->found = 1;
	return 1;
}

/* Finds the credential record of the response's credential id. LK_E_VERIFY with err when
 * the id is malformed or unknown. */
static int
find_cred(struct lk_app *app, const json_t *response, struct cred *cr, struct lk_wa_error *err)
{
	uint8_t raw[LK_MAX_CREDENTIAL_ID], uh[64];
	size_t raw_len = 0, uh_len = 0;
	int rc;

	memset(cr, 0, sizeof(*cr));
	if ((rc = lk_wa_assertion_ids(response, raw, &raw_len, uh, &uh_len, err)) != LK_OK) {
		return verifier_rc(rc);
	}
	if (lk_b64url_encode(raw, raw_len, cr->id, sizeof(cr->id)) != LK_OK) {
		return fail(err, "credentialId", "too long");
	}
	struct lk_val p[] = {LK_TEXT(cr->id)};
	if ((rc = lk_db_exec(app->store,
	                     "SELECT id, user_id, public_key, sign_count, backup_eligible, name "
	                     "FROM passkeys WHERE id = ?1",
	                     p, 1, cred_row, cr, NULL)) != LK_OK) {
		return rc;
	}
	if (!cr->found) {
		free(cr->key);
		cr->key = NULL;
		return fail(err, "credentialId", "not a registered credential");
	}
	return LK_OK;
}

/* Verifies response as an assertion of cr (owned by the user with handle h) and, when it
 * passes, records the new counter, BS and last use. A counter regression records its
 * event. */
static int
assert_cred(struct lk_app *app, const json_t *response, const char *challenge,
            const struct cred *cr, const struct handle *h, int discoverable, int require_uv,
            const struct lk_client *cl, int64_t now, struct lk_wa_assertion *as,
            struct lk_wa_error *err)
{
	struct lk_wa_auth_params p;
	struct lk_wa_config cfg;
	const char *origins[1];
	int64_t changes = 0, received;
	int rc;

	if (h->len == 0) {
		return fail(err, "userHandle", "the owner has no user handle");
	}
	memset(&p, 0, sizeof(p));
	p.expected_challenge_b64u = challenge;
	p.cose_key = cr->key;
	p.cose_key_len = cr->key_len;
	p.stored_count = (uint32_t)cr->sign_count;
	p.stored_be = cr->be;
	/* SPEC webauthn-3 7.2 step 6: the owner's handle (API-NOTES 104) */
	p.user_handle = h->b;
	p.user_handle_len = h->len;
	p.discoverable = discoverable;
	p.require_uv = require_uv;
	wa_config(app, now, 0, origins, &cfg);
	rc = lk_wa_verify_assertion(&cfg, response, &p, as, err);
	if (rc == LK_E_REPLAY) {
		/* SPEC webauthn-3 7.2 step 23 and 6.1.1: a possible clone; API-NOTES 105 */
		received = assertion_count(response);
		lk_event_add(app, cr->user_id, "passkey.counter_regression", cl->ip, cl->ua, now,
		             json_pack("{s:s, s:I, s:I}", "passkeyId", cr->id, "storedCount",
		                       (json_int_t)cr->sign_count, "receivedCount",
		                       (json_int_t)received));
	}
	if ((rc = verifier_rc(rc)) != LK_OK) {
		return rc;
	}
	/* SPEC webauthn-3 7.2 step 25: store the new counter (a 0 keeps the stored one), BS
	 * and the time of use. The counter moves only forward, so two assertions racing
	 * with one counter value cannot both pass. */
	if (as->sign_count > 0) {
		struct lk_val q[] = {LK_INT(as->sign_count), LK_INT(as->bs), LK_INT(now),
		                     LK_TEXT(cr->id)};
		rc = lk_db_exec(app->store,
		                "UPDATE passkeys SET sign_count = ?1, backed_up = ?2, "
		                "last_used_at = ?3 WHERE id = ?4 AND sign_count < ?1",
		                q, 4, NULL, NULL, &changes);
	} else {
		struct lk_val q[] = {LK_INT(as->bs), LK_INT(now), LK_TEXT(cr->id)};
		rc = lk_db_exec(
		    app->store,
		    "UPDATE passkeys SET backed_up = ?1, last_used_at = ?2 WHERE id = ?3", q, 3,
		    NULL, NULL, &changes);
	}
	if (rc != LK_OK) {
		return rc;
	}
	if (changes == 0) {
		return fail(err, "signCount", "the credential changed meanwhile");
	}
	return LK_OK;
}

static void
login_failed(struct lk_app *app, const struct cred *cr, const struct lk_wa_error *err,
             const struct lk_client *cl, int64_t now)
{
	if (cr->found) {
		lk_event_add(app, cr->user_id, "login.failure", cl->ip, cl->ua, now,
		             json_pack("{s:s, s:s}", "method", "passkey", "check", err->check));
	}
	lk_metrics_login(&app->metrics, LK_LM_PASSKEY, LK_LO_FAILURE);
}

int
lk_passkey_login_verify(struct lk_app *app, const json_t *response, const struct lk_client *cl,
                        int64_t now, struct lk_signin *out, struct lk_wa_error *err)
{
	char bucket[128], challenge[CHALLENGE_CAP], bound[32];
	struct lk_wa_assertion as;
	struct cred cr;
	struct handle h;
	int64_t slot = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&cr, 0, sizeof(cr));
	err->check = "";
	err->message[0] = '\0';
	/* API-NOTES 132: failed verifications count against the address. A slot is taken up
	 * front (so parallel failures cannot pass the limit) and given back unless the
	 * verification failed. */
	snprintf(bucket, sizeof(bucket), "passkey-verify-ip:%s", cl->ip);
	if (lk_rate_take(app, bucket, app->cfg.rate_passkey_ip, LK_RATE_15MIN_MS, now, &slot,
	                 &out->retry_after) == LK_E_LOCKED) {
		lk_metrics_login(&app->metrics, LK_LM_PASSKEY, LK_LO_RATE_LIMITED);
		return LK_E_LOCKED;
	}
	if ((rc = client_challenge(response, challenge, sizeof(challenge), err)) != LK_OK) {
		goto fail;
	}
	/* SPEC webauthn-3 7.2 step 12: the login challenge, spent whatever follows */
	rc = lk_challenge_consume(app, LK_CH_LOGIN, challenge, NULL, now, bound);
	if (rc == LK_E_NOTFOUND) {
		rc = fail(err, "challenge", "unknown, expired or already used");
		goto fail;
	}
	if (rc != LK_OK || (rc = find_cred(app, response, &cr, err)) != LK_OK) {
		goto fail;
	}
	/* SPEC webauthn-3 7.2 step 5: options for an email allowed only its passkeys */
	if (bound[0] && strcmp(bound, cr.user_id) != 0) {
		rc = fail(err, "credentialId", "not an allowed credential");
		goto fail;
	}
	if ((rc = user_handle(app, cr.user_id, 0, &h)) != LK_OK) {
		goto fail;
	}
	/* API-NOTES 104: a discoverable login (no email) needs the userHandle; UV required */
	rc = assert_cred(app, response, challenge, &cr, &h, bound[0] == '\0', 1, cl, now, &as, err);
	if (rc != LK_OK) {
		goto fail;
	}
	if ((rc = lk_user_by_id(app, cr.user_id, &out->user)) != LK_OK) {
		goto out;
	}
	/* API-NOTES 112: a valid sign-in of a disabled account is refused */
	if (out->user.disabled) {
		lk_event_add(app, cr.user_id, "login.failure", cl->ip, cl->ua, now,
		             json_pack("{s:s, s:s}", "method", "passkey", "reason", "disabled"));
		lk_metrics_login(&app->metrics, LK_LM_PASSKEY, LK_LO_FAILURE);
		rc = LK_E_STATE;
		goto out;
	}
	/* API-NOTES 46, 48: a user-verified passkey is a complete sign-in, AAL 2 */
	if ((rc = lk_session_create(app, cr.user_id, 1, "passkey_uv", cl->ip, cl->ua, now,
	                            out->token, &out->session)) != LK_OK) {
		goto out;
	}
	/* API-NOTES 111, 119: a full sign-in; it ends a lockdown and a waiting recovery */
	lk_lockdown_clear(app, cr.user_id);
	lk_recovery_cancel_on_signin(app, cr.user_id, now);
	lk_event_add(app, cr.user_id, "login.success", cl->ip, cl->ua, now,
	             json_pack("{s:s}", "method", "passkey"));
	lk_notify_signin(app, &out->user, cl->ip, cl->ua, now);
	lk_metrics_login(&app->metrics, LK_LM_PASSKEY, LK_LO_SUCCESS);
	rc = LK_OK;
	goto out;
fail:
	if (rc == LK_E_VERIFY) {
		login_failed(app, &cr, err, cl, now);
		slot = 0; /* counted */
	}
out:
	lk_rate_release(app, slot);
	free(cr.key);
	return rc;
}

/* ---- second factor and re-authentication ---- */

static enum lk_challenge_purpose
step_purpose(enum lk_passkey_step step)
{
	return step == LK_PASSKEY_2FA ? LK_CH_SECOND_FACTOR : LK_CH_REAUTH;
}

int
lk_passkey_step_options(struct lk_app *app, enum lk_passkey_step step, const struct lk_session *s,
                        int64_t now, json_t **out)
{
	char challenge[LK_CHALLENGE_LEN + 1];
	json_t *allow = NULL;
	int rc;

	*out = NULL;
	/* API-NOTES 100: the user's passkeys, [] when none; UV preferred */
	if ((rc = descriptors(app, s->user_id, &allow)) != LK_OK) {
		return rc;
	}
	if ((rc = lk_challenge_issue(app, step_purpose(step), s->id, s->user_id, now, challenge)) !=
	    LK_OK) {
		json_decref(allow);
		return rc;
	}
	*out = request_options(app, challenge, allow, "preferred");
	return *out ? LK_OK : LK_E_NOMEM;
}

int
lk_passkey_verify_step(struct lk_app *app, enum lk_passkey_step step, const struct lk_session *s,
                       const json_t *response, const struct lk_client *cl, int64_t now,
                       const char **amr, struct lk_wa_error *err)
{
	char challenge[CHALLENGE_CAP], bound[32];
	struct lk_wa_assertion as;
	struct cred cr;
	struct handle h;
	int rc;

	memset(&cr, 0, sizeof(cr));
	*amr = NULL;
	err->check = "";
	err->message[0] = '\0';
	if ((rc = client_challenge(response, challenge, sizeof(challenge), err)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 12: the challenge issued to this session for this step */
	rc = lk_challenge_consume(app, step_purpose(step), challenge, s->id, now, bound);
	if (rc == LK_E_NOTFOUND || (rc == LK_OK && strcmp(bound, s->user_id) != 0)) {
		rc = fail(err, "challenge", "unknown, expired or already used");
		goto out;
	}
	if (rc != LK_OK || (rc = find_cred(app, response, &cr, err)) != LK_OK) {
		goto out;
	}
	/* SPEC webauthn-3 7.2 step 5-6: one of the signed-in user's own passkeys */
	if (strcmp(cr.user_id, s->user_id) != 0) {
		rc = fail(err, "credentialId", "not an allowed credential");
		goto out;
	}
	if ((rc = user_handle(app, cr.user_id, 0, &h)) != LK_OK) {
		goto out;
	}
	/* API-NOTES 100: UP required, UV not */
	if ((rc = assert_cred(app, response, challenge, &cr, &h, 0, 0, cl, now, &as, err)) !=
	    LK_OK) {
		goto out;
	}
	*amr = as.uv ? "passkey_uv" : "passkey";
	rc = LK_OK;
out:
	free(cr.key);
	return rc;
}

/* ---- management ---- */

int
lk_passkey_exists(struct lk_app *app, const char *user_id, const char *id)
{
	json_t *o;
	int rc = passkey_get(app, user_id, id, &o);

	json_decref(o);
	return rc;
}

int
lk_passkey_rename(struct lk_app *app, const char *user_id, const char *id, const char *name,
                  const struct lk_client *cl, int64_t now, json_t **passkey)
{
	int64_t changes = 0;
	int rc;

	*passkey = NULL;
	struct lk_val p[] = {LK_TEXT(name), LK_TEXT(id), LK_TEXT(user_id)};
	if ((rc = lk_db_exec(app->store,
	                     "UPDATE passkeys SET name = ?1 WHERE id = ?2 AND user_id = ?3", p, 3,
	                     NULL, NULL, &changes)) != LK_OK) {
		return rc;
	}
	if (changes == 0) {
		return LK_E_NOTFOUND;
	}
	lk_event_add(app, user_id, "passkey.renamed", cl->ip, cl->ua, now,
	             json_pack("{s:s, s:s}", "passkeyId", id, "name", name));
	return passkey_get(app, user_id, id, passkey);
}

struct del_state {
	char name[NAME_CAP];
	int found;
};

static int
del_row(void *arg, const struct lk_val *c, int n)
{
	struct del_state *d = arg;

	if (n >= 1 && c[0].type == LK_V_TEXT) {
		snprintf(d->name, sizeof(d->name), "%.*s", (int)c[0].len, (const char *)c[0].p);
		d->found = 1;
	}
	return 1;
}

int
lk_passkey_delete(struct lk_app *app, const char *user_id, const char *id,
                  const struct lk_client *cl, int64_t now)
{
	struct del_state d = {0};
	int64_t others = 0, has_password = 0;
	int rc;

	struct lk_val u[] = {LK_TEXT(user_id)};
	struct lk_val p[] = {LK_TEXT(id), LK_TEXT(user_id)};
	if ((rc = lk_db_begin(app->store)) != LK_OK) {
		return rc;
	}
	/* The user row is written first so that two deletions of one account run one after
	 * the other (postgres row lock; sqlite's write lock): the last way in stays. */
	if ((rc = lk_db_exec(app->store,
	                     "UPDATE users SET webauthn_handle = webauthn_handle WHERE id = ?1", u,
	                     1, NULL, NULL, NULL)) != LK_OK ||
	    (rc = lk_db_exec(app->store, "SELECT name FROM passkeys WHERE id = ?1 AND user_id = ?2",
	                     p, 2, del_row, &d, NULL)) != LK_OK) {
		goto fail;
	}
	if (!d.found) {
		rc = LK_E_NOTFOUND;
		goto fail;
	}
	if ((rc = lk_db_int(app->store,
	                    "SELECT COUNT(*) FROM passkeys WHERE user_id = ?2 AND id <> ?1", p, 2,
	                    &others)) != LK_OK ||
	    (rc = lk_db_int(app->store,
	                    "SELECT COUNT(*) FROM users WHERE id = ?1 AND "
	                    "COALESCE(password_hash, '') <> ''",
	                    u, 1, &has_password)) != LK_OK) {
		goto fail;
	}
	/* API-NOTES 108: never the last way in (TOTP and magic links are not one) */
	if (has_password == 0 && others == 0) {
		rc = LK_E_STATE;
		goto fail;
	}
	if ((rc = lk_db_exec(app->store, "DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2", p,
	                     2, NULL, NULL, NULL)) != LK_OK ||
	    (rc = lk_db_commit(app->store)) != LK_OK) {
		goto fail;
	}
	lk_event_add(app, user_id, "passkey.removed", cl->ip, cl->ua, now,
	             json_pack("{s:s, s:s}", "passkeyId", id, "name", d.name));
	notify(app, user_id, "passkey-removed", "A passkey was removed from your account.", cl,
	       now);
	return LK_OK;
fail:
	lk_db_rollback(app->store);
	return rc;
}
