/* attest_tpm.c: the tpm attestation format (WebAuthn §8.3). */
#include "core/rc.h"
#include "core/webauthn/attest.h"
#include "core/webauthn/wa_util.h"

int
lk_wa_att_tpm(struct lk_wa_att *a, struct lk_wa_error *err)
{
	(void)a;
	return lk_wa_fail(err, LK_E_UNSUPPORTED, "format", "tpm: not implemented yet");
}
