/* test_qr.c: the SVG rendering of QR codes: document shape, quiet zone, finder patterns,
 * and module-for-module agreement with libqrencode's symbol. */
#include <stdlib.h>

#include <qrencode.h>

#include "check.h"
#include "core/qr.h"

/* Paints the path's rectangles ("Mx yhNv1h-Nz") into grid (size x size); returns the
 * number of rectangles, or -1 if the path has another shape or overlaps. */
static int
paint(const char *svg, unsigned char *grid, int size)
{
	const char *d = strstr(svg, " d=\"");
	int rects = 0;

	if (!d) {
		return -1;
	}
	d += 4;
	while (*d == 'M') {
		int x, y, n, n2, used = 0;
		if (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used) != 4 || used == 0 ||
		    n != n2 || n < 1 || x < 0 || y < 0 || x + n > size || y >= size) {
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (grid[y * size + x + i]) {
				return -1;
			}
			grid[y * size + x + i] = 1;
		}
		rects++;
		d += used;
	}
	return strncmp(d, "\"/></svg>", 9) == 0 ? rects : -1;
}

static void
check_finder(const unsigned char *g, int size, int ox, int oy)
{
	/* 7x7: dark ring, light ring, 3x3 dark centre */
	for (int y = 0; y < 7; y++) {
		for (int x = 0; x < 7; x++) {
			int ring = x == 0 || y == 0 || x == 6 || y == 6;
			int centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
			CHECK_EQ_INT(g[(oy + y) * size + ox + x], ring || centre);
		}
	}
}

static void
check_symbol(const char *text, int want_modules)
{
	char *svg = NULL;
	size_t len = 0;
	char head[200];

	CHECK_EQ_INT(lk_qr_svg(text, &svg, &len), LK_OK);
	if (!svg) {
		return;
	}
	CHECK_EQ_INT(len, strlen(svg));
	QRcode *ref = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	CHECK(ref != NULL);
	if (!ref) {
		free(svg);
		return;
	}
	int w = ref->width, size = w + 2 * LK_QR_QUIET_ZONE;
	if (want_modules) {
		CHECK_EQ_INT(w, want_modules);
	}
	snprintf(head, sizeof(head),
	         "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"", size, size);
	CHECK(strncmp(svg, head, strlen(head)) == 0);
	/* exactly one path */
	CHECK(strstr(svg, "<path") && !strstr(strstr(svg, "<path") + 1, "<path"));
	unsigned char *grid = calloc((size_t)size * size, 1);
	CHECK(grid != NULL);
	if (!grid) {
		QRcode_free(ref);
		free(svg);
		return;
	}
	CHECK(paint(svg, grid, size) > 0);
	int diff = 0, quiet = 0;
	for (int y = 0; y < size; y++) {
		for (int x = 0; x < size; x++) {
			int inside = x >= LK_QR_QUIET_ZONE && x < LK_QR_QUIET_ZONE + w &&
			             y >= LK_QR_QUIET_ZONE && y < LK_QR_QUIET_ZONE + w;
			if (!inside) {
				quiet += grid[y * size + x];
				continue;
			}
			int want = ref->data[(y - LK_QR_QUIET_ZONE) * w + x - LK_QR_QUIET_ZONE] & 1;
			diff += grid[y * size + x] != want;
		}
	}
	CHECK_EQ_INT(diff, 0);
	CHECK_EQ_INT(quiet, 0);
	/* finder patterns at three corners */
	check_finder(grid, size, LK_QR_QUIET_ZONE, LK_QR_QUIET_ZONE);
	check_finder(grid, size, LK_QR_QUIET_ZONE + w - 7, LK_QR_QUIET_ZONE);
	check_finder(grid, size, LK_QR_QUIET_ZONE, LK_QR_QUIET_ZONE + w - 7);
	/* the text (an email is in it) is not written into the document */
	CHECK(strstr(svg, "example.com") == NULL);
	free(grid);
	QRcode_free(ref);
	free(svg);
}

static void
test_symbols(void)
{
	check_symbol("hello", 21); /* version 1 */
	check_symbol(
	    "otpauth://totp/latchkey:alice@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	    "&issuer=latchkey&algorithm=SHA1&digits=6&period=30",
	    0);
	char big[1500];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "example.org:", 12);
	check_symbol(big, 0);
}

static void
test_refusals(void)
{
	char *svg = (char *)0x1;
	size_t n = 5;
	char huge[4000];

	CHECK_EQ_INT(lk_qr_svg("", &svg, &n), LK_E_INVAL);
	CHECK(svg == NULL);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(lk_qr_svg(NULL, &svg, &n), LK_E_INVAL);
	CHECK_EQ_INT(lk_qr_svg("x", NULL, &n), LK_E_INVAL);
	/* version 40-M holds 2331 bytes */
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	CHECK_EQ_INT(lk_qr_svg(huge, &svg, &n), LK_E_TOOBIG);
	CHECK(svg == NULL);
	huge[2331] = '\0';
	CHECK_EQ_INT(lk_qr_svg(huge, &svg, &n), LK_OK);
	free(svg);
	huge[2331] = 'a';
	huge[2332] = '\0';
	CHECK_EQ_INT(lk_qr_svg(huge, &svg, &n), LK_E_TOOBIG);
}

int
main(void)
{
	RUN(test_symbols);
	RUN(test_refusals);
	return check_done("test_qr");
}
