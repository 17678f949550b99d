/* user.c: `latchkey user list | show EMAIL | reset-2fa EMAIL | disable EMAIL | enable EMAIL`
 * (API.md "Command line", API-NOTES 145-146): an administrator's view and switches over the
 * database a running server uses. It finds the database like serve (--data-dir, --db,
 * LATCHKEY_DATA_DIR, LATCHKEY_DB; the options may come before or after the subcommand) and
 * writes only through single statements or short transactions, so a server may run
 * meanwhile. Every change is recorded as an event with no ip or user agent and emailed to
 * the account (links from LATCHKEY_ORIGIN, default http://localhost:8080); the running
 * server's mail worker delivers it. Nothing printed holds a secret (no hashes, no tokens).
 * Exit: 0 done, 1 unknown account or a failed operation, 2 a usage error. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/app.h"
#include "auth/events.h"
#include "auth/factors.h"
#include "auth/jsonutil.h"
#include "auth/notify.h"
#include "auth/sessions.h"
#include "auth/totp2fa.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "core/email.h"
#include "core/rc.h"
#include "store/store.h"

#define MAX_ARGS 32

static int
usage(const char *why)
{
	if (why) {
		fprintf(stderr, "latchkey user: %s\n", why);
	}
	fputs("usage: latchkey user list | show EMAIL | reset-2fa EMAIL | disable EMAIL | enable "
	      "EMAIL [--data-dir DIR] [--db URL]\n",
	      stderr);
	return 2;
}

/* The account as an administrator sees it: no password hash, no secrets. */
static json_t *
user_object(struct lk_app *app, const struct lk_user *u, int64_t now, int detailed)
{
	struct lk_factors f;
	json_t *o;

	if (lk_factors_get(app, u->id, &f) != LK_OK) {
		memset(&f, 0, sizeof(f));
	}
	o = json_pack("{s:s, s:s, s:b, s:o, s:b, s:b, s:b, s:b, s:I, s:I}", "id", u->id, "email",
	              u->email, "emailVerified", u->email_verified, "createdAt",
	              lk_json_time(u->created_at), "hasPassword", u->password_hash[0] != '\0',
	              "disabled", u->disabled, "lockedDown", u->locked_down, "totpEnabled",
	              f.totp_enabled, "recoveryCodesRemaining", (json_int_t)f.recovery_codes,
	              "passkeys", (json_int_t)f.passkeys);
	if (o && detailed) {
		int64_t sessions = 0, recoveries = 0;
		struct lk_val p[] = {LK_TEXT(u->id), LK_INT(now)};
		lk_db_int(app->store,
		          "SELECT COUNT(*) FROM sessions WHERE user_id = ?1 AND expires_at > ?2", p,
		          2, &sessions);
		lk_db_int(
		    app->store,
		    "SELECT COUNT(*) FROM recoveries WHERE user_id = ?1 AND started_at IS NOT "
		    "NULL AND cancelled_at IS NULL AND completed_at IS NULL AND completes_at > ?2",
		    p, 2, &recoveries);
		json_object_set_new(o, "sessions", json_integer(sessions));
		json_object_set_new(o, "pendingRecoveries", json_integer(recoveries));
	}
	return o;
}

static int
print_json(json_t *o, size_t flags)
{
	char *text = o ? json_dumps(o, flags) : NULL;

	json_decref(o);
	if (!text) {
		fputs("latchkey user: out of memory\n", stderr);
		return 1;
	}
	puts(text);
	free(text);
	return 0;
}

struct list_ctx {
	struct lk_app *app;
	int64_t now;
	char (*ids)[32];
	size_t n, cap;
	int failed;
};

static int
id_row(void *arg, const struct lk_val *c, int n)
{
	struct list_ctx *l = arg;

	if (n < 1 || c[0].type != LK_V_TEXT || c[0].len >= sizeof(l->ids[0])) {
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char(*ids)[32] = realloc(l->ids, cap * sizeof(*ids));
		if (!ids) {
			l->failed = 1;
			return 1;
		}
		l->ids = ids;
		l->cap = cap;
	}
	memcpy(l->ids[l->n], c[0].p, c[0].len);
	l->ids[l->n][c[0].len] = '\0';
	l->n++;
	return 0;
}

static int
cmd_list(struct lk_app *app, int64_t now)
{
	struct list_ctx l = {app, now, NULL, 0, 0, 0};
	struct lk_user u;
	int rc = 1;

	/* ids first, then each account: no statement stays open while the rows are printed */
	if (lk_db_exec(app->store, "SELECT id FROM users ORDER BY created_at, id", NULL, 0, id_row,
	               &l, NULL) != LK_OK ||
	    l.failed) {
		fputs("latchkey user: cannot read the accounts\n", stderr);
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		if (lk_user_by_id(app, l.ids[i], &u) == LK_OK &&
		    print_json(user_object(app, &u, now, 0), JSON_COMPACT) != 0) {
			goto out;
		}
	}
	rc = 0;
out:
	free(l.ids);
	return rc;
}

/* Finds the account of email (normalised like the API): 0, or 1 after a message. */
static int
find_user(struct lk_app *app, const char *email, struct lk_user *u)
{
	char norm[LK_MAX_EMAIL + 1];
	size_t norm_len;
	int rc;

	if (lk_email_normalize(email, strlen(email), norm, &norm_len) != LK_OK) {
		fprintf(stderr, "latchkey user: no account with email %s\n", email);
		return 1;
	}
	rc = lk_user_by_email(app, norm, u);
	if (rc == LK_E_NOTFOUND) {
		fprintf(stderr, "latchkey user: no account with email %s\n", norm);
		return 1;
	}
	if (rc != LK_OK) {
		fputs("latchkey user: cannot read the account\n", stderr);
		return 1;
	}
	return 0;
}

static int
cmd_reset_2fa(struct lk_app *app, struct lk_user *u, int64_t now)
{
	struct lk_factors f;
	int rc;

	if (lk_factors_get(app, u->id, &f) != LK_OK) {
		memset(&f, 0, sizeof(f));
	}
	if ((rc = lk_db_begin(app->store)) == LK_OK) {
		rc = lk_totp2fa_remove(app, u->id);
		if (rc == LK_OK) {
			rc = lk_db_commit(app->store);
		} else {
			lk_db_rollback(app->store);
		}
	}
	if (rc != LK_OK) {
		fputs("latchkey user: cannot remove the second factor\n", stderr);
		return 1;
	}
	lk_event_add(app, u->id, "admin.reset_2fa", NULL, NULL, now,
	             json_pack("{s:b, s:I}", "totpRemoved", f.totp_enabled, "recoveryCodesRemoved",
	                       (json_int_t)f.recovery_codes));
	lk_notify(app, u, "admin-reset-2fa",
	          "An administrator removed two-step verification (authenticator app and recovery "
	          "codes) from your account.",
	          NULL, NULL, now);
	return 0;
}

static int
cmd_disable(struct lk_app *app, struct lk_user *u, int64_t now)
{
	int64_t revoked = 0;

	struct lk_val p[] = {LK_TEXT(u->id)};
	/* disabled first, then the sessions: a sign-in racing with us cannot keep one */
	if (lk_db_exec(app->store, "UPDATE users SET disabled = 1 WHERE id = ?1", p, 1, NULL, NULL,
	               NULL) != LK_OK ||
	    lk_session_revoke_user(app, u->id, NULL, &revoked) != LK_OK) {
		fputs("latchkey user: cannot disable the account\n", stderr);
		return 1;
	}
	lk_event_add(app, u->id, "admin.disabled", NULL, NULL, now,
	             json_pack("{s:I}", "sessionsRevoked", (json_int_t)revoked));
	lk_notify(app, u, "account-disabled",
	          "An administrator disabled your account and signed out every session.", NULL,
	          NULL, now);
	return 0;
}

static int
cmd_enable(struct lk_app *app, struct lk_user *u, int64_t now)
{
	struct lk_val p[] = {LK_TEXT(u->id)};
	if (lk_db_exec(app->store, "UPDATE users SET disabled = 0 WHERE id = ?1", p, 1, NULL, NULL,
	               NULL) != LK_OK) {
		fputs("latchkey user: cannot enable the account\n", stderr);
		return 1;
	}
	lk_event_add(app, u->id, "admin.enabled", NULL, NULL, now, NULL);
	lk_notify(app, u, "account-enabled", "An administrator enabled your account again.", NULL,
	          NULL, now);
	return 0;
}

/* Splits argv (argv[0] = "user") into the storage options, kept in opts for
 * lk_options_parse_store, and the words (subcommand, email). An option's value is the next
 * argument unless written --name=value. -1 on too many arguments. */
static int
split_args(int argc, char **argv, char **opts, int *n_opts, char **words, int *n_words)
{
	*n_opts = 0;
	*n_words = 0;
	opts[(*n_opts)++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (*n_opts + 2 > MAX_ARGS || *n_words + 1 > MAX_ARGS) {
			return -1;
		}
		if (strncmp(argv[i], "--", 2) == 0) {
			opts[(*n_opts)++] = argv[i];
			if (!strchr(argv[i], '=') && i + 1 < argc) {
				opts[(*n_opts)++] = argv[++i];
			}
		} else {
			words[(*n_words)++] = argv[i];
		}
	}
	return 0;
}

static void
origin_from_env(struct lk_config *cfg)
{
	const char *v = getenv("LATCHKEY_ORIGIN");
	size_t n;

	if (v && *v && strlen(v) < sizeof(cfg->origin)) {
		snprintf(cfg->origin, sizeof(cfg->origin), "%s", v);
		n = strlen(cfg->origin);
		while (n > 0 && cfg->origin[n - 1] == '/') {
			cfg->origin[--n] = '\0';
		}
	}
}

int
lk_cli_user(int argc, char **argv)
{
	static const char *const with_email[] = {"show", "reset-2fa", "disable", "enable"};
	char *opts[MAX_ARGS], *words[MAX_ARGS];
	int n_opts, n_words, first = 0, needs_email = -1, rc = 1;
	struct lk_app app;
	struct lk_user u;
	struct stat st;
	int64_t now;

	memset(&app, 0, sizeof(app));
	if (split_args(argc, argv, opts, &n_opts, words, &n_words) != 0) {
		return usage("too many arguments");
	}
	if (n_words == 0) {
		return usage("missing subcommand");
	}
	if (strcmp(words[0], "list") == 0) {
		needs_email = 0;
	}
	for (size_t i = 0; i < sizeof(with_email) / sizeof(with_email[0]); i++) {
		if (strcmp(words[0], with_email[i]) == 0) {
			needs_email = 1;
		}
	}
	if (needs_email < 0) {
		fprintf(stderr, "latchkey user: unknown subcommand '%s'\n", words[0]);
		return usage(NULL);
	}
	if (n_words != 1 + needs_email) {
		return usage(needs_email ? "expected one EMAIL" : "list takes no EMAIL");
	}
	if (lk_options_parse_store(&app.cfg, n_opts, opts, &first) != 0 || first != n_opts) {
		return usage(NULL);
	}
	origin_from_env(&app.cfg);
	if (strncmp(app.cfg.db_url, "sqlite:", 7) == 0 && stat(app.cfg.db_url + 7, &st) != 0) {
		fprintf(stderr, "latchkey user: --data-dir: no database at %s\n",
		        app.cfg.db_url + 7);
		return 2;
	}
	if (sodium_init() < 0) {
		fputs("latchkey user: libsodium failed to initialise\n", stderr);
		return 1;
	}
	if (lk_store_open(app.cfg.db_url, &app.store) != LK_OK) {
		fprintf(stderr, "latchkey user: --db: cannot open the database\n");
		return 1;
	}
	now = lk_now_ms();
	if (needs_email == 0) {
		rc = cmd_list(&app, now);
		goto out;
	}
	if (find_user(&app, words[1], &u) != 0) {
		goto out;
	}
	if (strcmp(words[0], "show") == 0) {
		rc = print_json(user_object(&app, &u, now, 1), JSON_INDENT(2));
		goto out;
	}
	if (strcmp(words[0], "reset-2fa") == 0) {
		rc = cmd_reset_2fa(&app, &u, now);
	} else if (strcmp(words[0], "disable") == 0) {
		rc = cmd_disable(&app, &u, now);
	} else {
		rc = cmd_enable(&app, &u, now);
	}
	if (rc == 0) {
		char id[sizeof(u.id)];
		memcpy(id, u.id, sizeof(id));
		if (lk_user_by_id(&app, id, &u) == LK_OK) {
			rc = print_json(user_object(&app, &u, now, 0), JSON_COMPACT);
		}
	}
out:
	lk_store_close(app.store);
	lk_options_free(&app.cfg);
	return rc;
}
