/* redirect.c: open-redirect defence for client-supplied paths (untrusted input that ends
 * up in a browser's location). */
#include "core/hex.h"
#include "core/limits.h"
#include "core/redirect.h"
#include "core/utf8.h"

/* The shape rule applied to both forms. */
static lk_rc
check_form(const char *s, size_t n)
{
	if (n == 0 || s[0] != '/') {
		return LK_E_MALFORMED;
	}
	if (n >= 2 && (s[1] == '/' || s[1] == '\\')) {
		return LK_E_MALFORMED;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			return LK_E_MALFORMED;
		}
	}
	return lk_utf8_validate(s, n) == LK_OK ? LK_OK : LK_E_MALFORMED;
}

lk_rc
lk_redirect_check(const char *s, size_t s_len)
{
	char dec[LK_MAX_REDIRECT];
	size_t i, n = 0;
	lk_rc rc;

	if (!s) {
		return LK_E_MALFORMED;
	}
	/* SPEC API-NOTES 86: at most 2048 bytes */
	if (s_len > LK_MAX_REDIRECT) {
		return LK_E_TOOBIG;
	}
	/* SPEC API-NOTES 86: as sent */
	if ((rc = check_form(s, s_len)) != LK_OK) {
		return rc;
	}
	/* SPEC API-NOTES 86: after one round of percent-decoding */
	for (i = 0; i < s_len; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (s_len - i < 3) {
				return LK_E_MALFORMED;
			}
			hi = lk_hex_digit(s[i + 1]);
			lo = lk_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0) {
				return LK_E_MALFORMED;
			}
			dec[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			dec[n++] = s[i];
		}
	}
	return check_form(dec, n);
}
