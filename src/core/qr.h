/* qr.h: QR codes of otpauth URIs as SVG (GET /2fa/totp/qr.svg and the qrSvg of
 * /2fa/totp/setup). */
#ifndef LK_QR_H
#define LK_QR_H

#include <stddef.h>

#include "core/rc.h"

#define LK_QR_QUIET_ZONE 4 /* modules of margin, as ISO/IEC 18004 asks */

/* Encodes the NUL-terminated text (8-bit mode, error correction M, smallest version) as a
 * self-contained SVG document: <svg xmlns=... viewBox="0 0 N N"> with a white background
 * and one black <path> made of unit squares, N = modules + 2 * LK_QR_QUIET_ZONE.
 * *out_svg is malloc'ed and NUL-terminated (caller frees); *out_len its length (may be
 * NULL). LK_OK; LK_E_INVAL (NULL or empty text); LK_E_TOOBIG (does not fit a QR code);
 * LK_E_NOMEM. */
lk_rc lk_qr_svg(const char *text, char **out_svg, size_t *out_len);

#endif
