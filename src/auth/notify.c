/* notify.c: security-notification emails with their lockdown link, and the known-devices
 * rule behind "new sign-in from a new device". The client address and user agent come from
 * the request (untrusted): they are cut and reduced to printable ASCII before they enter a
 * mail body. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/accounts.h"
#include "auth/jsonutil.h"
#include "auth/mailer.h"
#include "auth/notify.h"
#include "auth/outbox.h"
#include "core/rc.h"
#include "core/token.h"
#include "store/store.h"

/* A user agent shown in a notification is cut to this many characters. */
#define SHOWN_UA_MAX 200

static void
printable(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; in && *in && n + 1 < cap; in++) {
		unsigned char c = (unsigned char)*in;
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = '\0';
}

int
lk_notify_at(struct lk_app *app, const struct lk_user *user, const char *purpose, const char *what,
             const char *extra, const char *ip, const char *ua, int64_t now, int64_t due,
             int64_t *outbox_id)
{
	char token[LK_TOKEN_LEN + 1], when[40], shown_ip[80], shown_ua[SHOWN_UA_MAX + 1];
	char subject[160], *body = NULL;
	unsigned char hash[LK_TOKEN_HASH];
	size_t cap = 4096 + (extra ? strlen(extra) : 0);
	int rc = LK_E_STORAGE;

	if (lk_token_new(token) != LK_OK) {
		return LK_E_CRYPTO;
	}
	lk_token_hash(token, LK_TOKEN_LEN, hash);
	struct lk_val p[] = {LK_BLOB(hash, sizeof(hash)), LK_TEXT(user->id), LK_TEXT(user->email),
	                     LK_INT(now), LK_INT(due + LK_LOCKDOWN_TTL_MS)};
	if (lk_db_exec(app->store,
	               "INSERT INTO tokens (hash, purpose, user_id, email, created_at, expires_at) "
	               "VALUES (?1, 'lockdown', ?2, ?3, ?4, ?5)",
	               p, 5, NULL, NULL, NULL) != LK_OK) {
		goto out;
	}
	body = malloc(cap);
	if (!body) {
		rc = LK_E_NOMEM;
		goto out;
	}
	lk_iso_time(now, when, sizeof(when)); /* when the change happened */
	printable(ip, shown_ip, sizeof(shown_ip));
	printable(ua, shown_ua, sizeof(shown_ua));
	snprintf(subject, sizeof(subject), "%.150s", what);
	snprintf(body, cap,
	         "%s\n\nAccount: %s\nWhen: %s\nFrom address: %s\nDevice: %s\n\n%s%s"
	         "If this wasn't you, lock your account now. Locking signs out every session, "
	         "cancels any account recovery and refuses sign-in by password or email link "
	         "until you prove a second factor or recover the account:\n\n"
	         "%s/auth/lockdown?token=%s\n\n"
	         "The link works once, for 7 days. If this was you, there is nothing to do.\n",
	         what, user->email, when,
	         ip ? (shown_ip[0] ? shown_ip : "(unknown)") : "(command line)",
	         ua ? (shown_ua[0] ? shown_ua : "(unknown)") : "(command line)", extra ? extra : "",
	         extra ? "\n\n" : "", app->cfg.origin, token);
	rc = lk_outbox_queue(app->store, due, user->email, purpose, subject, body, outbox_id);
	if (rc == LK_OK && app->mailer) {
		lk_mailer_kick(app->mailer);
	}
	if (rc == LK_OK && now % 64 == 0) {
		/* now and then, forget lockdown links that expired a day ago */
		struct lk_val q[] = {LK_INT(now - 24LL * 3600 * 1000)};
		lk_db_exec(app->store,
		           "DELETE FROM tokens WHERE purpose = 'lockdown' AND expires_at < ?1", q,
		           1, NULL, NULL, NULL);
	}
out:
	sodium_memzero(token, sizeof(token));
	if (body) {
		sodium_memzero(body, cap);
		free(body);
	}
	return rc;
}

int
lk_notify_ex(struct lk_app *app, const struct lk_user *user, const char *purpose, const char *what,
             const char *extra, const char *ip, const char *ua, int64_t now)
{
	return lk_notify_at(app, user, purpose, what, extra, ip, ua, now, now, NULL);
}

int
lk_notify(struct lk_app *app, const struct lk_user *user, const char *purpose, const char *what,
          const char *ip, const char *ua, int64_t now)
{
	return lk_notify_ex(app, user, purpose, what, NULL, ip, ua, now);
}

int
lk_notify_signin(struct lk_app *app, const struct lk_user *user, const char *ip, const char *ua,
                 int64_t now)
{
	crypto_hash_sha256_state st;
	unsigned char hash[crypto_hash_sha256_BYTES];
	int64_t inserted = 0, others = 0;
	int rc;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)(ip ? ip : ""),
	                          strlen(ip ? ip : "") + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)(ua ? ua : ""), strlen(ua ? ua : ""));
	crypto_hash_sha256_final(&st, hash);
	struct lk_val p[] = {LK_TEXT(user->id), LK_BLOB(hash, sizeof(hash)), LK_INT(now)};
	rc = lk_db_exec(app->store,
	                "INSERT INTO known_devices (user_id, device_hash, first_seen_at) "
	                "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
	                p, 3, NULL, NULL, &inserted);
	if (rc != LK_OK || inserted == 0) {
		return rc;
	}
	rc =
	    lk_db_int(app->store,
	              "SELECT COUNT(*) FROM known_devices WHERE user_id = ?1 AND device_hash <> ?2",
	              p, 2, &others);
	if (rc != LK_OK || others == 0) {
		return rc;
	}
	return lk_notify(app, user, "new-sign-in", "New sign-in to your account from a new device.",
	                 ip, ua, now);
}
