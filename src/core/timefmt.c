/* timefmt.c: UTC formatting through gmtime_r and a strict parser that does not depend on
 * the process time zone (the civil-from-days arithmetic is the proleptic Gregorian
 * calendar, as ISO 8601 uses). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/timefmt.h"

/* floor division for negative times */
static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

lk_rc
lk_timefmt_format(int64_t unix_ms, char out[LK_TIMEFMT_LEN + 1])
{
	/* 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in seconds */
	const int64_t min_s = -62167219200LL, end_s = 253402300800LL;
	int64_t secs, ms;
	time_t t;
	struct tm tm;
	int n;

	if (!out) {
		return LK_E_INVAL;
	}
	out[0] = '\0';
	secs = floordiv(unix_ms, 1000);
	ms = unix_ms % 1000; /* no multiplication: INT64_MIN must not overflow */
	if (ms < 0) {
		ms += 1000;
	}
	if (secs < min_s || secs >= end_s) {
		return LK_E_INVAL;
	}
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm)) {
		return LK_E_INVAL;
	}
	n = snprintf(out, LK_TIMEFMT_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             (int)ms);
	if (n != LK_TIMEFMT_LEN) {
		out[0] = '\0';
		return LK_E_INVAL;
	}
	return LK_OK;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

lk_rc
lk_timefmt_parse(const char *s, size_t s_len, int64_t *unix_ms)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, ms = 0, dim;
	size_t i;

	if (!s || !unix_ms || s_len < 20) {
		return LK_E_MALFORMED;
	}
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec)) {
		return LK_E_MALFORMED;
	}
	i = 19;
	if (s[i] == '.') {
		size_t nfrac = 0;
		int scale = 100;
		i++;
		while (i < s_len && s[i] >= '0' && s[i] <= '9') {
			if (nfrac < 3) {
				ms += (s[i] - '0') * scale;
				scale /= 10;
			}
			nfrac++;
			i++;
		}
		if (nfrac < 1 || nfrac > 9) {
			return LK_E_MALFORMED;
		}
	}
	if (i + 1 != s_len || s[i] != 'Z') {
		return LK_E_MALFORMED;
	}
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59) {
		return LK_E_MALFORMED;
	}
	dim = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		dim = 29;
	}
	if (d < 1 || d > dim) {
		return LK_E_MALFORMED;
	}
	*unix_ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000) + ms;
	return LK_OK;
}
