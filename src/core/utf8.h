/* utf8.h: strict UTF-8 (RFC 3629) validation, decoding and counting. Sits on the trust
 * boundary: every string that came from a client passes through here before it is
 * measured or stored. No overlong forms, no encoded surrogates, nothing above U+10FFFF. */
#ifndef LK_UTF8_H
#define LK_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

/* Decodes the code point starting at s[*pos] (s has s_len bytes, *pos < s_len), stores it
 * in *cp and advances *pos past it. Returns LK_OK, LK_E_MALFORMED for an invalid or
 * truncated sequence (*pos unchanged), LK_E_INVAL if *pos >= s_len. */
lk_rc lk_utf8_next(const char *s, size_t s_len, size_t *pos, uint32_t *cp);

/* LK_OK if the s_len bytes of s are strict UTF-8 (NUL bytes count as U+0000 and are
 * allowed here; callers that refuse them say so), else LK_E_MALFORMED. */
lk_rc lk_utf8_validate(const char *s, size_t s_len);

/* Validates like lk_utf8_validate and stores the number of code points in *count
 * (untouched on error). Returns LK_OK or LK_E_MALFORMED. */
lk_rc lk_utf8_count(const char *s, size_t s_len, size_t *count);

#endif
