/* duration.h: durations given on the command line and in LATCHKEY_* variables
 * (API-NOTES 140): "30s", "15m", "1h30m", "250ms", "7d", or a bare integer of seconds. */
#ifndef LK_DURATION_H
#define LK_DURATION_H

#include <stdint.h>

#include "core/rc.h"

/* Parses the NUL-terminated s into milliseconds in *out_ms (untouched on error).
 * Grammar: a bare decimal integer (seconds), or one or more <digits><unit> with unit one
 * of ms, s, m, h, d (lower case), e.g. "1h30m". No sign, spaces or fractions.
 * Returns LK_OK, LK_E_MALFORMED (empty or junk), LK_E_TOOBIG (over INT64_MAX ms). Whether
 * zero is acceptable is the caller's rule. */
lk_rc lk_duration_parse(const char *s, int64_t *out_ms);

#endif
