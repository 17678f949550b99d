/* test_timefmt.c: ISO-8601 UTC formatting and parsing. */
#include "check.h"
#include "core/timefmt.h"

static void
test_format(void)
{
	char out[LK_TIMEFMT_LEN + 1];

	CHECK_EQ_INT(lk_timefmt_format(0, out), LK_OK);
	CHECK_EQ_STR(out, "1970-01-01T00:00:00.000Z");
	CHECK_EQ_INT(lk_timefmt_format(1795627630123LL, out), LK_OK);
	CHECK_EQ_STR(out, "2026-11-25T17:27:10.123Z");
	CHECK_EQ_INT(lk_timefmt_format(-1, out), LK_OK);
	CHECK_EQ_STR(out, "1969-12-31T23:59:59.999Z");
	CHECK_EQ_INT(lk_timefmt_format(951782400000LL, out), LK_OK); /* leap day 2000 */
	CHECK_EQ_STR(out, "2000-02-29T00:00:00.000Z");
	CHECK_EQ_INT(lk_timefmt_format(253402300799999LL, out), LK_OK);
	CHECK_EQ_STR(out, "9999-12-31T23:59:59.999Z");
	CHECK_EQ_INT(lk_timefmt_format(253402300800000LL, out), LK_E_INVAL);
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(lk_timefmt_format(-62167219200000LL, out), LK_OK);
	CHECK_EQ_STR(out, "0000-01-01T00:00:00.000Z");
	CHECK_EQ_INT(lk_timefmt_format(-62167219200001LL, out), LK_E_INVAL);
	CHECK_EQ_INT(lk_timefmt_format(INT64_MAX, out), LK_E_INVAL);
	CHECK_EQ_INT(lk_timefmt_format(INT64_MIN, out), LK_E_INVAL);
}

static int
parse(const char *s, int64_t *ms)
{
	return lk_timefmt_parse(s, strlen(s), ms);
}

static void
test_parse(void)
{
	int64_t ms = 0;

	CHECK_EQ_INT(parse("2026-11-25T17:27:10.123Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, 1795627630123LL);
	CHECK_EQ_INT(parse("2025-01-30T23:59:59.000Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, 1738281599000LL);
	CHECK_EQ_INT(parse("1970-01-01T00:00:00Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, 0);
	CHECK_EQ_INT(parse("1969-12-31T23:59:59.999Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, -1);
	CHECK_EQ_INT(parse("2000-02-29T12:00:00.5Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, 951825600500LL);
	CHECK_EQ_INT(parse("2000-02-29T12:00:00.123456789Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, 951825600123LL);
	CHECK_EQ_INT(parse("0000-01-01T00:00:00.000Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, -62167219200000LL);
	CHECK_EQ_INT(parse("9999-12-31T23:59:59.999Z", &ms), LK_OK);
	CHECK_EQ_INT(ms, 253402300799999LL);
}

static void
test_parse_refused(void)
{
	const char *bad[] = {
	    "",
	    "2026-11-25",
	    "2026-11-25T17:27:10",
	    "2026-11-25T17:27:10.123",
	    "2026-11-25 17:27:10Z",
	    "2026-11-25t17:27:10Z",
	    "2026-11-25T17:27:10z",
	    "2026-11-25T17:27:10+00:00",
	    "2026-11-25T17:27:10.Z",
	    "2026-11-25T17:27:10.1234567890Z",
	    "2026-13-01T00:00:00Z",
	    "2026-00-01T00:00:00Z",
	    "2026-11-00T00:00:00Z",
	    "2026-11-31T00:00:00Z",
	    "2026-02-29T00:00:00Z",
	    "1900-02-29T00:00:00Z",
	    "2026-11-25T24:00:00Z",
	    "2026-11-25T23:60:00Z",
	    "2026-11-25T23:59:60Z",
	    "+2026-11-25T17:27:10Z",
	    "2026-1-25T17:27:10Z",
	    "2026-11-25T17:27:10ZZ",
	    "2026-11-25T17:27:10.12a3Z",
	    "-026-11-25T17:27:10Z",
	    "2026-11-25T17:27:10 Z",
	};
	int64_t ms = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], &ms);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
	}
	CHECK_EQ_INT(ms, 42);
	/* the length bounds the read */
	CHECK_EQ_INT(lk_timefmt_parse("2026-11-25T17:27:10Z", 19, &ms), LK_E_MALFORMED);
}

static void
test_roundtrip(void)
{
	char out[LK_TIMEFMT_LEN + 1];
	int64_t back, bad = 0;

	/* every ~13 days 1900..2200 plus odd milliseconds */
	for (int64_t t = -2208988800000LL; t < 7258118400000LL; t += 1123456789LL) {
		if (lk_timefmt_format(t, out) != LK_OK ||
		    lk_timefmt_parse(out, strlen(out), &back) != LK_OK || back != t) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

int
main(void)
{
	RUN(test_format);
	RUN(test_parse);
	RUN(test_parse_refused);
	RUN(test_roundtrip);
	return check_done("test_timefmt");
}
