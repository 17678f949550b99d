/* test_utf8.c: strict UTF-8 validation, decoding and counting. */
#include "check.h"
#include "core/utf8.h"

#define V(lit) lk_utf8_validate(lit, sizeof(lit) - 1)

static void
test_valid(void)
{
	size_t n = 99;

	CHECK_EQ_INT(lk_utf8_count("", 0, &n), LK_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(lk_utf8_count(NULL, 0, &n), LK_OK);
	CHECK_EQ_INT(lk_utf8_count("abc", 3, &n), LK_OK);
	CHECK_EQ_INT(n, 3);
	/* U+00E9, U+20AC, U+1F600, each boundary of each length */
	CHECK_EQ_INT(lk_utf8_count("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, &n), LK_OK);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(V("\x7f"), LK_OK);
	CHECK_EQ_INT(V("\xc2\x80"), LK_OK);         /* U+0080 */
	CHECK_EQ_INT(V("\xdf\xbf"), LK_OK);         /* U+07FF */
	CHECK_EQ_INT(V("\xe0\xa0\x80"), LK_OK);     /* U+0800 */
	CHECK_EQ_INT(V("\xed\x9f\xbf"), LK_OK);     /* U+D7FF */
	CHECK_EQ_INT(V("\xee\x80\x80"), LK_OK);     /* U+E000 */
	CHECK_EQ_INT(V("\xef\xbf\xbf"), LK_OK);     /* U+FFFF */
	CHECK_EQ_INT(V("\xf0\x90\x80\x80"), LK_OK); /* U+10000 */
	CHECK_EQ_INT(V("\xf4\x8f\xbf\xbf"), LK_OK); /* U+10FFFF */
	CHECK_EQ_INT(lk_utf8_validate("a\0b", 3), LK_OK);
}

static void
test_invalid(void)
{
	size_t n = 77;

	CHECK_EQ_INT(V("\x80"), LK_E_MALFORMED); /* lone continuation */
	CHECK_EQ_INT(V("\xbf"), LK_E_MALFORMED);
	CHECK_EQ_INT(V("\xc0\x80"), LK_E_MALFORMED);         /* overlong NUL */
	CHECK_EQ_INT(V("\xc1\xbf"), LK_E_MALFORMED);         /* overlong 2-byte */
	CHECK_EQ_INT(V("\xe0\x9f\xbf"), LK_E_MALFORMED);     /* overlong 3-byte */
	CHECK_EQ_INT(V("\xf0\x8f\xbf\xbf"), LK_E_MALFORMED); /* overlong 4-byte */
	CHECK_EQ_INT(V("\xed\xa0\x80"), LK_E_MALFORMED);     /* U+D800 */
	CHECK_EQ_INT(V("\xed\xbf\xbf"), LK_E_MALFORMED);     /* U+DFFF */
	CHECK_EQ_INT(V("\xf4\x90\x80\x80"), LK_E_MALFORMED); /* U+110000 */
	CHECK_EQ_INT(V("\xf5\x80\x80\x80"), LK_E_MALFORMED);
	CHECK_EQ_INT(V("\xff"), LK_E_MALFORMED);
	CHECK_EQ_INT(V("\xfe"), LK_E_MALFORMED);
	CHECK_EQ_INT(V("\xc3"), LK_E_MALFORMED); /* truncated */
	CHECK_EQ_INT(V("\xe2\x82"), LK_E_MALFORMED);
	CHECK_EQ_INT(V("\xf0\x9f\x98"), LK_E_MALFORMED);
	CHECK_EQ_INT(V("\xc3\x28"), LK_E_MALFORMED); /* bad continuation */
	CHECK_EQ_INT(V("\xe2\x28\xa1"), LK_E_MALFORMED);
	CHECK_EQ_INT(V("abc\xc3"), LK_E_MALFORMED); /* at the end */
	/* the length bounds the read: a valid sequence cut by s_len is refused */
	CHECK_EQ_INT(lk_utf8_validate("\xc3\xa9", 1), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_utf8_count("\xed\xa0\x80", 3, &n), LK_E_MALFORMED);
	CHECK_EQ_INT(n, 77);
	CHECK_EQ_INT(lk_utf8_validate(NULL, 1), LK_E_INVAL);
}

static void
test_next(void)
{
	const char *s = "a\xe2\x82\xac\xf0\x9f\x98\x80";
	size_t pos = 0;
	uint32_t cp = 0;

	CHECK_EQ_INT(lk_utf8_next(s, 8, &pos, &cp), LK_OK);
	CHECK_EQ_INT(cp, 'a');
	CHECK_EQ_INT(pos, 1);
	CHECK_EQ_INT(lk_utf8_next(s, 8, &pos, &cp), LK_OK);
	CHECK_EQ_INT(cp, 0x20ac);
	CHECK_EQ_INT(pos, 4);
	CHECK_EQ_INT(lk_utf8_next(s, 8, &pos, &cp), LK_OK);
	CHECK_EQ_INT(cp, 0x1f600);
	CHECK_EQ_INT(pos, 8);
	CHECK_EQ_INT(lk_utf8_next(s, 8, &pos, &cp), LK_E_INVAL);
	pos = 0;
	CHECK_EQ_INT(lk_utf8_next("\xc3", 1, &pos, &cp), LK_E_MALFORMED);
	CHECK_EQ_INT(pos, 0);
}

/* Every 1- to 3-byte sequence against an independent definition of validity. */
static void
test_exhaustive(void)
{
	unsigned char b[3];
	unsigned long bad = 0;

	for (unsigned a = 0; a < 256; a++) {
		for (unsigned c = 0; c < 256; c++) {
			b[0] = (unsigned char)a;
			b[1] = (unsigned char)c;
			int ok2 = a >= 0xc2 && a <= 0xdf && c >= 0x80 && c <= 0xbf;
			int ok2ascii = a < 0x80 && c < 0x80;
			int want = ok2 || ok2ascii;
			if ((lk_utf8_validate((const char *)b, 2) == LK_OK) != want) {
				bad++;
			}
		}
	}
	for (unsigned a = 0xe0; a <= 0xef; a++) {
		for (unsigned c = 0x80; c <= 0xbf; c++) {
			b[0] = (unsigned char)a;
			b[1] = (unsigned char)c;
			b[2] = 0x80;
			unsigned long v = ((a & 0x0fu) << 12) | ((c & 0x3fu) << 6);
			int want = v >= 0x800 && !(v >= 0xd800 && v <= 0xdfff);
			if ((lk_utf8_validate((const char *)b, 3) == LK_OK) != want) {
				bad++;
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
}

int
main(void)
{
	RUN(test_valid);
	RUN(test_invalid);
	RUN(test_next);
	RUN(test_exhaustive);
	return check_done("test_utf8");
}
