/* fuzz_authdata.c: authenticatorData parsing, with and without decoding the COSE key. */
#include <string.h>

#include "core/rc.h"
#include "core/webauthn/authdata.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_wa_authdata a;
	struct lk_wa_cose_key k;
	struct lk_wa_error e;

	if (lk_wa_authdata_parse(data, size, &a, &k, &e) == LK_OK) {
		lk_wa_cose_clear(&k);
	}
	if (lk_wa_authdata_parse(data, size, &a, NULL, &e) == LK_OK &&
	    (a.cred_id_len > size || a.cose_len > size || a.ext_len > size)) {
		__builtin_trap();
	}
	return 0;
}
