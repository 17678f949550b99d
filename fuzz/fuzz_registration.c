/* fuzz_registration.c: the whole registration ceremony. The input is a JSON object shaped
 * like a vector case: {"expected": {"challenge","origin","rpId","now"?,"topOrigin"?},
 * "response": RegistrationResponseJSON}, so seeds from the corpus get past the
 * clientData checks and mutations reach the attestation formats. */
#include <string.h>

#include <jansson.h>

#include "core/rc.h"
#include "core/webauthn/webauthn.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	json_t *exp = json_object_get(in, "expected");
	const char *origin = json_string_value(json_object_get(exp, "origin"));
	const char *top = json_string_value(json_object_get(exp, "topOrigin"));
	const char *rp = json_string_value(json_object_get(exp, "rpId"));
	const char *ch = json_string_value(json_object_get(exp, "challenge"));
	struct lk_wa_config cfg;
	struct lk_wa_registration r;
	struct lk_wa_error e;

	if (origin != NULL && rp != NULL && ch != NULL) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.rp_id = rp;
		cfg.origins = &origin;
		cfg.n_origins = 1;
		cfg.top_origins = &top;
		cfg.n_top_origins = top != NULL ? 1 : 0;
		cfg.now_ms = 1600000000000LL;
		if (json_is_integer(json_object_get(exp, "nowMs"))) {
			cfg.now_ms = (int64_t)json_integer_value(json_object_get(exp, "nowMs"));
		}
		if (lk_wa_verify_registration(&cfg, json_object_get(in, "response"), ch, 0, 0, &r,
		                              &e) == LK_OK) {
			lk_wa_registration_clear(&r);
		}
	}
	json_decref(in);
	return 0;
}
