/* test_webauthn_verify.c: authenticatorData and COSE parsing edges and the public
 * registration/authentication API of core/webauthn on vectors soft-none-es256 and
 * soft-auth-es256 (same credential): truncation at every byte, trailing bytes, wrong
 * types, the counter, user handle, backup flag and allow-list rules, error messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "core/rc.h"
#include "core/webauthn/authdata.h"
#include "core/webauthn/cbor.h"
#include "core/webauthn/clientdata.h"
#include "core/webauthn/cose.h"
#include "core/webauthn/wa_util.h"
#include "core/webauthn/webauthn.h"

static const char cred_id[] = "Qjtr_W3RYKlz2MEPO2ZMOIEAZ5i9k833ggjiN2EnG1M";
static const char reg_cdj[] =
    "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiR1ZaaXFScE94WVFIbnlQRmJxYnc1X2xaUVh1WU"
    "95SG16YVI4WHh5ZjRlZyIsIm9yaWdpbiI6Imh0dHBzOi8vc29mdC5leGFtcGxlIiwiY3Jvc3NPcmlnaW4iOmZhbHNl"
    "fQ";
static const char reg_ao[] =
    "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVik6ZJIVf1BBluE_x_wOvxXYoHJeyw-mQ4vFvFhd_yCRK5BAAAAALP"
    "e79cwQudyvKTn9uQYIg8AIEI7a_1t0WCpc9jBDztmTDiBAGeYvZPN94II4jdhJxtTpQECAyYgASFYIIw-8--waCopfo"
    "wbiz7eB4QBS5AYJVyMbQQp-reKIiyFIlggAB2MGDfwt_xkcTtCVbT8XIIb_mV-_wcYm8tS9UMGbyw";
static const char reg_challenge[] = "GVZiqRpOxYQHnyPFbqbw5_lZQXuYOyHmzaR8Xxyf4eg";
static const char auth_cdj[] =
    "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiNUh0Y0ZsQXNqb3BDbVQ1TklKMHBYRFpPdzJSSUNDblc5"
    "cVBZbzZIcUk1OCIsIm9yaWdpbiI6Imh0dHBzOi8vc29mdC5leGFtcGxlIiwiY3Jvc3NPcmlnaW4iOmZhbHNlfQ";
static const char auth_ad[] = "6ZJIVf1BBluE_x_wOvxXYoHJeyw-mQ4vFvFhd_yCRK4BAAAAAQ";
static const char auth_sig[] =
    "MEYCIQDRgZZEkxoNkP4qjqyFpxSV478AHG0ddjnLThS0E3eZCwIhAJesJc76KD5x87Rk"
    "WoIMDAe1ddfCTLVk2VxsJNwJ2Kcj";
static const char auth_uh[] = "c29mdC11c2VyLTE";
static const char auth_challenge[] = "5HtcFlAsjopCmT5NIJ0pXDZOw2RICCnW9qPYo6HqI58";
static const char cose_pk[] = "pQECAyYgASFYIIw-8--waCopfowbiz7eB4QBS5AYJVyMbQQp-reKIiyFIlggAB2MGDf"
                              "wt_xkcTtCVbT8XIIb_mV-_wcYm8tS9UMGbyw";

static const char *const origins[] = {"https://soft.example"};

static struct lk_wa_config
config(void)
{
	struct lk_wa_config c;
	memset(&c, 0, sizeof(c));
	c.rp_id = "soft.example";
	c.origins = origins;
	c.n_origins = 1;
	c.now_ms = 1700000000000LL;
	return c;
}

static uint8_t *
b64(const char *s, size_t *n)
{
	uint8_t *out = NULL;
	if (lk_wa_b64u_decode(s, strlen(s), 1 << 16, &out, n) != LK_OK) {
		return NULL;
	}
	return out;
}

static json_t *
reg_response(const char *ao)
{
	return json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:[s]}}", "id", cred_id, "rawId", cred_id, "type",
	                 "public-key", "response", "clientDataJSON", reg_cdj, "attestationObject",
	                 ao, "transports", "internal");
}

static json_t *
auth_response(int with_user_handle)
{
	json_t *r = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "id", cred_id, "rawId", cred_id,
	                      "type", "public-key", "response", "clientDataJSON", auth_cdj,
	                      "authenticatorData", auth_ad, "signature", auth_sig);
	if (r != NULL && with_user_handle) {
		json_object_set_new(json_object_get(r, "response"), "userHandle",
		                    json_string(auth_uh));
	}
	return r;
}

/* err->message is "<check>: <detail>" and check is the expected one */
static int
err_is(const struct lk_wa_error *e, const char *check)
{
	size_t n = strlen(check);
	return e->check != NULL && strcmp(e->check, check) == 0 &&
	       strncmp(e->message, check, n) == 0 && e->message[n] == ':';
}

/* authData of the registration vector */
static uint8_t *
reg_auth_data(size_t *n)
{
	size_t ao_len = 0;
	uint8_t *ao = b64(reg_ao, &ao_len), *copy = NULL;
	struct lk_wa_cbor *m = NULL;
	const uint8_t *p;

	*n = 0;
	if (ao != NULL && lk_wa_cbor_decode(ao, ao_len, NULL, &m) == LK_OK &&
	    lk_wa_cbor_bytes(lk_wa_cbor_map_str(m, "authData"), &p, n) == 0 &&
	    (copy = malloc(*n + 1)) != NULL) {
		memcpy(copy, p, *n);
	}
	lk_wa_cbor_free(m);
	free(ao);
	return copy;
}

static void
test_authdata_real(void)
{
	size_t n = 0;
	uint8_t *ad = reg_auth_data(&n);
	struct lk_wa_authdata a;
	struct lk_wa_cose_key k;
	struct lk_wa_error e;

	CHECK(ad != NULL);
	if (ad == NULL) {
		return;
	}
	CHECK_EQ_INT(lk_wa_authdata_parse(ad, n, &a, &k, &e), LK_OK);
	CHECK_EQ_INT(a.flags & LK_WA_FLAG_AT, LK_WA_FLAG_AT);
	CHECK_EQ_INT(a.cred_id_len, 32);
	CHECK_EQ_INT(k.alg, LK_WA_ALG_ES256);
	CHECK_EQ_INT(k.kty, LK_WA_KTY_EC2);
	CHECK_EQ_INT(a.cose_len + 37 + 18 + 32, n);
	lk_wa_cose_clear(&k);
	free(ad);
}

static void
test_authdata_truncation_and_trailing(void)
{
	size_t n = 0, i;
	uint8_t *ad = reg_auth_data(&n), *longer;
	struct lk_wa_authdata a;
	struct lk_wa_cose_key k;
	struct lk_wa_error e;
	int accepted = 0;

	CHECK(ad != NULL);
	if (ad == NULL) {
		return;
	}
	for (i = 0; i < n; i++) {
		if (lk_wa_authdata_parse(ad, i, &a, &k, &e) == LK_OK) {
			accepted++;
			lk_wa_cose_clear(&k);
		}
	}
	CHECK_EQ_INT(accepted, 0);
	longer = malloc(n + 1);
	CHECK(longer != NULL);
	if (longer != NULL) {
		memcpy(longer, ad, n);
		longer[n] = 0xa0; /* an empty map, but ED is clear */
		CHECK_EQ_INT(lk_wa_authdata_parse(longer, n + 1, &a, NULL, &e), LK_E_MALFORMED);
		CHECK(err_is(&e, "authenticatorData"));
		longer[32] |= LK_WA_FLAG_ED; /* ED with an empty map: refused too */
		CHECK_EQ_INT(lk_wa_authdata_parse(longer, n + 1, &a, NULL, &e), LK_E_MALFORMED);
		longer[32] &= (uint8_t)~LK_WA_FLAG_AT; /* AT clear: the key becomes trailing */
		CHECK_EQ_INT(lk_wa_authdata_parse(longer, n + 1, &a, NULL, &e), LK_E_MALFORMED);
	}
	free(longer);
	free(ad);
}

static void
test_authdata_extensions(void)
{
	uint8_t b[37 + 8];
	struct lk_wa_authdata a;
	struct lk_wa_error e;

	memset(b, 0, sizeof(b));
	b[32] = LK_WA_FLAG_UP | LK_WA_FLAG_ED;
	b[37] = 0xa1; /* {"credProtect": 2} shortened to {"cp": 2} */
	b[38] = 0x62;
	b[39] = 'c';
	b[40] = 'p';
	b[41] = 0x02;
	CHECK_EQ_INT(lk_wa_authdata_parse(b, 42, &a, NULL, &e), LK_OK);
	CHECK_EQ_INT(a.ext_len, 5);
	b[38] = 0x01; /* {1: 2}: a well-formed map with an integer extension identifier */
	b[39] = 0x02;
	CHECK_EQ_INT(lk_wa_authdata_parse(b, 40, &a, NULL, &e), LK_E_MALFORMED);
	CHECK(strstr(e.message, "identifier") != NULL);
	b[32] = LK_WA_FLAG_UP;
	CHECK_EQ_INT(lk_wa_authdata_parse(b, 37, &a, NULL, &e), LK_OK);
	CHECK_EQ_INT(a.sign_count, 0);
}

/* OKP keys: {1: 1, 3: -8, -1: crv, -2: x}. A fresh Ed25519 key is accepted; the identity
 * and a non-canonical encoding (y = p) are refused by the point check, a private part, a
 * short x and an unknown curve by the shape checks. */
static size_t
okp_key(uint8_t *b, int crv, const uint8_t *x, size_t xn)
{
	size_t n = 0;

	b[n++] = 0xa4;
	b[n++] = 0x01;
	b[n++] = 0x01;
	b[n++] = 0x03;
	b[n++] = 0x27;
	b[n++] = 0x20;
	b[n++] = (uint8_t)crv;
	b[n++] = 0x21;
	b[n++] = 0x58;
	b[n++] = (uint8_t)xn;
	memcpy(b + n, x, xn);
	return n + xn;
}

static void
test_cose_okp(void)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], x[32], b[64 + 8];
	struct lk_wa_cose_key k;
	struct lk_wa_error e;
	size_t n;

	CHECK_EQ_INT(crypto_sign_keypair(pk, sk), 0);
	CHECK_EQ_INT(lk_wa_cose_parse(b, okp_key(b, 6, pk, sizeof(pk)), &k, &e), LK_OK);
	CHECK(k.pkey != NULL);
	lk_wa_cose_clear(&k);
	memset(x, 0, sizeof(x));
	x[0] = 1; /* the identity point (y = 1): order 1, any signature verifies */
	CHECK_EQ_INT(lk_wa_cose_parse(b, okp_key(b, 6, x, sizeof(x)), &k, &e), LK_E_MALFORMED);
	CHECK(err_is(&e, "publicKey") && strstr(e.message, "Ed25519 point") != NULL);
	memset(x, 0xff, sizeof(x));
	x[0] = 0xed; /* y = 2^255 - 19, not reduced */
	x[31] = 0x7f;
	CHECK_EQ_INT(lk_wa_cose_parse(b, okp_key(b, 6, x, sizeof(x)), &k, &e), LK_E_MALFORMED);
	CHECK(strstr(e.message, "Ed25519 point") != NULL);
	/* a private part beside the public one */
	n = okp_key(b, 6, pk, sizeof(pk));
	b[0] = 0xa5;
	b[n++] = 0x23; /* -4 */
	b[n++] = 0x41;
	b[n++] = 0x00;
	CHECK_EQ_INT(lk_wa_cose_parse(b, n, &k, &e), LK_E_MALFORMED);
	CHECK(strstr(e.message, "private") != NULL);
	CHECK_EQ_INT(lk_wa_cose_parse(b, okp_key(b, 6, pk, 31), &k, &e), LK_E_MALFORMED);
	CHECK(strstr(e.message, "length") != NULL);
	CHECK_EQ_INT(lk_wa_cose_parse(b, okp_key(b, 4, pk, sizeof(pk)), &k, &e), LK_E_MALFORMED);
	CHECK(strstr(e.message, "curve 4") != NULL);
	sodium_memzero(sk, sizeof(sk));
}

static void
test_cose_edges(void)
{
	size_t n = 0;
	uint8_t *pk = b64(cose_pk, &n), bad[128];
	struct lk_wa_cose_key k;
	struct lk_wa_error e;
	/* kty as a text string */
	static const uint8_t kty_text[] = {0xa2, 0x01, 0x61, '2', 0x03, 0x26};
	/* ML-DSA-44 (kty 7, alg -48) */
	static const uint8_t mldsa[] = {0xa2, 0x01, 0x07, 0x03, 0x38, 0x2f};
	/* RSA with a 1024-bit modulus */
	uint8_t rsa[8 + 128 + 8];

	CHECK(pk != NULL);
	if (pk == NULL) {
		return;
	}
	CHECK_EQ_INT(lk_wa_cose_parse(pk, n, &k, &e), LK_OK);
	CHECK_EQ_INT(k.crv, 1);
	CHECK_EQ_INT(k.coord_len, 32);
	lk_wa_cose_clear(&k);
	/* x as an integer: pk is a5 01 02 03 26 20 01 21 58 20 <x> 22 58 20 <y> */
	CHECK_EQ_INT(pk[7], 0x21);
	CHECK(n <= sizeof(bad));
	memcpy(bad, pk, n);
	bad[8] = 0x18; /* x: 0x18 0x20 = the integer 32, then 32 stray bytes */
	CHECK(lk_wa_cose_parse(bad, n, &k, &e) != LK_OK);
	/* x one byte short: drop the last byte of x */
	memcpy(bad, pk, n);
	bad[9] = 0x1f;
	memmove(bad + 41, bad + 42, n - 42);
	CHECK_EQ_INT(lk_wa_cose_parse(bad, n - 1, &k, &e), LK_E_MALFORMED);
	CHECK(err_is(&e, "publicKey"));
	/* wrong alg for the curve */
	memcpy(bad, pk, n);
	bad[4] = 0x27; /* alg -8 (EdDSA) on an EC2 P-256 key */
	CHECK_EQ_INT(lk_wa_cose_parse(bad, n, &k, &e), LK_E_UNSUPPORTED);
	CHECK(err_is(&e, "algorithm"));
	/* a point off the curve */
	memcpy(bad, pk, n);
	bad[n - 1] ^= 1;
	CHECK_EQ_INT(lk_wa_cose_parse(bad, n, &k, &e), LK_E_MALFORMED);
	CHECK(err_is(&e, "publicKey"));
	/* trailing byte after the key */
	memcpy(bad, pk, n);
	bad[n] = 0;
	CHECK_EQ_INT(lk_wa_cose_parse(bad, n + 1, &k, &e), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_wa_cose_parse(kty_text, sizeof(kty_text), &k, &e), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_wa_cose_parse(mldsa, sizeof(mldsa), &k, &e), LK_E_UNSUPPORTED);
	CHECK(err_is(&e, "algorithm"));
	CHECK(strstr(e.message, "unsupported") != NULL);
	/* {1: 3, 3: -257, -1: h'80..' (128 bytes), -2: h'010001'} */
	rsa[0] = 0xa4;
	rsa[1] = 0x01;
	rsa[2] = 0x03;
	rsa[3] = 0x03;
	rsa[4] = 0x39;
	rsa[5] = 0x01;
	rsa[6] = 0x00;
	rsa[7] = 0x20;
	rsa[8] = 0x58;
	rsa[9] = 0x80;
	memset(rsa + 10, 0xc5, 128);
	rsa[138] = 0x21;
	rsa[139] = 0x43;
	rsa[140] = 0x01;
	rsa[141] = 0x00;
	rsa[142] = 0x01;
	CHECK_EQ_INT(lk_wa_cose_parse(rsa, 143, &k, &e), LK_E_MALFORMED);
	CHECK(strstr(e.message, "modulus") != NULL);
	free(pk);
}

static void
test_registration_ok(void)
{
	struct lk_wa_config c = config();
	struct lk_wa_registration r;
	struct lk_wa_error e;
	json_t *resp = reg_response(reg_ao);
	char aaguid[37];

	CHECK_EQ_INT(lk_wa_verify_registration(&c, resp, reg_challenge, 0, 1, &r, &e), LK_OK);
	CHECK_EQ_INT(r.credential_id_len, 32);
	CHECK_EQ_INT(r.alg, LK_WA_ALG_ES256);
	CHECK_EQ_STR(r.fmt, "none");
	CHECK_EQ_STR(r.attestation, "none");
	lk_wa_aaguid_str(r.aaguid, aaguid);
	CHECK_EQ_STR(aaguid, "b3deefd7-3042-e772-bca4-e7f6e418220f");
	CHECK_EQ_INT(json_array_size(r.transports), 1);
	CHECK_EQ_INT(r.public_key_len, 77);
	lk_wa_registration_clear(&r);
	lk_wa_registration_clear(NULL);
	/* UV required but not set; wrong challenge; other origin; RP id */
	CHECK_EQ_INT(lk_wa_verify_registration(&c, resp, reg_challenge, 1, 1, &r, &e), LK_E_VERIFY);
	CHECK(err_is(&e, "userVerification"));
	CHECK_EQ_INT(lk_wa_verify_registration(&c, resp, auth_challenge, 0, 1, &r, &e),
	             LK_E_VERIFY);
	CHECK(err_is(&e, "challenge"));
	CHECK_EQ_STR(e.message, "challenge: mismatch");
	c.rp_id = "other.example";
	CHECK_EQ_INT(lk_wa_verify_registration(&c, resp, reg_challenge, 0, 1, &r, &e), LK_E_VERIFY);
	CHECK(err_is(&e, "rpIdHash"));
	c = config();
	c.origins = (const char *const[]){"https://soft.example:8443"};
	CHECK_EQ_INT(lk_wa_verify_registration(&c, resp, reg_challenge, 0, 1, &r, &e), LK_E_VERIFY);
	CHECK_EQ_STR(e.message, "origin: mismatch");
	c = config();
	c.algs = (const int[]){-8, -257};
	c.n_algs = 2;
	CHECK_EQ_INT(lk_wa_verify_registration(&c, resp, reg_challenge, 0, 1, &r, &e),
	             LK_E_UNSUPPORTED);
	CHECK(err_is(&e, "algorithm"));
	/* id differs from rawId */
	c = config();
	json_object_set_new(resp, "id", json_string("AAAA"));
	CHECK_EQ_INT(lk_wa_verify_registration(&c, resp, reg_challenge, 0, 1, &r, &e), LK_E_VERIFY);
	CHECK(err_is(&e, "credentialId"));
	CHECK_EQ_INT(lk_wa_verify_registration(NULL, resp, reg_challenge, 0, 1, &r, &e),
	             LK_E_INVAL);
	json_decref(resp);
}

static void
test_registration_truncated_attestation_object(void)
{
	struct lk_wa_config c = config();
	struct lk_wa_registration r;
	struct lk_wa_error e;
	size_t n = 0, i;
	uint8_t *ao = b64(reg_ao, &n);
	int accepted = 0;

	CHECK(ao != NULL);
	for (i = 0; ao != NULL && i < n; i++) {
		char *s = lk_wa_b64u_encode(ao, i);
		json_t *resp = reg_response(s ? s : "");
		if (lk_wa_verify_registration(&c, resp, reg_challenge, 0, 1, &r, &e) == LK_OK) {
			accepted++;
			lk_wa_registration_clear(&r);
		} else if (e.check == NULL || e.message[0] == '\0') {
			accepted += 1000; /* every refusal names its check */
		}
		json_decref(resp);
		free(s);
	}
	CHECK_EQ_INT(accepted, 0);
	free(ao);
}

static void
test_authentication_rules(void)
{
	struct lk_wa_config c = config();
	struct lk_wa_assertion a;
	struct lk_wa_error e;
	size_t pk_len = 0, uh_len = 0, id_len = 0, got_uh_len = 0;
	uint8_t *pk = b64(cose_pk, &pk_len), *uh = b64(auth_uh, &uh_len), *id;
	uint8_t got_id[1023], got_uh[64], other[3] = {1, 2, 3};
	json_t *with = auth_response(1), *without = auth_response(0);
	struct lk_wa_auth_params p;
	const uint8_t *allow[1];
	size_t allow_len[1];

	CHECK(pk != NULL && uh != NULL);
	if (pk == NULL || uh == NULL) {
		goto out;
	}
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, auth_challenge, pk, pk_len, 0, -1, uh,
	                                         uh_len, 1, 0, &a, &e),
	             LK_OK);
	CHECK_EQ_INT(a.sign_count, 1);
	CHECK_EQ_INT(a.uv, 0);
	CHECK_EQ_INT(a.credential_id_len, 32);
	/* counter: stored 1 and 5 refused; stored 0 fine (above) */
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, auth_challenge, pk, pk_len, 1, -1, NULL,
	                                         0, 0, 0, &a, &e),
	             LK_E_REPLAY);
	CHECK(err_is(&e, "signCount"));
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, auth_challenge, pk, pk_len, 5, -1, NULL,
	                                         0, 0, 0, &a, &e),
	             LK_E_REPLAY);
	/* user handle: another owner's refused; absent is fine unless discoverable */
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, auth_challenge, pk, pk_len, 0, -1, other,
	                                         sizeof(other), 0, 0, &a, &e),
	             LK_E_VERIFY);
	CHECK(err_is(&e, "userHandle"));
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, without, auth_challenge, pk, pk_len, 0, -1, uh,
	                                         uh_len, 0, 0, &a, &e),
	             LK_OK);
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, without, auth_challenge, pk, pk_len, 0, -1, uh,
	                                         uh_len, 1, 0, &a, &e),
	             LK_E_VERIFY);
	CHECK(err_is(&e, "userHandle"));
	/* BE recorded as 1, assertion has BE 0 */
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, auth_challenge, pk, pk_len, 0, 1, NULL,
	                                         0, 0, 0, &a, &e),
	             LK_E_VERIFY);
	CHECK(err_is(&e, "backupFlags"));
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, auth_challenge, pk, pk_len, 0, 0, NULL,
	                                         0, 0, 0, &a, &e),
	             LK_OK);
	/* UV required */
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, auth_challenge, pk, pk_len, 0, -1, NULL,
	                                         0, 0, 1, &a, &e),
	             LK_E_VERIFY);
	CHECK(err_is(&e, "userVerification"));
	/* the registration challenge is not this ceremony's */
	CHECK_EQ_INT(lk_wa_verify_authentication(&c, with, reg_challenge, pk, pk_len, 0, -1, NULL,
	                                         0, 0, 0, &a, &e),
	             LK_E_VERIFY);
	CHECK(err_is(&e, "challenge"));
	/* allow list */
	memset(&p, 0, sizeof(p));
	p.expected_challenge_b64u = auth_challenge;
	p.cose_key = pk;
	p.cose_key_len = pk_len;
	p.stored_be = -1;
	allow[0] = other;
	allow_len[0] = sizeof(other);
	p.allow_ids = allow;
	p.allow_id_lens = allow_len;
	p.n_allow = 1;
	CHECK_EQ_INT(lk_wa_verify_assertion(&c, with, &p, &a, &e), LK_E_VERIFY);
	CHECK(err_is(&e, "credentialId"));
	id = b64(cred_id, &id_len);
	allow[0] = id;
	allow_len[0] = id_len;
	CHECK_EQ_INT(lk_wa_verify_assertion(&c, with, &p, &a, &e), LK_OK);
	free(id);
	/* ids before verification */
	CHECK_EQ_INT(lk_wa_assertion_ids(with, got_id, &id_len, got_uh, &got_uh_len, &e), LK_OK);
	CHECK_EQ_INT(id_len, 32);
	CHECK_EQ_INT(got_uh_len, uh_len);
	CHECK(memcmp(got_uh, uh, uh_len) == 0);
	CHECK_EQ_INT(lk_wa_assertion_ids(without, got_id, &id_len, got_uh, &got_uh_len, &e), LK_OK);
	CHECK_EQ_INT(got_uh_len, 0);
out:
	json_decref(with);
	json_decref(without);
	free(pk);
	free(uh);
}

static void
test_authentication_truncated_authdata(void)
{
	struct lk_wa_config c = config();
	struct lk_wa_assertion a;
	struct lk_wa_error e;
	size_t pk_len = 0, ad_len = 0, i;
	uint8_t *pk = b64(cose_pk, &pk_len), *ad = b64(auth_ad, &ad_len);
	int accepted = 0;

	CHECK(pk != NULL && ad != NULL);
	for (i = 0; pk != NULL && ad != NULL && i <= ad_len + 1; i++) {
		uint8_t buf[64];
		char *s;
		json_t *resp;
		if (i == ad_len) {
			continue; /* the untouched value verifies (test above) */
		}
		resp = auth_response(1);
		memcpy(buf, ad, ad_len);
		buf[ad_len] = 0;
		s = lk_wa_b64u_encode(buf, i);
		json_object_set_new(json_object_get(resp, "response"), "authenticatorData",
		                    json_string(s ? s : ""));
		if (lk_wa_verify_authentication(&c, resp, auth_challenge, pk, pk_len, 0, -1, NULL,
		                                0, 0, 0, &a, &e) == LK_OK) {
			accepted++;
		}
		free(s);
		json_decref(resp);
	}
	CHECK_EQ_INT(accepted, 0);
	free(pk);
	free(ad);
}

/* clientDataJSON member by member: each row is refused by its own check, or accepted. */
static void
test_clientdata_members(void)
{
	static const char *const tops[] = {"https://top.example"};
	static const struct {
		const char *json;
		int rc;
		const char *check; /* NULL: accepted */
		const char *detail;
	} rows[] = {
#define BASE "\"type\":\"webauthn.get\",\"challenge\":\"x\",\"origin\":\"https://soft.example\""
	    {"{" BASE "}", LK_OK, NULL, NULL},
	    {"{" BASE ",\"crossOrigin\":false,\"extra\":[1]}", LK_OK, NULL, NULL},
	    {"{" BASE ",\"crossOrigin\":true,\"topOrigin\":\"https://top.example\"}", LK_OK, NULL,
	     NULL},
	    {"{" BASE ",\"crossOrigin\":\"true\"}", LK_E_MALFORMED, "crossOrigin", "boolean"},
	    {"{" BASE ",\"crossOrigin\":1}", LK_E_MALFORMED, "crossOrigin", "boolean"},
	    {"{" BASE ",\"topOrigin\":\"https://top.example\"}", LK_E_VERIFY, "crossOrigin",
	     "without crossOrigin"},
	    {"{" BASE ",\"crossOrigin\":false,\"topOrigin\":\"https://top.example\"}", LK_E_VERIFY,
	     "crossOrigin", "without crossOrigin"},
	    {"{" BASE ",\"crossOrigin\":true,\"topOrigin\":7}", LK_E_MALFORMED, "crossOrigin",
	     "not a string"},
	    {"{" BASE ",\"crossOrigin\":true,\"topOrigin\":\"https://evil.example\"}", LK_E_VERIFY,
	     "crossOrigin", "not accepted"},
	    {"{" BASE ",\"tokenBinding\":{\"status\":\"bogus\"}}", LK_E_MALFORMED, "tokenBinding",
	     "status"},
	    {"{" BASE ",\"tokenBinding\":{\"status\":\"present\"}}", LK_E_MALFORMED, "tokenBinding",
	     "without id"},
	    {"{" BASE ",\"tokenBinding\":{\"status\":\"supported\"}}", LK_OK, NULL, NULL},
#undef BASE
	    {"{\"type\":\"webauthn.get\",\"challenge\":\"x\",\"origin\":\"https://"
	     "soft.example\xff\"}",
	     LK_E_MALFORMED, "clientDataJSON", "JSON"},
	    {"{\"type\":\"webauthn.get\\u0000\",\"challenge\":\"x\"}", LK_E_MALFORMED,
	     "clientDataJSON", NULL},
	    {"{\"type\":\"webauthn.get\",\"challenge\":\"X\",\"origin\":\"https://soft.example\"}",
	     LK_E_VERIFY, "challenge", "mismatch"},
	    {"{\"type\":\"webauthn.get\",\"challenge\":\"x\",\"origin\":\"https://SOFT.example\"}",
	     LK_E_VERIFY, "origin", "mismatch"},
	    {"{\"type\":\"webauthn.get\",\"challenge\":\"x\"}", LK_E_MALFORMED, "origin",
	     "missing"},
	    {"[]", LK_E_MALFORMED, "clientDataJSON", "object"},
	};
	struct lk_wa_config c = config();
	struct lk_wa_error e;
	size_t i;

	c.top_origins = tops;
	c.n_top_origins = 1;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.check = "";
		int rc = lk_wa_clientdata_check(&c, (const uint8_t *)rows[i].json,
		                                strlen(rows[i].json), "webauthn.get", "x", &e);
		if (rc != rows[i].rc || (rows[i].check && !err_is(&e, rows[i].check)) ||
		    (rows[i].detail && !strstr(e.message, rows[i].detail))) {
			fprintf(stderr, "row %zu: rc %d, %s\n", i, rc, e.message);
		}
		CHECK_EQ_INT(rc, rows[i].rc);
		CHECK(rows[i].check == NULL || err_is(&e, rows[i].check));
		CHECK(rows[i].detail == NULL || strstr(e.message, rows[i].detail) != NULL);
	}
}

static void
test_clientdata_cross_origin(void)
{
	struct lk_wa_config c = config();
	struct lk_wa_assertion a;
	struct lk_wa_error e;
	size_t pk_len = 0;
	uint8_t *pk = b64(cose_pk, &pk_len);
	/* {"type":"webauthn.get","challenge":"x","origin":"https://soft.example",
	 *  "crossOrigin":true} : refused before the signature (check crossOrigin) */
	static const char cdj_cross[] = "{\"type\":\"webauthn.get\",\"challenge\":\"x\",\"origin\":"
	                                "\"https://soft.example\",\"crossOrigin\":true}";
	static const char cdj_dup[] = "{\"type\":\"webauthn.get\",\"type\":\"webauthn.get\","
	                              "\"challenge\":\"x\",\"origin\":\"https://soft.example\"}";
	char *s;
	json_t *resp = auth_response(1);

	s = lk_wa_b64u_encode((const uint8_t *)cdj_cross, strlen(cdj_cross));
	json_object_set_new(json_object_get(resp, "response"), "clientDataJSON", json_string(s));
	free(s);
	CHECK_EQ_INT(
	    lk_wa_verify_authentication(&c, resp, "x", pk, pk_len, 0, -1, NULL, 0, 0, 0, &a, &e),
	    LK_E_VERIFY);
	CHECK(err_is(&e, "crossOrigin"));
	s = lk_wa_b64u_encode((const uint8_t *)cdj_dup, strlen(cdj_dup));
	json_object_set_new(json_object_get(resp, "response"), "clientDataJSON", json_string(s));
	free(s);
	CHECK_EQ_INT(
	    lk_wa_verify_authentication(&c, resp, "x", pk, pk_len, 0, -1, NULL, 0, 0, 0, &a, &e),
	    LK_E_MALFORMED);
	CHECK(err_is(&e, "clientDataJSON"));
	json_decref(resp);
	free(pk);
}

static void
test_base64url(void)
{
	uint8_t *o = NULL;
	size_t n = 0;
	char *s;

	CHECK_EQ_INT(lk_wa_b64u_decode("QQ", 2, 10, &o, &n), LK_OK);
	CHECK_EQ_INT(n, 1);
	free(o);
	CHECK_EQ_INT(lk_wa_b64u_decode("QR", 2, 10, &o, &n), LK_E_MALFORMED); /* stray bits */
	CHECK_EQ_INT(lk_wa_b64u_decode("QQ==", 4, 10, &o, &n), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_wa_b64u_decode("a+b/", 4, 10, &o, &n), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_wa_b64u_decode("Q", 1, 10, &o, &n), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_wa_b64u_decode("QUFBQQ", 6, 3, &o, &n), LK_E_TOOBIG);
	CHECK_EQ_INT(lk_wa_b64_decode("QQ==", 4, 10, &o, &n), LK_OK);
	free(o);
	CHECK_EQ_INT(lk_wa_b64_decode("a+b/", 4, 10, &o, &n), LK_OK);
	CHECK_EQ_INT(n, 3);
	free(o);
	s = lk_wa_b64u_encode((const uint8_t *)"\xfb\xff", 2);
	CHECK_EQ_STR(s, "-_8");
	free(s);
}

int
main(void)
{
	RUN(test_authdata_real);
	RUN(test_authdata_truncation_and_trailing);
	RUN(test_authdata_extensions);
	RUN(test_cose_edges);
	RUN(test_cose_okp);
	RUN(test_registration_ok);
	RUN(test_registration_truncated_attestation_object);
	RUN(test_authentication_rules);
	RUN(test_authentication_truncated_authdata);
	RUN(test_clientdata_cross_origin);
	RUN(test_clientdata_members);
	RUN(test_base64url);
	return check_done("test_webauthn_verify");
}
