/* attest_android.c: android-key and android-safetynet attestation (WebAuthn §8.4, §8.5). */
#include "core/rc.h"
#include "core/webauthn/attest.h"
#include "core/webauthn/wa_util.h"

int
lk_wa_att_android_key(struct lk_wa_att *a, struct lk_wa_error *err)
{
	(void)a;
	return lk_wa_fail(err, LK_E_UNSUPPORTED, "format", "android-key: not implemented yet");
}

int
lk_wa_att_android_safetynet(struct lk_wa_att *a, struct lk_wa_error *err)
{
	(void)a;
	return lk_wa_fail(err, LK_E_UNSUPPORTED, "format",
	                  "android-safetynet: not implemented yet");
}
