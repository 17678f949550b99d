/* fuzz_clientdata.c: clientDataJSON parsing and checks, for both ceremonies, with and
 * without accepted top origins. */
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

	memset(&cfg, 0, sizeof(cfg));
	cfg.rp_id = "example.org";
	cfg.origins = origins;
	cfg.n_origins = 2;
	(void)lk_wa_clientdata_check(&cfg, data, size, "webauthn.create", "Y2hhbGxlbmdl", &e);
	cfg.top_origins = tops;
	cfg.n_top_origins = 1;
	(void)lk_wa_clientdata_check(&cfg, data, size, "webauthn.get", "Y2hhbGxlbmdl", &e);
	return 0;
}
