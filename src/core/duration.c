/* duration.c: overflow-checked duration parser for operator input. */
#include <stddef.h>
#include <string.h>

#include "core/duration.h"

static int
mul_add(int64_t *acc, int64_t v, int64_t mul)
{
	int64_t p;

	if (__builtin_mul_overflow(v, mul, &p) || __builtin_add_overflow(*acc, p, acc)) {
		return -1;
	}
	return 0;
}

lk_rc
lk_duration_parse(const char *s, int64_t *out_ms)
{
	int64_t total = 0, v, mul;
	const char *p = s;
	int units = 0;

	if (!s || !out_ms) {
		return LK_E_INVAL;
	}
	if (*p == '\0') {
		return LK_E_MALFORMED;
	}
	while (*p != '\0') {
		if (*p < '0' || *p > '9') {
			return LK_E_MALFORMED;
		}
		v = 0;
		while (*p >= '0' && *p <= '9') {
			if (__builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, *p - '0', &v)) {
				return LK_E_TOOBIG;
			}
			p++;
		}
		if (*p == '\0') {
			/* a bare integer means seconds; "1h30" is junk */
			if (units > 0) {
				return LK_E_MALFORMED;
			}
			mul = 1000;
		} else if (p[0] == 'm' && p[1] == 's') {
			mul = 1;
			p += 2;
		} else if (*p == 's') {
			mul = 1000;
			p++;
		} else if (*p == 'm') {
			mul = 60 * 1000;
			p++;
		} else if (*p == 'h') {
			mul = 3600 * 1000;
			p++;
		} else if (*p == 'd') {
			mul = 86400 * 1000;
			p++;
		} else {
			return LK_E_MALFORMED;
		}
		units++;
		if (mul_add(&total, v, mul) != 0) {
			return LK_E_TOOBIG;
		}
	}
	*out_ms = total;
	return LK_OK;
}
