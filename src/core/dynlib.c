/* dynlib.c: dlopen and dlsym for the optional libraries. */
#include <dlfcn.h>
#include <stdio.h>

#include "core/dynlib.h"

int
lk_dynlib_open(const char *tag, const char *soname, const struct lk_dynsym *syms, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "%s.error what=load msg=\"%s\"\n", tag, dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
			fprintf(stderr, "%s.error what=load msg=\"%s lacks %s\"\n", tag, soname,
			        syms[i].name);
			dlclose(h);
			return -1;
		}
	}
	return 0;
}
