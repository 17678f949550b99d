/* email.c: the email rule of API.md / API-NOTES 22-24. Untrusted input (request bodies,
 * command-line arguments); the output is the canonical key of an account. */
#include <stdint.h>
#include <string.h>

#include "core/email.h"
#include "core/utf8.h"

static int
is_trim_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* SPEC API-NOTES 24: code points refused anywhere in an address. */
static int
refused_cp(uint32_t cp)
{
	return cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
	       cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

lk_rc
lk_email_normalize(const char *in, size_t in_len, char out[LK_MAX_EMAIL + 1], size_t *out_len)
{
	size_t start = 0, end = in_len, len, pos, at = 0, ats = 0, labels, label_len;
	uint32_t cp;
	lk_rc rc = LK_E_MALFORMED;

	if (!out) {
		return LK_E_INVAL;
	}
	out[0] = '\0';
	if (out_len) {
		*out_len = 0;
	}
	if (!in) {
		return in_len ? LK_E_INVAL : LK_E_MALFORMED;
	}
	/* SPEC API-NOTES 22: trim ASCII whitespace */
	while (start < end && is_trim_space(in[start])) {
		start++;
	}
	while (end > start && is_trim_space(in[end - 1])) {
		end--;
	}
	len = end - start;
	/* SPEC API-NOTES 23: at most 254 bytes */
	if (len > LK_MAX_EMAIL) {
		return LK_E_TOOBIG;
	}
	if (len == 0) {
		return LK_E_MALFORMED;
	}
	memcpy(out, in + start, len);
	out[len] = '\0';
	/* SPEC API-NOTES 4, 24: strict UTF-8 and no refused code points */
	for (pos = 0; pos < len;) {
		size_t here = pos;
		if (lk_utf8_next(out, len, &pos, &cp) != LK_OK || refused_cp(cp)) {
			goto out;
		}
		if (cp == '@') {
			at = here;
			ats++;
		} else if (cp >= 'A' && cp <= 'Z') {
			out[here] = (char)(cp - 'A' + 'a');
		}
	}
	/* SPEC API-NOTES 23: exactly one '@', local part 1..64 bytes */
	if (ats != 1 || at == 0) {
		goto out;
	}
	if (at > LK_MAX_EMAIL_LOCAL) {
		rc = LK_E_TOOBIG;
		goto out;
	}
	/* SPEC API-NOTES 23: domain of at least two non-empty dot-separated labels */
	labels = 0;
	label_len = 0;
	for (pos = at + 1; pos <= len; pos++) {
		if (pos == len || out[pos] == '.') {
			if (label_len == 0) {
				goto out;
			}
			labels++;
			label_len = 0;
		} else {
			label_len++;
		}
	}
	if (labels < 2) {
		goto out;
	}
	if (out_len) {
		*out_len = len;
	}
	rc = LK_OK;
out:
	if (rc != LK_OK) {
		memset(out, 0, LK_MAX_EMAIL + 1);
	}
	return rc;
}
