/* strbuf.h: a growable string built with printf-style appends (SVG, metrics text). A
 * failed allocation sticks: later appends do nothing and lk_strbuf_take returns NULL. */
#ifndef LK_STRBUF_H
#define LK_STRBUF_H

#include <stddef.h>

struct lk_strbuf {
	char *p;
	size_t len, cap;
	int failed;
};

/* Appends the formatted text. */
void lk_strbuf_printf(struct lk_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the NUL-terminated string to the caller (who frees it) and resets b; NULL when an
 * append failed (the buffer is freed then). len may be NULL. */
char *lk_strbuf_take(struct lk_strbuf *b, size_t *len);

#endif
