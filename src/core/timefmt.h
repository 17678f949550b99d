/* timefmt.h: ISO-8601 UTC timestamps with milliseconds, the one time format of the API
 * ("2026-11-25T17:27:10.123Z"), and its parser for --now. */
#ifndef LK_TIMEFMT_H
#define LK_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define LK_TIMEFMT_LEN 24 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */

/* Formats unix_ms (milliseconds since 1970-01-01T00:00:00Z; negative allowed) into out
 * (LK_TIMEFMT_LEN + 1 bytes, NUL-terminated). Years 0000..9999 only.
 * LK_OK or LK_E_INVAL (out of range; out holds ""). */
lk_rc lk_timefmt_format(int64_t unix_ms, char out[LK_TIMEFMT_LEN + 1]);

/* Parses "YYYY-MM-DDTHH:MM:SS[.f...]Z" (1..9 fraction digits, truncated to milliseconds;
 * upper-case T and Z; no offsets, no leap second) from the s_len bytes of s into *unix_ms
 * (untouched on error). Checks day against month and leap year.
 * LK_OK or LK_E_MALFORMED. */
lk_rc lk_timefmt_parse(const char *s, size_t s_len, int64_t *unix_ms);

#endif
