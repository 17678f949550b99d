/* qr.c: libqrencode symbol -> SVG. The text is ours (an otpauth URI built by the server),
 * but it holds the user's email, so nothing of it is written into the SVG as text. Runs of
 * dark modules on a row become one rectangle to keep the document small. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "core/qr.h"

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

__attribute__((format(printf, 2, 3))) static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed) {
		return;
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap * 2 + (size_t)n;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

lk_rc
lk_qr_svg(const char *text, char **out_svg, size_t *out_len)
{
	QRcode *qr = NULL;
	struct buf b = {0};
	int w, size;
	lk_rc rc = LK_E_NOMEM;

	if (!out_svg) {
		return LK_E_INVAL;
	}
	*out_svg = NULL;
	if (out_len) {
		*out_len = 0;
	}
	if (!text || text[0] == '\0') {
		return LK_E_INVAL;
	}
	errno = 0;
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!qr) {
		rc = errno == ERANGE ? LK_E_TOOBIG : errno == EINVAL ? LK_E_INVAL : LK_E_NOMEM;
		goto out;
	}
	w = qr->width;
	size = w + 2 * LK_QR_QUIET_ZONE;
	b.cap = 4096;
	if (!(b.p = malloc(b.cap))) {
		goto out;
	}
	put(&b,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	    size, size, size, size);
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			/* bit 0 of each byte: dark module */
			if (!(qr->data[y * w + x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < w && (qr->data[y * w + x + run] & 1)) {
				run++;
			}
			put(&b, "M%d %dh%dv1h-%dz", x + LK_QR_QUIET_ZONE, y + LK_QR_QUIET_ZONE, run,
			    run);
			x += run;
		}
	}
	put(&b, "\"/></svg>\n");
	if (b.failed) {
		goto out;
	}
	*out_svg = b.p;
	if (out_len) {
		*out_len = b.len;
	}
	b.p = NULL;
	rc = LK_OK;
out:
	free(b.p);
	QRcode_free(qr);
	return rc;
}
