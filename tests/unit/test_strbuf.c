/* test_strbuf.c: growable strings and hex digits. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/hex.h"
#include "core/strbuf.h"

static void
appends_grow_past_any_initial_size(void)
{
	struct lk_strbuf b = {0};
	size_t len = 0;
	char *s;

	for (int i = 0; i < 1000; i++) {
		lk_strbuf_printf(&b, "%04d,", i);
	}
	s = lk_strbuf_take(&b, &len);
	CHECK(s != NULL);
	CHECK_EQ_INT(len, 5000);
	CHECK_EQ_INT(strlen(s), 5000);
	CHECK(strncmp(s, "0000,0001,", 10) == 0);
	CHECK(strcmp(s + 4995, "0999,") == 0);
	CHECK(b.p == NULL && b.len == 0);
	free(s);
}

static void
empty_buffer_gives_empty_string(void)
{
	struct lk_strbuf b = {0};
	size_t len = 7;
	char *s = lk_strbuf_take(&b, &len);

	CHECK(s != NULL && s[0] == '\0');
	CHECK_EQ_INT(len, 0);
	free(s);
}

static void
failure_sticks(void)
{
	struct lk_strbuf b = {0};

	lk_strbuf_printf(&b, "abc");
	b.failed = 1;
	lk_strbuf_printf(&b, "def");
	CHECK(lk_strbuf_take(&b, NULL) == NULL);
}

static void
hex_digits(void)
{
	CHECK_EQ_INT(lk_hex_digit('0'), 0);
	CHECK_EQ_INT(lk_hex_digit('9'), 9);
	CHECK_EQ_INT(lk_hex_digit('a'), 10);
	CHECK_EQ_INT(lk_hex_digit('F'), 15);
	CHECK_EQ_INT(lk_hex_digit('g'), -1);
	CHECK_EQ_INT(lk_hex_digit('/'), -1);
	CHECK_EQ_INT(lk_hex_digit('\0'), -1);
}

int
main(void)
{
	RUN(appends_grow_past_any_initial_size);
	RUN(empty_buffer_gives_empty_string);
	RUN(failure_sticks);
	RUN(hex_digits);
	return check_done("test_strbuf");
}
