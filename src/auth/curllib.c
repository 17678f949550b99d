/* curllib.c: loads libcurl.so.4 once and resolves the functions mailer.c calls. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "auth/curllib.h"

static struct lk_curllib lib;
static const struct lk_curllib *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(field, name)                                                                           \
	if (!(*(void **)&lib.field = dlsym(h, name))) {                                            \
		goto fail;                                                                         \
	}

static void
load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "mail.error what=load msg=\"%s\"\n", dlerror());
		return;
	}
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	loaded = &lib;
	return;
fail:
	fprintf(stderr, "mail.error what=load msg=\"libcurl lacks a symbol\"\n");
	dlclose(h);
}

const struct lk_curllib *
lk_curllib(void)
{
	pthread_once(&once, load);
	return loaded;
}
