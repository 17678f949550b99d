/* fuzz_cose.c: COSE_Key decoding into an EVP_PKEY, and a signature check with the result. */
#include "core/rc.h"
#include "core/webauthn/cose.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_wa_cose_key k;
	struct lk_wa_error e;
	static const uint8_t msg[] = "latchkey";
	static const uint8_t sig[72] = {0x30, 0x44, 0x02, 0x20, 0x01};

	if (lk_wa_cose_parse(data, size, &k, &e) == LK_OK) {
		(void)lk_wa_sig_verify(k.alg, k.pkey, 1, msg, sizeof(msg), sig, sizeof(sig));
		lk_wa_cose_clear(&k);
	}
	return 0;
}
