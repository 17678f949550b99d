/* strbuf.c: growable strings for text the server composes itself. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

void
lk_strbuf_printf(struct lk_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	while (!b->failed) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			break;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap * 2 + (size_t)n + 64;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->failed = 1;
			break;
		}
		b->p = np;
		b->cap = ncap;
	}
}

char *
lk_strbuf_take(struct lk_strbuf *b, size_t *len)
{
	char *p = b->p;

	if (b->failed || !p) {
		free(p);
		p = b->failed ? NULL : calloc(1, 1);
		if (len) {
			*len = 0;
		}
	} else if (len) {
		*len = b->len;
	}
	memset(b, 0, sizeof(*b));
	return p;
}
