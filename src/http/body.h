/* body.h: turning a request body (untrusted bytes) into a JSON object, with the checks
 * of API-NOTES 1-6. */
#ifndef LK_BODY_H
#define LK_BODY_H

#include <jansson.h>
#include <stddef.h>

/* Parses body into an object ({} when empty). On failure returns -1 with *code set to
 * "invalid_json" or "invalid_field" (then *field names the top-level field, pointing
 * into field_buf). */
int lk_body_parse(const char *body, size_t len, json_t **out, const char **code, char *field_buf,
                  size_t field_cap);

#endif
