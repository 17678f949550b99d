/* fuzz_cbor.c: the strict CBOR reader (and every typed getter over what it accepts). */
#include <stdlib.h>

#include "core/rc.h"
#include "core/webauthn/cbor.h"
#include "fuzz.h"

static void
walk(const struct lk_wa_cbor *it, int depth)
{
	const uint8_t *p;
	const char *t;
	size_t n, i;
	int64_t v;
	int b;

	if (it == NULL || depth > 64) {
		return;
	}
	(void)lk_wa_cbor_int(it, &v);
	(void)lk_wa_cbor_bytes(it, &p, &n);
	(void)lk_wa_cbor_text(it, &t, &n);
	(void)lk_wa_cbor_bool(it, &b);
	(void)lk_wa_cbor_text_is(it, "fmt");
	n = lk_wa_cbor_count(it);
	for (i = 0; i <= n; i++) {
		walk(lk_wa_cbor_array_at(it, i), depth + 1);
		walk(lk_wa_cbor_map_key_at(it, i), depth + 1);
		walk(lk_wa_cbor_map_value_at(it, i), depth + 1);
	}
	(void)lk_wa_cbor_map_int(it, 3);
	(void)lk_wa_cbor_map_str(it, "authData");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_wa_cbor *it = NULL;
	size_t used = 0;

	if (lk_wa_cbor_decode(data, size, NULL, &it) == LK_OK) {
		walk(it, 0);
		lk_wa_cbor_free(it);
	}
	if (lk_wa_cbor_decode(data, size, &used, &it) == LK_OK) {
		if (used == 0 || used > size) {
			abort();
		}
		walk(it, 0);
		lk_wa_cbor_free(it);
	}
	return 0;
}
