/* test_duration.c: the duration grammar of API-NOTES 140. */
#include "check.h"
#include "core/duration.h"

static void
test_valid(void)
{
	static const struct {
		const char *in;
		long long ms;
	} ok[] = {
	    {"0", 0},
	    {"0s", 0},
	    {"30", 30000},
	    {"30s", 30000},
	    {"15m", 900000},
	    {"24h", 86400000},
	    {"30d", 2592000000},
	    {"7d", 604800000},
	    {"250ms", 250},
	    {"1h30m", 5400000},
	    {"1d2h3m4s5ms", 93784005},
	    {"10m10m", 1200000},
	    {"0010s", 10000},
	    {"1m0s", 60000},
	    {"9223372036854775807ms", 9223372036854775807LL},
	    {"9223372036854775s", 9223372036854775000LL},
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = -1;
		CHECK_EQ_INT(lk_duration_parse(ok[i].in, &ms), LK_OK);
		CHECK_EQ_INT(ms, ok[i].ms);
	}
}

static void
test_refused(void)
{
	const char *junk[] = {
	    "",     " 1s", "1s ", "-1s",  "+1s",  "1.5h", "s",   "ms", "1x", "1S", "1H",   "1sec",
	    "1h30", "h1",  "1 h", "1mss", "1m s", "0x10", "1e3", "1w", "1y", "\t", "1s\n",
	};
	int64_t ms = 42;

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		int rc = lk_duration_parse(junk[i], &ms);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "\"%s\" gave %d\n", junk[i], rc);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
		CHECK_EQ_INT(ms, 42);
	}
	CHECK_EQ_INT(lk_duration_parse(NULL, &ms), LK_E_INVAL);
	CHECK_EQ_INT(lk_duration_parse("1s", NULL), LK_E_INVAL);
}

static void
test_overflow(void)
{
	int64_t ms = 42;

	CHECK_EQ_INT(lk_duration_parse("9223372036854775808ms", &ms), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_duration_parse("9223372036854776s", &ms), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_duration_parse("9223372036854776", &ms), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_duration_parse("106751991168d", &ms), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_duration_parse("99999999999999999999999999s", &ms), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_duration_parse("9223372036854775807ms1ms", &ms), LK_E_TOOBIG);
	CHECK_EQ_INT(ms, 42);
	CHECK_EQ_INT(lk_duration_parse("106751991167d", &ms), LK_OK);
	CHECK_EQ_INT(ms, 106751991167LL * 86400000LL);
}

int
main(void)
{
	RUN(test_valid);
	RUN(test_refused);
	RUN(test_overflow);
	return check_done("test_duration");
}
