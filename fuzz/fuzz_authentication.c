/* fuzz_authentication.c: the whole authentication ceremony. The input is a JSON object
 * shaped like a vector case: {"expected": {"challenge","origin","rpId","topOrigin"?},
 * "credential": {"publicKey","signCount"}, "response": AuthenticationResponseJSON}. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/rc.h"
#include "core/webauthn/wa_util.h"
#include "core/webauthn/webauthn.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	json_t *exp = json_object_get(in, "expected"), *cred = json_object_get(in, "credential");
	json_t *pkj = json_object_get(cred, "publicKey");
	const char *origin = json_string_value(json_object_get(exp, "origin"));
	const char *top = json_string_value(json_object_get(exp, "topOrigin"));
	const char *rp = json_string_value(json_object_get(exp, "rpId"));
	const char *ch = json_string_value(json_object_get(exp, "challenge"));
	struct lk_wa_config cfg;
	struct lk_wa_assertion a;
	struct lk_wa_error e;
	uint8_t *pk = NULL, id[1023], uh[64];
	size_t pk_len = 0, id_len, uh_len;
	int rc;

	memset(id, 0, sizeof(id));
	if (origin != NULL && rp != NULL && ch != NULL && json_is_string(pkj) &&
	    lk_wa_b64u_decode(json_string_value(pkj), json_string_length(pkj), 65536, &pk,
	                      &pk_len) == LK_OK) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.rp_id = rp;
		cfg.origins = &origin;
		cfg.n_origins = 1;
		cfg.top_origins = &top;
		cfg.n_top_origins = top != NULL ? 1 : 0;
		(void)lk_wa_assertion_ids(json_object_get(in, "response"), id, &id_len, uh, &uh_len,
		                          &e);
		rc = lk_wa_verify_authentication(
		    &cfg, json_object_get(in, "response"), ch, pk, pk_len,
		    (uint32_t)json_integer_value(json_object_get(cred, "signCount")), -1, NULL, 0,
		    0, 0, &a, &e);
		rc |= lk_wa_verify_authentication(&cfg, json_object_get(in, "response"), ch, pk,
		                                  pk_len, 0, 1, id, 3, 1, 1, &a, &e);
		if (rc > 0) {
			__builtin_trap(); /* results are LK_OK or negative */
		}
	}
	free(pk);
	json_decref(in);
	return 0;
}
