/* webauthn.h: the WebAuthn Level 3 relying-party verifier (registration §7.1, authentication
 * §7.2, attestation formats §8). Trust boundary: everything in a RegistrationResponseJSON or
 * AuthenticationResponseJSON is attacker-controlled; the config and the stored credential
 * record come from the server. The verifier does no I/O and reads no clock: the caller
 * passes `now_ms`. Thread-safe (no shared state).
 *
 * Every failure fills struct lk_wa_error: `check` is one of the names of API-NOTES 110
 * (challenge, type, origin, crossOrigin, rpIdHash, userPresence, userVerification,
 * backupFlags, algorithm, signature, attestation, authenticatorData, clientDataJSON,
 * credentialId, userHandle, signCount, tokenBinding, publicKey, format) and `message` is
 * "<check>: <detail>", e.g. "origin: mismatch", "attestation: tpm: certInfo magic". */
#ifndef LK_WEBAUTHN_H
#define LK_WEBAUTHN_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* COSE algorithm identifiers the verifier knows. */
#define LK_WA_ALG_ES256 (-7)
#define LK_WA_ALG_EDDSA (-8)
#define LK_WA_ALG_ES384 (-35)
#define LK_WA_ALG_ES512 (-36)
#define LK_WA_ALG_PS256 (-37)
#define LK_WA_ALG_PS384 (-38)
#define LK_WA_ALG_PS512 (-39)
#define LK_WA_ALG_ED448 (-53)
#define LK_WA_ALG_RS256 (-257)
#define LK_WA_ALG_RS384 (-258)
#define LK_WA_ALG_RS512 (-259)
#define LK_WA_ALG_RS1   (-65535) /* only inside TPM attestation, never a credential */

struct lk_wa_error {
	const char *check; /* a static check name, "" before any failure */
	char message[256]; /* "<check>: <detail>" */
};

struct lk_wa_config {
	const char *rp_id;          /* SHA-256 of it must be authData.rpIdHash */
	const char *const *origins; /* clientData.origin must equal one exactly */
	size_t n_origins;
	const char *const *top_origins; /* accepted topOrigin values (crossOrigin: true) */
	size_t n_top_origins;
	const int *algs; /* offered COSE algorithms; NULL/0: all implemented (RS1 only
	                  * in a tpm registration; an RS1 assertion needs it listed) */
	size_t n_algs;
	int64_t now_ms;                 /* Unix ms: certificate validity, SafetyNet age */
	const char *const *anchors_pem; /* PEM texts (each may hold several certificates); */
	size_t n_anchors;               /* when given the x5c chain must reach one */
	int safetynet_cts_optional;     /* accept ctsProfileMatch false */
};

/* What a successful registration yields; release with lk_wa_registration_clear. */
struct lk_wa_registration {
	uint8_t *credential_id;
	size_t credential_id_len;
	uint8_t *public_key; /* the COSE_Key bytes exactly as in authData */
	size_t public_key_len;
	int alg;
	char fmt[24];
	uint8_t aaguid[16];
	uint32_t sign_count;
	int uv, be, bs;
	json_t *transports;      /* array of strings from response.transports ([] if absent) */
	const char *attestation; /* "none", "self", "basic", "attca" or "anonca" (static) */
	int anchored;            /* the x5c chain was verified to one of the config's anchors */
	json_t *trust_path;      /* the x5c subjects, leaf first ([] without x5c) */
};

/* What a successful assertion yields. */
struct lk_wa_assertion {
	uint32_t sign_count; /* authData.signCount (the caller keeps the stored value if 0) */
	int uv, be, bs;
	uint8_t credential_id[1023];
	size_t credential_id_len;
};

/* The stored credential record and the ceremony's expectations for an assertion. */
struct lk_wa_auth_params {
	const char *expected_challenge_b64u;
	const uint8_t *cose_key; /* stored COSE_Key */
	size_t cose_key_len;
	uint32_t stored_count;
	int stored_be;              /* BE at registration: 0, 1, or -1 unknown */
	const uint8_t *user_handle; /* the owner's user handle, or NULL */
	size_t user_handle_len;
	int discoverable; /* user not identified before: userHandle required */
	int require_uv;
	const uint8_t *const *allow_ids; /* allowCredentials ids, or NULL/0 for any */
	const size_t *allow_id_lens;
	size_t n_allow;
};

/* Verifies a RegistrationResponseJSON (§7.1 steps 5-25; the duplicate-credential check of
 * step 26 is the caller's). On LK_OK fills *out (caller clears it). Returns LK_OK,
 * LK_E_INVAL (bad config), LK_E_NOMEM, LK_E_CRYPTO, or LK_E_MALFORMED / LK_E_TOOBIG /
 * LK_E_VERIFY / LK_E_UNSUPPORTED / LK_E_EXPIRED with err filled. */
int lk_wa_verify_registration(const struct lk_wa_config *cfg, const json_t *response,
                              const char *expected_challenge_b64u, int require_uv, int require_up,
                              struct lk_wa_registration *out, struct lk_wa_error *err)
    __attribute__((warn_unused_result));

/* Frees what *r holds and zeroes it; accepts NULL. */
void lk_wa_registration_clear(struct lk_wa_registration *r);

/* Verifies an AuthenticationResponseJSON (§7.2 steps 5-23) against the stored record.
 * Same return codes as registration; a counter that did not increase is LK_E_REPLAY with
 * check "signCount" (the caller records the event). */
int lk_wa_verify_assertion(const struct lk_wa_config *cfg, const json_t *response,
                           const struct lk_wa_auth_params *p, struct lk_wa_assertion *out,
                           struct lk_wa_error *err) __attribute__((warn_unused_result));

/* The positional form of lk_wa_verify_assertion (no allow list). */
int lk_wa_verify_authentication(const struct lk_wa_config *cfg, const json_t *response,
                                const char *expected_challenge_b64u, const uint8_t *cose_key,
                                size_t cose_key_len, uint32_t stored_count, int stored_be,
                                const uint8_t *user_handle, size_t user_handle_len,
                                int discoverable, int require_uv, struct lk_wa_assertion *out,
                                struct lk_wa_error *err) __attribute__((warn_unused_result));

/* Before verifying: the credential id (rawId, which must equal id) and the userHandle (if
 * any) of an AuthenticationResponseJSON, decoded into caller buffers. *user_handle_len is
 * 0 when absent or null. LK_E_MALFORMED with err filled (check credentialId/userHandle). */
int lk_wa_assertion_ids(const json_t *response, uint8_t cred_id[1023], size_t *cred_id_len,
                        uint8_t user_handle[64], size_t *user_handle_len, struct lk_wa_error *err);

/* Whether alg is implemented for credentials: ES256/384/512, RS256/384/512,
 * PS256/384/512, EdDSA (Ed25519, Ed448), Ed448 (-53), Ed25519 (-19). Not ML-DSA (needs
 * OpenSSL 3.5), ES256K, or RS1 (accepted only as described at lk_wa_config.algs). */
int lk_wa_alg_supported(int alg);

/* Formats 16 bytes as a lower-case UUID with dashes into out[37]. */
void lk_wa_aaguid_str(const uint8_t aaguid[16], char out[37]);

#endif
