/* jsonutil.h: small JSON helpers shared by flows and handlers. */
#ifndef LK_JSONUTIL_H
#define LK_JSONUTIL_H

#include <jansson.h>
#include <stdint.h>

/* The ISO-8601 UTC string of unix ms ("2026-11-25T17:27:10.123Z") as a JSON string. */
json_t *lk_json_time(int64_t ms);
/* Writes the same string into out (at least 32 bytes). */
void lk_iso_time(int64_t ms, char *out, size_t cap);

#endif
