/* curllib.h: libcurl, loaded on first use. A server that delivers to a mail dir (the
 * default) never maps libcurl and its TLS, HTTP/2 and SSH libraries. */
#ifndef LK_CURLLIB_H
#define LK_CURLLIB_H

#define CURL_DISABLE_TYPECHECK /* the type-checking macros would hide the table's calls */
#include <curl/curl.h>

struct lk_curllib {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

/* The loaded library (thread-safe, once), or NULL when libcurl.so.4 cannot be loaded. */
const struct lk_curllib *lk_curllib(void);

#endif
