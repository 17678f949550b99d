/* serve.c: `latchkey serve`: reads the options, opens the data dir, the server key and
 * the store (migrating it), starts the mailer and the HTTP server, and drains on SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/app.h"
#include "auth/mailer.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "core/rc.h"
#include "core/secretbox.h"
#include "http/server.h"
#include "store/store.h"

int lk_route_patterns(const char **out, int cap);

static int
ensure_dir(const char *name, const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "latchkey: --%s: cannot create %s: %s\n", name, path,
		        strerror(errno));
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || access(path, R_OK | W_OK | X_OK) != 0) {
		fprintf(stderr, "latchkey: --%s: %s is not a usable directory\n", name, path);
		return -1;
	}
	return 0;
}

int
lk_cli_serve(int argc, char **argv)
{
	static struct lk_app app; /* large (metrics); lives for the process */
	const char *routes[LK_METRIC_ROUTES];
	struct lk_mailer_config mc = {0};
	struct lk_server *srv = NULL;
	sigset_t set;
	int sig, rc = 1, n;

	if (lk_options_parse(&app.cfg, argc, argv) != 0) {
		return 2;
	}
	if (ensure_dir("data-dir", app.cfg.data_dir) != 0 ||
	    (!app.cfg.smtp_url[0] && ensure_dir("mail-dir", app.cfg.mail_dir) != 0)) {
		lk_options_free(&app.cfg);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "latchkey: libsodium failed to initialise\n");
		goto out;
	}
	/* Block the signals before any thread starts, so every thread inherits the mask and
	 * only sigwait below receives them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (lk_serverkey_load_or_create(app.cfg.data_dir, &app.key) != LK_OK) {
		fprintf(stderr,
		        "latchkey: --data-dir: cannot use %s/secret.key (missing, unreadable "
		        "or readable by others)\n",
		        app.cfg.data_dir);
		rc = 2;
		goto out;
	}
	if (lk_store_open(app.cfg.db_url, &app.store) != LK_OK) {
		fprintf(stderr, "latchkey: --db: cannot open %s\n", app.cfg.db_url);
		rc = 2;
		goto out;
	}
	n = lk_route_patterns(routes, LK_METRIC_ROUTES - 1);
	lk_metrics_init(&app.metrics, routes, n);
	mc.mail_dir = app.cfg.mail_dir;
	mc.smtp_url = app.cfg.smtp_url[0] ? app.cfg.smtp_url : NULL;
	mc.mail_from = app.cfg.mail_from;
	if (lk_mailer_config_check(&mc) != LK_OK) {
		fprintf(stderr, "latchkey: --mail-from: not a usable address\n");
		rc = 2;
		goto out;
	}
	if (lk_mailer_start(app.store, &mc, &app.mailer) != LK_OK) {
		fprintf(stderr, "latchkey: cannot start the mail worker\n");
		goto out;
	}
	if (lk_server_start(&app, &srv) != 0) {
		rc = 2;
		goto out;
	}
	printf("latchkey listening on http://%s%s%s:%d (origin %s)\n",
	       strchr(app.cfg.listen_host, ':') ? "[" : "", app.cfg.listen_host,
	       strchr(app.cfg.listen_host, ':') ? "]" : "", lk_server_port(srv), app.cfg.origin);
	fflush(stdout);
	sigwait(&set, &sig);
	fprintf(stderr, "latchkey: signal %d, draining\n", sig);
	lk_server_stop(srv, 10000);
	srv = NULL;
	rc = 0;
out:
	lk_server_stop(srv, 0);
	lk_mailer_stop(app.mailer);
	lk_store_close(app.store);
	lk_serverkey_free(app.key);
	lk_options_free(&app.cfg);
	return rc;
}
