/* fuzz_clientdata.c: clientDataJSON parsing and checks, for both ceremonies, with and
 * without accepted top origins. The challenge and origin are compared in constant time,
 * which libFuzzer cannot see through, so a third round takes the expected challenge and
 * origin from the input itself to reach the checks behind them. */
#include <jansson.h>
#include <string.h>

#include "core/rc.h"
#include "core/webauthn/clientdata.h"
#include "fuzz.h"

static const char *const origins[] = {"https://example.org", "https://soft.example"};
static const char *const tops[] = {"https://example.com"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_wa_config cfg;
	struct lk_wa_error e;
	json_t *j;

	memset(&cfg, 0, sizeof(cfg));
	cfg.rp_id = "example.org";
	cfg.origins = origins;
	cfg.n_origins = 2;
	(void)lk_wa_clientdata_check(&cfg, data, size, "webauthn.create", "Y2hhbGxlbmdl", &e);
	cfg.top_origins = tops;
	cfg.n_top_origins = 1;
	(void)lk_wa_clientdata_check(&cfg, data, size, "webauthn.get", "Y2hhbGxlbmdl", &e);

	j = json_loadb((const char *)data, size, 0, NULL);
	if (json_is_object(j)) {
		const char *ch = json_string_value(json_object_get(j, "challenge"));
		const char *own[1] = {json_string_value(json_object_get(j, "origin"))};
		const char *type = json_string_value(json_object_get(j, "type"));
		if (ch && own[0] && type) {
			cfg.origins = own;
			cfg.n_origins = 1;
			(void)lk_wa_clientdata_check(&cfg, data, size, type, ch, &e);
		}
	}
	json_decref(j);
	return 0;
}
