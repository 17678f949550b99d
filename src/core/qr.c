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
#include "core/strbuf.h"

lk_rc
lk_qr_svg(const char *text, char **out_svg, size_t *out_len)
{
	QRcode *qr = NULL;
	struct lk_strbuf b = {0};
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
	lk_strbuf_printf(&b,
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
			lk_strbuf_printf(&b, "M%d %dh%dv1h-%dz", x + LK_QR_QUIET_ZONE,
			                 y + LK_QR_QUIET_ZONE, run, run);
			x += run;
		}
	}
	lk_strbuf_printf(&b, "\"/></svg>\n");
	if (!(*out_svg = lk_strbuf_take(&b, out_len))) {
		goto out;
	}
	rc = LK_OK;
out:
	free(lk_strbuf_take(&b, NULL));
	QRcode_free(qr);
	return rc;
}
