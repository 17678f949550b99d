/* curllib.c: loads libcurl.so.4 once and resolves the functions mailer.c calls. */
#include <pthread.h>

#include "auth/curllib.h"
#include "core/dynlib.h"

static struct lk_curllib lib;
static const struct lk_curllib *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const struct lk_dynsym syms[] = {
    {"curl_global_init", (void **)&lib.global_init},
    {"curl_easy_init", (void **)&lib.easy_init},
    {"curl_easy_setopt", (void **)&lib.easy_setopt},
    {"curl_easy_perform", (void **)&lib.easy_perform},
    {"curl_easy_cleanup", (void **)&lib.easy_cleanup},
    {"curl_easy_strerror", (void **)&lib.easy_strerror},
    {"curl_slist_append", (void **)&lib.slist_append},
    {"curl_slist_free_all", (void **)&lib.slist_free_all},
};

static void
load(void)
{
	if (lk_dynlib_open("mail", "libcurl.so.4", syms, sizeof(syms) / sizeof(syms[0])) == 0) {
		loaded = &lib;
	}
}

const struct lk_curllib *
lk_curllib(void)
{
	pthread_once(&once, load);
	return loaded;
}
