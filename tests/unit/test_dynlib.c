/* test_dynlib.c: loading optional libraries. */
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "core/dynlib.h"

static void
resolves_every_symbol(void)
{
	size_t (*len)(const char *) = NULL;
	int (*cmp)(const char *, const char *) = NULL;
	const struct lk_dynsym syms[] = {{"strlen", (void **)&len}, {"strcmp", (void **)&cmp}};

	CHECK_EQ_INT(lk_dynlib_open("test", "libc.so.6", syms, 2), 0);
	CHECK(len != NULL && len("four") == 4);
	CHECK(cmp != NULL && cmp("a", "a") == 0);
}

static void
refuses_a_missing_library_or_symbol(void)
{
	void *p = NULL;
	const struct lk_dynsym missing[] = {{"no_such_symbol_in_libc", &p}};
	const struct lk_dynsym one[] = {{"strlen", &p}};

	CHECK_EQ_INT(lk_dynlib_open("test", "libc.so.6", missing, 1), -1);
	CHECK(p == NULL);
	CHECK_EQ_INT(lk_dynlib_open("test", "liblatchkey-no-such.so.1", one, 1), -1);
}

int
main(void)
{
	RUN(resolves_every_symbol);
	RUN(refuses_a_missing_library_or_symbol);
	return check_done("test_dynlib");
}
