/* dynlib.h: optional libraries loaded on first use (libpq, libcurl), so a server that does
 * not need them never maps them. */
#ifndef LK_DYNLIB_H
#define LK_DYNLIB_H

#include <stddef.h>

struct lk_dynsym {
	const char *name; /* the symbol */
	void **slot;      /* where its address goes (a function pointer, POSIX dlsym style) */
};

/* Opens soname and resolves every symbol into its slot: 0, or -1 with the reason on
 * stderr under tag and the library closed again. Call it once (pthread_once). */
int lk_dynlib_open(const char *tag, const char *soname, const struct lk_dynsym *syms, size_t n);

#endif
