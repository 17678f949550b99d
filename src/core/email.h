/* email.h: normalisation and validation of email addresses sent by clients (API-NOTES
 * 22-24). The normalised form is what latchkey stores, looks up, compares and echoes. */
#ifndef LK_EMAIL_H
#define LK_EMAIL_H

#include <stddef.h>

#include "core/limits.h"
#include "core/rc.h"

/* Trims leading and trailing ASCII whitespace (space, tab, CR, LF, VT, FF) from the in_len
 * bytes of in, lower-cases ASCII letters (others kept as sent), validates, and writes the
 * result NUL-terminated into out (LK_MAX_EMAIL + 1 bytes) and its length into *out_len
 * (may be NULL). Rules: strict UTF-8; at most LK_MAX_EMAIL bytes; exactly one '@'; local
 * part 1..LK_MAX_EMAIL_LOCAL bytes; domain of >= 2 non-empty dot-separated labels; none of
 * U+0000-U+0020, U+007F-U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F,
 * U+3000, U+FEFF. Returns LK_OK, LK_E_TOOBIG (over a length limit) or LK_E_MALFORMED (any
 * other rule); out holds "" on error. */
lk_rc lk_email_normalize(const char *in, size_t in_len, char out[LK_MAX_EMAIL + 1],
                         size_t *out_len);

#endif
