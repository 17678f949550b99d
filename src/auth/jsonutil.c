/* jsonutil.c: time values in JSON answers. */
#include <stdio.h>

#include "auth/jsonutil.h"
#include "core/timefmt.h"

void
lk_iso_time(int64_t ms, char *out, size_t cap)
{
	char buf[LK_TIMEFMT_LEN + 1];

	if (lk_timefmt_format(ms, buf) != LK_OK) {
		snprintf(buf, sizeof(buf), "1970-01-01T00:00:00.000Z");
	}
	snprintf(out, cap, "%s", buf);
}

json_t *
lk_json_time(int64_t ms)
{
	char buf[LK_TIMEFMT_LEN + 1];

	lk_iso_time(ms, buf, sizeof(buf));
	return json_string(buf);
}
