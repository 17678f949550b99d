/* test_totp.c: HOTP/TOTP against RFC 4226 / RFC 6238 vectors (../shared/vectors/totp.json,
 * LATCHKEY_VECTORS=DIR overrides), against oathtool for 1000 random secrets and times per
 * algorithm, and the verification window, replay and boundary rules. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "check.h"
#include "core/base32.h"
#include "core/totp.h"

static json_t *
load_vectors(void)
{
	const char *dir = getenv("LATCHKEY_VECTORS");
	char path[1024];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), "%s/totp.json", dir ? dir : "../shared/vectors");
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		fprintf(stderr, "cannot load %s: %s\n", path, err.text);
	}
	return j;
}

static size_t
unhex(const char *hex, unsigned char *out)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		char h = hex[2 * i], l = hex[2 * i + 1];
		int hv = h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10;
		int lv = l <= '9' ? l - '0' : (l | 0x20) - 'a' + 10;
		out[i] = (unsigned char)(hv << 4 | lv);
	}
	return n;
}

static void
test_rfc4226(void)
{
	json_t *j = load_vectors(), *v;
	unsigned char key[64];
	char code[LK_TOTP_CODE_SIZE];
	size_t i, n, count = 0;

	CHECK(j != NULL);
	if (!j) {
		return;
	}
	json_t *hotp = json_object_get(j, "hotp");
	n = unhex(json_string_value(json_object_get(hotp, "secretHex")), key);
	CHECK_EQ_INT(n, 20);
	json_array_foreach(json_object_get(hotp, "vectors"), i, v)
	{
		uint64_t c = (uint64_t)json_integer_value(json_object_get(v, "counter"));
		CHECK_EQ_INT(lk_totp_hotp(key, n, LK_TOTP_SHA1, 6, c, code), LK_OK);
		CHECK_EQ_STR(code, json_string_value(json_object_get(v, "hotp")));
		CHECK_EQ_INT(lk_totp_hotp(key, n, LK_TOTP_SHA1, 8, c, code), LK_OK);
		CHECK_EQ_STR(code, json_string_value(json_object_get(v, "hotp8")));
		/* the 31-bit truncated value, mod 10^7 */
		long long trunc = json_integer_value(json_object_get(v, "truncatedDecimal"));
		char want7[16];
		snprintf(want7, sizeof(want7), "%07lld", trunc % 10000000);
		CHECK_EQ_INT(lk_totp_hotp(key, n, LK_TOTP_SHA1, 7, c, code), LK_OK);
		CHECK_EQ_STR(code, want7);
		count++;
	}
	CHECK_EQ_INT(count, 10);
	json_decref(j);
}

static void
test_rfc6238(void)
{
	json_t *j = load_vectors(), *v;
	unsigned char keys[3][64];
	size_t lens[3], i, count = 0;
	char code[LK_TOTP_CODE_SIZE];
	const char *names[] = {"sha1", "sha256", "sha512"};

	CHECK(j != NULL);
	if (!j) {
		return;
	}
	json_t *totp = json_object_get(j, "totp");
	for (i = 0; i < 3; i++) {
		json_t *seed = json_object_get(json_object_get(totp, "seeds"), names[i]);
		size_t n = 0;
		/* through base32, as the server stores and shows secrets */
		const char *b32 = json_string_value(json_object_get(seed, "base32"));
		CHECK_EQ_INT(lk_base32_decode(b32, strlen(b32), keys[i], sizeof(keys[i]), &n),
		             LK_OK);
		lens[i] = n;
	}
	json_array_foreach(json_object_get(totp, "vectors"), i, v)
	{
		enum lk_totp_alg alg;
		int64_t now = json_integer_value(json_object_get(v, "time"));
		unsigned digits = (unsigned)json_integer_value(json_object_get(v, "digits"));
		unsigned step = (unsigned)json_integer_value(json_object_get(v, "step"));
		const char *want = json_string_value(json_object_get(v, "totp"));
		int64_t matched = -5;
		CHECK_EQ_INT(
		    lk_totp_alg_parse(json_string_value(json_object_get(v, "algorithm")), &alg),
		    LK_OK);
		size_t k = (size_t)alg - 1;
		CHECK_EQ_INT(lk_totp_code(keys[k], lens[k], alg, digits, step, now, code), LK_OK);
		CHECK_EQ_STR(code, want);
		/* T as given in the table */
		CHECK_EQ_INT(lk_totp_step(now, step),
		             strtoll(json_string_value(json_object_get(v, "T")), NULL, 16));
		CHECK_EQ_INT(
		    lk_totp_verify(keys[k], lens[k], alg, digits, step, 1, now, want, -1, &matched),
		    LK_OK);
		CHECK_EQ_INT(matched, lk_totp_step(now, step));
		count++;
	}
	CHECK_EQ_INT(count, 18);
	json_decref(j);
}

/* 1000 random secrets, times, periods and digit counts per algorithm, each compared with
 * the code oathtool prints. One shell runs every oathtool of an algorithm. */
static void
test_oathtool(void)
{
	static const char *modes[] = {"sha1", "sha256", "sha512"};
	enum { N = 1000 };
	char script[] = "/tmp/lk-test-totp-XXXXXX";
	size_t mismatches = 0, compared = 0;

	if (sodium_init() < 0) {
		CHECK(0);
		return;
	}
	for (int a = 0; a < 3; a++) {
		static unsigned char keys[N][64];
		static size_t lens[N];
		static int64_t nows[N];
		static unsigned periods[N], digs[N];
		int fd = mkstemp(script);
		FILE *f, *p;
		char line[64], b32[128];

		CHECK(fd >= 0);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			return;
		}
		for (int i = 0; i < N; i++) {
			lens[i] = 10 + randombytes_uniform(55); /* 10..64 bytes */
			randombytes_buf(keys[i], lens[i]);
			nows[i] = (int64_t)(((uint64_t)randombytes_random() << 2) |
			                    randombytes_uniform(4)); /* 0 .. 2^34 */
			periods[i] = i % 4 == 0 ? 1 + randombytes_uniform(3600) : 30;
			digs[i] = 6 + randombytes_uniform(3);
			CHECK_EQ_INT(lk_base32_encode(keys[i], lens[i], b32, sizeof(b32)), LK_OK);
			fprintf(f, "oathtool --totp=%s -b -d%u -s %u --now=@%lld %s\n", modes[a],
			        digs[i], periods[i], (long long)nows[i], b32);
		}
		fclose(f);
		snprintf(line, sizeof(line), "sh %s", script);
		p = popen(line, "r");
		CHECK(p != NULL);
		for (int i = 0; p && i < N; i++) {
			char code[LK_TOTP_CODE_SIZE];
			if (!fgets(line, sizeof(line), p)) {
				mismatches++;
				break;
			}
			line[strcspn(line, "\n")] = '\0';
			if (lk_totp_code(keys[i], lens[i], (enum lk_totp_alg)(a + 1), digs[i],
			                 periods[i], nows[i], code) != LK_OK ||
			    strcmp(code, line) != 0) {
				if (mismatches++ < 5) {
					fprintf(stderr, "%s i=%d: ours %s, oathtool %s\n", modes[a],
					        i, code, line);
				}
			}
			compared++;
		}
		CHECK(p && pclose(p) == 0);
		unlink(script);
		memcpy(script + strlen(script) - 6, "XXXXXX", 6);
	}
	CHECK_EQ_INT(mismatches, 0);
	CHECK_EQ_INT(compared, 3 * N);
}

static const unsigned char rfc_key[] = "12345678901234567890";
#define KEY rfc_key, 20

static void
code_at(int64_t now, char out[LK_TOTP_CODE_SIZE])
{
	CHECK_EQ_INT(lk_totp_code(KEY, LK_TOTP_SHA1, 6, 30, now, out), LK_OK);
}

static void
test_window(void)
{
	char c[LK_TOTP_CODE_SIZE];
	int64_t m = -7;
	const int64_t now = 1795627630; /* step 59854254, 10 s into it */
	const int64_t t = now / 30;

	/* the code of the current step, the one before and the one after: accepted */
	for (int d = -1; d <= 1; d++) {
		code_at(now + d * 30, c);
		m = -7;
		CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, -1, &m), LK_OK);
		CHECK_EQ_INT(m, t + d);
	}
	/* two steps away: refused with skew 1, accepted with skew 2 */
	code_at(now - 60, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, -1, &m), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 2, now, c, -1, &m), LK_OK);
	CHECK_EQ_INT(m, t - 2);
	code_at(now + 60, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, -1, &m), LK_E_VERIFY);
	/* skew 0: only the current step */
	code_at(now - 30, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 0, now, c, -1, &m), LK_E_VERIFY);
	code_at(now, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 0, now, c, -1, &m), LK_OK);
	/* period boundaries: at 59 s step 1, at 60 s step 2 */
	code_at(59, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 0, 59, c, -1, &m), LK_OK);
	CHECK_EQ_INT(m, 1);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 0, 60, c, -1, &m), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, 60, c, -1, &m), LK_OK);
	CHECK_EQ_INT(m, 1);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, 89, c, -1, &m), LK_OK);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, 90, c, -1, &m), LK_E_VERIFY);
	/* a code one step early: accepted from the last second of step 0 with skew 1 */
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 0, 29, c, -1, &m), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, 29, c, -1, &m), LK_OK);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 0, 30, c, -1, &m), LK_OK);
	/* near the epoch the window is cut at step 0 */
	code_at(0, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, 0, c, -1, &m), LK_OK);
	CHECK_EQ_INT(m, 0);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, -1, c, -1, &m), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, INT64_MIN, c, -1, &m), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 1, 10, INT64_MAX, c, -1, &m), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 1, 10, INT64_MAX / 2, c, -1, &m),
	             LK_E_VERIFY);
	/* an odd period */
	CHECK_EQ_INT(lk_totp_code(KEY, LK_TOTP_SHA256, 8, 7, 700, c), LK_OK);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA256, 8, 7, 1, 706, c, -1, &m), LK_OK);
	CHECK_EQ_INT(m, 100);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA256, 8, 7, 1, 713, c, -1, &m), LK_OK);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA256, 8, 7, 1, 714, c, -1, &m), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA256, 8, 7, 1, 692, c, -1, &m), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA256, 8, 7, 1, 693, c, -1, &m), LK_OK);
}

static void
test_replay(void)
{
	char c[LK_TOTP_CODE_SIZE];
	int64_t m = -7;
	const int64_t now = 1795627630, t = now / 30;

	code_at(now, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, t - 1, &m), LK_OK);
	CHECK_EQ_INT(m, t);
	/* the same code again, after its step was stored */
	m = -7;
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, t, &m), LK_E_REPLAY);
	CHECK_EQ_INT(m, -7);
	/* an older step than the last accepted one */
	code_at(now - 30, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, t, &m), LK_E_REPLAY);
	/* a newer one is fine */
	code_at(now + 30, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, t, &m), LK_OK);
	CHECK_EQ_INT(m, t + 1);
	/* a code outside the window is a verify failure even when last_step is ahead (fixed
	 * key and times: deterministic) */
	code_at(now + 3600, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, t + 5, &m), LK_E_VERIFY);
	/* every code of the window is a replay when last_step is ahead of the window */
	code_at(now + 30, c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, c, t + 5, &m), LK_E_REPLAY);
}

static void
test_malformed_and_params(void)
{
	char c[LK_TOTP_CODE_SIZE], wrong[LK_TOTP_CODE_SIZE];
	int64_t m;
	const int64_t now = 1795627630;

	code_at(now, c);
	memcpy(wrong, c, sizeof(c));
	wrong[5] = (char)(wrong[5] == '9' ? '0' : wrong[5] + 1);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, wrong, -1, &m), LK_E_VERIFY);
	/* wrong length, non-digits, 8 digits for a 6-digit enrolment */
	char longer[10];
	snprintf(longer, sizeof(longer), "%s0", c);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, longer, -1, &m), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, "", -1, &m), LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, "12345", -1, &m),
	             LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, "12a456", -1, &m),
	             LK_E_VERIFY);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 1, now, NULL, -1, &m), LK_E_VERIFY);
	/* the right code with another algorithm or digit count */
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA256, 6, 30, 1, now, c, -1, &m) == LK_OK, 0);
	/* parameters out of contract */
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 5, 30, 1, now, c, -1, &m), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 9, 30, 1, now, c, -1, &m), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 0, 1, now, c, -1, &m), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 11, now, c, -1, &m), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(KEY, LK_TOTP_SHA1, 6, 30, 10, now, c, -1, &m), LK_OK);
	CHECK_EQ_INT(lk_totp_verify(KEY, (enum lk_totp_alg)0, 6, 30, 1, now, c, -1, &m),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_verify(rfc_key, 0, LK_TOTP_SHA1, 6, 30, 1, now, c, -1, &m),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_hotp(rfc_key, LK_TOTP_MAX_KEY + 1, LK_TOTP_SHA1, 6, 0, c), LK_E_INVAL);
	CHECK_EQ_STR(c, "");
	CHECK_EQ_INT(lk_totp_hotp(NULL, 20, LK_TOTP_SHA1, 6, 0, c), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_code(KEY, LK_TOTP_SHA1, 6, 30, -1, c), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_code(KEY, LK_TOTP_SHA1, 6, 0, 100, c), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_step(-1, 30), -1);
	CHECK_EQ_INT(lk_totp_step(-30, 30), -1);
	CHECK_EQ_INT(lk_totp_step(-31, 30), -2);
	CHECK_EQ_INT(lk_totp_step(29, 30), 0);
	CHECK_EQ_INT(lk_totp_step(30, 30), 1);
	/* a 64-byte key for SHA-512 (no hashing of the key) and a 128-byte one (hashed) */
	unsigned char big[LK_TOTP_MAX_KEY];
	memset(big, 0x5a, sizeof(big));
	CHECK_EQ_INT(lk_totp_hotp(big, sizeof(big), LK_TOTP_SHA512, 8, 1, c), LK_OK);
	CHECK_EQ_INT(strlen(c), 8);
}

static void
test_names_and_normalize(void)
{
	enum lk_totp_alg a = LK_TOTP_SHA1;
	char out[LK_TOTP_CODE_SIZE];

	CHECK_EQ_INT(lk_totp_alg_parse("sha256", &a), LK_OK);
	CHECK_EQ_INT(a, LK_TOTP_SHA256);
	CHECK_EQ_INT(lk_totp_alg_parse("Sha512", &a), LK_OK);
	CHECK_EQ_INT(a, LK_TOTP_SHA512);
	CHECK_EQ_INT(lk_totp_alg_parse("SHA1", &a), LK_OK);
	CHECK_EQ_INT(a, LK_TOTP_SHA1);
	CHECK_EQ_INT(lk_totp_alg_parse("SHA-1", &a), LK_E_UNSUPPORTED);
	CHECK_EQ_INT(lk_totp_alg_parse("MD5", &a), LK_E_UNSUPPORTED);
	CHECK_EQ_INT(lk_totp_alg_parse("", &a), LK_E_UNSUPPORTED);
	CHECK_EQ_INT(lk_totp_alg_parse("SHA1 ", &a), LK_E_UNSUPPORTED);
	CHECK_EQ_INT(lk_totp_alg_parse(NULL, &a), LK_E_UNSUPPORTED);
	CHECK_EQ_INT(a, LK_TOTP_SHA1);
	CHECK_EQ_STR(lk_totp_alg_name(LK_TOTP_SHA1), "SHA1");
	CHECK_EQ_STR(lk_totp_alg_name(LK_TOTP_SHA256), "SHA256");
	CHECK_EQ_STR(lk_totp_alg_name(LK_TOTP_SHA512), "SHA512");
	CHECK(lk_totp_alg_name((enum lk_totp_alg)9) == NULL);

	CHECK_EQ_INT(lk_totp_normalize_code("123 456", 7, 6, out), LK_OK);
	CHECK_EQ_STR(out, "123456");
	CHECK_EQ_INT(lk_totp_normalize_code(" 12-34-56 ", 10, 6, out), LK_OK);
	CHECK_EQ_STR(out, "123456");
	CHECK_EQ_INT(lk_totp_normalize_code("1234 5678", 9, 8, out), LK_OK);
	CHECK_EQ_STR(out, "12345678");
	CHECK_EQ_INT(lk_totp_normalize_code("12345", 5, 6, out), LK_E_MALFORMED);
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(lk_totp_normalize_code("1234567", 7, 6, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_totp_normalize_code("12345a", 6, 6, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_totp_normalize_code("123\t456", 7, 6, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_totp_normalize_code("123456\0", 7, 6, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_totp_normalize_code("", 0, 6, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_totp_normalize_code("-- --", 5, 6, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_totp_normalize_code("\xef\xbc\x91\xef\xbc\x92", 6, 6, out), LK_E_MALFORMED);
	CHECK_EQ_INT(lk_totp_normalize_code("123456", 6, 5, out), LK_E_INVAL);
}

static void
test_secret_and_uri(void)
{
	unsigned char k1[LK_TOTP_SECRET_BYTES], k2[LK_TOTP_SECRET_BYTES], back[32];
	char b32[LK_TOTP_SECRET_B32 + 1], *u = NULL;
	size_t n = 0;

	CHECK_EQ_INT(lk_totp_secret_new(k1, b32), LK_OK);
	CHECK_EQ_INT(strlen(b32), 32);
	CHECK_EQ_INT(lk_base32_decode(b32, 32, back, sizeof(back), &n), LK_OK);
	CHECK_EQ_INT(n, 20);
	CHECK(memcmp(back, k1, 20) == 0);
	CHECK_EQ_INT(lk_totp_secret_new(k2, NULL), LK_OK);
	CHECK(memcmp(k1, k2, 20) != 0);

	CHECK_EQ_INT(lk_totp_uri("latchkey", "alice@example.com", "JBSWY3DPEHPK3PXP", LK_TOTP_SHA1,
	                         6, 30, &u),
	             LK_OK);
	CHECK_EQ_STR(u, "otpauth://totp/latchkey:alice@example.com?secret=JBSWY3DPEHPK3PXP"
	                "&issuer=latchkey&algorithm=SHA1&digits=6&period=30");
	free(u);
	u = NULL;
	/* issuer and email percent-encoded, '@' kept */
	CHECK_EQ_INT(
	    lk_totp_uri("Acme Co/é", "o'hara+x@exa mple.com", "MZXW6", LK_TOTP_SHA512, 8, 60, &u),
	    LK_OK);
	CHECK_EQ_STR(u, "otpauth://totp/Acme%20Co%2F%C3%A9:o%27hara%2Bx@exa%20mple.com?secret=MZXW6"
	                "&issuer=Acme%20Co%2F%C3%A9&algorithm=SHA512&digits=8&period=60");
	free(u);
	u = (char *)0x1;
	CHECK_EQ_INT(lk_totp_uri("a:b", "alice@example.com", "MZXW6", LK_TOTP_SHA1, 6, 30, &u),
	             LK_E_INVAL);
	CHECK(u == NULL);
	CHECK_EQ_INT(lk_totp_uri("", "alice@example.com", "MZXW6", LK_TOTP_SHA1, 6, 30, &u),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_uri("x", "", "MZXW6", LK_TOTP_SHA1, 6, 30, &u), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_uri("x", "a@b.c", "mzxw6", LK_TOTP_SHA1, 6, 30, &u), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_uri("x", "a@b.c", "MZXW6===", LK_TOTP_SHA1, 6, 30, &u), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_uri("x", "a@b.c", "MZXW6", LK_TOTP_SHA1, 5, 30, &u), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_uri("x", "a@b.c", "MZXW6", LK_TOTP_SHA1, 6, 0, &u), LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_uri("x", "a@b.c", "MZXW6", (enum lk_totp_alg)7, 6, 30, &u),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_totp_uri(NULL, "a@b.c", "MZXW6", LK_TOTP_SHA1, 6, 30, &u), LK_E_INVAL);
	/* worst-case expansion fits: every byte encoded */
	char big[300];
	memset(big, '/', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(lk_totp_uri(big, big, "MZXW6", LK_TOTP_SHA256, 7, 3600, &u), LK_OK);
	CHECK_EQ_INT(strlen(u), 15 + 897 + 1 + 897 + 8 + 5 + 8 + 897 +
	                            strlen("&algorithm=SHA256&digits=7&period=3600"));
	free(u);
}

int
main(void)
{
	RUN(test_rfc4226);
	RUN(test_rfc6238);
	RUN(test_oathtool);
	RUN(test_window);
	RUN(test_replay);
	RUN(test_malformed_and_params);
	RUN(test_names_and_normalize);
	RUN(test_secret_and_uri);
	return check_done("test_totp");
}
