/* redirect.h: the safe-redirect rule for the `redirect` of a magic-link request
 * (API-NOTES 85-87). A safe value is echoed exactly as sent; an unsafe one is ignored. */
#ifndef LK_REDIRECT_H
#define LK_REDIRECT_H

#include <stddef.h>

#include "core/rc.h"

/* LK_OK if the s_len bytes of s are a safe same-site path: at most LK_MAX_REDIRECT bytes;
 * both as sent and after one round of percent-decoding it starts with '/', its second
 * character is neither '/' nor '\', it holds no U+0000-U+001F or U+007F, and it is strict
 * UTF-8. Else LK_E_TOOBIG (too long) or LK_E_MALFORMED (every other reason, including
 * malformed percent-encoding). */
lk_rc lk_redirect_check(const char *s, size_t s_len);

#endif
