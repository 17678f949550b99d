/* test_webauthn_attest.c: attestation trust paths through the public API on the W3C L3
 * test vectors (packed, tpm, apple with x5c): the chain must reach a configured anchor at
 * the caller's clock; an unrelated anchor, a clock outside the certificates' validity and
 * an unusable anchor are refused with check "attestation"; without anchors the chain's own
 * signatures and validity are checked.
 *
 * Then the format checks one at a time: real registrations of
 * ../shared/vectors/webauthn/registration (LATCHKEY_VECTORS=DIR overrides the vectors
 * directory) with one thing changed in the attestationObject, and registrations generated
 * here with OpenSSL where no real one can reach a check (android-key key description,
 * packed RS1, an x5c chain). Each case first verifies unchanged, then must be refused by
 * the check it targets, named in the message: with that check removed from
 * src/core/webauthn/ the case is accepted or refused by another check, and the test
 * fails. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "core/rc.h"
#include "core/webauthn/wa_util.h"
#include "core/webauthn/webauthn.h"

struct fixture {
	const char *id, *cdj, *ao, *challenge, *origin, *rp_id, *anchor, *fmt;
};

/* w3c-packed-es256-packed-es256 (W3C WebAuthn L3 test vectors) */
static const struct fixture packed = {
    .id = "yab1s0YtAoc_6gxWhiI0-Z8IFygITlEbt3YCAaiQVKU",
    .cdj =
        "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoid1JoS1g5MzRCRjRUM0VmMVMySDFwbGEyWnJX"
        "UUdQRnRodzZTVnVtVklCSSIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5vcmciLCJjcm9zc09yaWdpbiI6ZmFs"
        "c2UsImV4dHJhRGF0YSI6ImNsaWVudERhdGFKU09OIG1heSBiZSBleHRlbmRlZCB3aXRoIGFkZGl0aW9uYWwgZmll"
        "bGRzIGluIHRoZSBmdXR1cmUsIHN1Y2ggYXMgdGhpczogOWE4Yk5ZaktDZ1dyQlhVLWZDbDFhZyJ9",
    .ao = "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIgPxnsSyKfRquMRe_ym5BP8QwDkNxAvxIW8Ep49M66"
          "NCUCIQD-cEGjJ1mv8FoPnybHCpmceihEUbqJI0odNIPCXiGSW2N4NWOBWQIlMIICITCCAcigAwIBAgIRAIjCIPg8"
          "jvH-r-lN6uRfqtAwCgYIKoZIzj0EAwIwYjEeMBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYDVQQK"
          "DANXM0MxJTAjBgNVBAsMHEF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFBMCAXDTI0MDEw"
          "MTAwMDAwMFoYDzMwMjQwMTAxMDAwMDAwWjBfMR4wHAYDVQQDDBVXZWJBdXRobiB0ZXN0IHZlY3RvcnMxDDAKBgNV"
          "BAoMA1czQzEiMCAGA1UECwwZQXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjELMAkGA1UEBhMCQUEwWTATBgcqhkjO"
          "PQIBBggqhkjOPQMBBwNCAASpG6Q4lAndOKQoFBlAyo_rGsDXtDUFWBBKN3ekkyLzeYRA83izOYqy07t7-RMiyS6y"
          "NVb1mtCoNv7Ex2Y7Dk3Do2AwXjAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB_wQEAwIHgDAdBgNVHQ4EFgQUpYm6ctBg"
          "hCqxH3T7JGve2rFvm5swHwYDVR0jBBgwFoAURa_3FbDdeGdB_umW68FlR6OTGx4wCgYIKoZIzj0EAwIDRwAwRAIg"
          "Fya52F7Nil7VEWNyLKOiCIb9myQqCqBFPUQhFgdd79UCIH70ceUwrIeWGoin8NDBewkf_GuSONMPefY1tBe-WRDn"
          "aGF1dGhEYXRhWKS_q8N0MpWLBjNg061kYcnEc1rn-O3UZZKl4PAUUrLktU0AAAAAh2yk9SBxw-myVQnvLN9-1gAg"
          "yab1s0YtAoc_6gxWhiI0-Z8IFygITlEbt3YCAaiQVKWlAQIDJiABIVggHPJ_JdpZEgikI5wuMk8QT1hVJUeaKe3u"
          "3YMPSOd66uUiWCBZ5LfabAEG4gbOOQyTq5ihWl7DiH5X8Mwr7OgDuSDEIw",
    .challenge = "wRhKX934BF4T3Ef1S2H1pla2ZrWQGPFthw6SVumVIBI",
    .origin = "https://example.org",
    .rp_id = "example.org",
    .anchor = "-----BEGIN CERTIFICATE-----\n"
              "MIICBzCCAa2gAwIBAgIRAO1/kF2L0LQU0XhJExcKkLYwCgYIKoZIzj0EAwIwYjEe\n"
              "MBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYDVQQKDANXM0MxJTAj\n"
              "BgNVBAsMHEF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFB\n"
              "MCAXDTI0MDEwMTAwMDAwMFoYDzMwMjQwMTAxMDAwMDAwWjBiMR4wHAYDVQQDDBVX\n"
              "ZWJBdXRobiB0ZXN0IHZlY3RvcnMxDDAKBgNVBAoMA1czQzElMCMGA1UECwwcQXV0\n"
              "aGVudGljYXRvciBBdHRlc3RhdGlvbiBDQTELMAkGA1UEBhMCQUEwWTATBgcqhkjO\n"
              "PQIBBggqhkjOPQMBBwNCAAQyaTAOX/e2mQFfcM+AqHY79wW8LirwwbOc/3GLfDWI\n"
              "DKMPMZB42RsDOJoAb9/IodzYTt+gfTCqE0dKJIoNq1uqo0IwQDAPBgNVHRMBAf8E\n"
              "BTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQURa/3FbDdeGdB/umW68Fl\n"
              "R6OTGx4wCgYIKoZIzj0EAwIDSAAwRQIgSDBjtrsI3Mg9ozoCwR0vQiAxdok1VNE4\n"
              "xhSjaQhyTMgCIQD17yyRLUUAs+L1tZHQYiSR6fIg39H5c07EhLt+kIh2Yw==\n"
              "-----END CERTIFICATE-----\n",
    .fmt = "packed",
};

/* w3c-tpm-es256-tpm-es256 (W3C WebAuthn L3 test vectors) */
static const struct fixture tpm = {
    .id = "7Ce-x1IciUu7ghEF6jckyQ53DPH6NUFX7xjQ8Y94vqk",
    .cdj =
        "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiejhnczN4enU2SFlTQ3FpUEEyVHdrUUdUUmd6"
        "N2w2TVhzdjRKQnBUNW9wayIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5vcmciLCJjcm9zc09yaWdpbiI6ZmFs"
        "c2V9",
    .ao = "o2NmbXRjdHBtZ2F0dFN0bXSmY2FsZyZjc2lnWEYwRAIgZuWCamUgkQMP1ETjPD7KK8bcVIzzBFATrds4qmRXohAC"
          "ID86XJXJ5wfQ5VUEG8yGmO5OvATibMi65FlwVHF4mFF2Y3ZlcmMyLjBjeDVjgVkCOjCCAjYwggHcoAMCAQICEDEf"
          "xC2gqxDEOpsb86deNOIwCgYIKoZIzj0EAwIwYjEeMBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYD"
          "VQQKDANXM0MxJTAjBgNVBAsMHEF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFBMCAXDTI0"
          "MDEwMTAwMDAwMFoYDzMwMjQwMTAxMDAwMDAwWjAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExU4_EJCU9g12"
          "mbfbXYOFaf_R8-HJ6JfNnrQAY_lALj6ZN-k2zx_NXrdD_0Q8l6su3NfI4ObPbP1BO4qxn_-naaOB0zCB0DAMBgNV"
          "HRMBAf8EAjAAMA4GA1UdDwEB_wQEAwIHgDAdBgNVHQ4EFgQUX1Rstpc9SYHoD83HRjhZ9YeWgOQwHwYDVR0jBBgw"
          "FoAURa_3FbDdeGdB_umW68FlR6OTGx4wEAYDVR0lBAkwBwYFZ4EFCAMwXgYDVR0RAQH_BFQwUqRQME4xTDAUBgVn"
          "gQUCAQwLaWQ6MDAwMDAwMDAwFAYFZ4EFAgMMC2lkOjAwMDAwMDAwMB4GBWeBBQICDBVXZWJBdXRobiB0ZXN0IHZl"
          "Y3RvcnMwCgYIKoZIzj0EAwIDSAAwRQIgY8mieXuAZvHbNN1gnxq2aVYH56mOn_gJCmiFPJqfyUkCIQClWDGjn1uK"
          "KqmmiDeCnKv0P-oqXOpIWa6FHKx45qw-l2dwdWJBcmVhWFYAIwALAAQAAAAAABAAEAADABAAIEEgJpjJ2XU_tLs_"
          "J80J_muK_bdkOO4q5U18na3hDYZLACDYc1EVzbMwpj6h1uQ9UAD0vVb5m86D7h1zMB_CcBFtB2hjZXJ0SW5mb1hp"
          "_1RDR4AXAAAAICd9DgVXndATIVpiJz9_Oj5-GR6tJlSjA211paPuN6awAAAAAAAAAAARERERIiIiIjMAAAAAAAAA"
          "AAAiAAucQtiq1ZOTMbmvNxGvF58XEjF4CYyafQyon80fyADzxwAAaGF1dGhEYXRhWKS_q8N0MpWLBjNg061kYcnE"
          "c1rn-O3UZZKl4PAUUrLktU0AAAAAS5Kjd_xfYQfEyFwZCtv9mQAg7Ce-x1IciUu7ghEF6jckyQ53DPH6NUFX7xjQ"
          "8Y94vqmlAQIDJiABIVggQSAmmMnZdT-0uz8nzQn-a4r9t2Q47irlTXydreENhksiWCDYc1EVzbMwpj6h1uQ9UAD0"
          "vVb5m86D7h1zMB_CcBFtBw",
    .challenge = "z8gs3xzu6HYSCqiPA2TwkQGTRgz7l6MXsv4JBpT5opk",
    .origin = "https://example.org",
    .rp_id = "example.org",
    .anchor = "-----BEGIN CERTIFICATE-----\n"
              "MIICBzCCAa2gAwIBAgIRAO1/kF2L0LQU0XhJExcKkLYwCgYIKoZIzj0EAwIwYjEe\n"
              "MBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYDVQQKDANXM0MxJTAj\n"
              "BgNVBAsMHEF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFB\n"
              "MCAXDTI0MDEwMTAwMDAwMFoYDzMwMjQwMTAxMDAwMDAwWjBiMR4wHAYDVQQDDBVX\n"
              "ZWJBdXRobiB0ZXN0IHZlY3RvcnMxDDAKBgNVBAoMA1czQzElMCMGA1UECwwcQXV0\n"
              "aGVudGljYXRvciBBdHRlc3RhdGlvbiBDQTELMAkGA1UEBhMCQUEwWTATBgcqhkjO\n"
              "PQIBBggqhkjOPQMBBwNCAAQyaTAOX/e2mQFfcM+AqHY79wW8LirwwbOc/3GLfDWI\n"
              "DKMPMZB42RsDOJoAb9/IodzYTt+gfTCqE0dKJIoNq1uqo0IwQDAPBgNVHRMBAf8E\n"
              "BTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQURa/3FbDdeGdB/umW68Fl\n"
              "R6OTGx4wCgYIKoZIzj0EAwIDSAAwRQIgSDBjtrsI3Mg9ozoCwR0vQiAxdok1VNE4\n"
              "xhSjaQhyTMgCIQD17yyRLUUAs+L1tZHQYiSR6fIg39H5c07EhLt+kIh2Yw==\n"
              "-----END CERTIFICATE-----\n",
    .fmt = "tpm",
};

/* w3c-apple-es256-apple-es256 (W3C WebAuthn L3 test vectors) */
static const struct fixture apple = {
    .id = "nEpYhq-Sg9m-Pp7FWXje39zi47NlyrGTroUMFiOPr7g",
    .cdj =
        "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiOV9hSUlUaFNBSGQxQUp6NHdKYjlxSjFndWFu"
        "N1dsRGRnZDJZbUs5YUJnayIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5vcmciLCJjcm9zc09yaWdpbiI6ZmFs"
        "c2UsImV4dHJhRGF0YSI6ImNsaWVudERhdGFKU09OIG1heSBiZSBleHRlbmRlZCB3aXRoIGFkZGl0aW9uYWwgZmll"
        "bGRzIGluIHRoZSBmdXR1cmUsIHN1Y2ggYXMgdGhpczogVGpMUG5wT2FYUVVyRk5jYkgydFRaQSJ9",
    .ao = "o2NmbXRlYXBwbGVnYXR0U3RtdKFjeDVjgVkCXDCCAlgwggH-oAMCAQICEDlCdWE9UxC4GinOkPSLYcEwCgYIKoZI"
          "zj0EAwIwYjEeMBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYDVQQKDANXM0MxJTAjBgNVBAsMHEF1"
          "dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFBMCAXDTI0MDEwMTAwMDAwMFoYDzMwMjQwMTAx"
          "MDAwMDAwWjBfMR4wHAYDVQQDDBVXZWJBdXRobiB0ZXN0IHZlY3RvcnMxDDAKBgNVBAoMA1czQzEiMCAGA1UECwwZ"
          "QXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjELMAkGA1UEBhMCQUEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASK"
          "PVsbTFQ6cGv25LAK_ts8kwtpDdKGk0_ikR93nMd2Gvco4ao7D_Zmkhktqndrg9344zQNLZoOq9_DJOs-LxNso4GW"
          "MIGTMAwGA1UdEwEB_wQCMAAwDgYDVR0PAQH_BAQDAgeAMB0GA1UdDgQWBBQS8c5sCuObQDv8kgAxe8GDpOTXZjAf"
          "BgNVHSMEGDAWgBRFr_cVsN14Z0H-6ZbrwWVHo5MbHjAzBgkqhkiG92NkCAIEJjAkoSIEINeobnIz-4Q-sO60B9i3"
          "b_fk-C0hjPXbtGHXUgc_XLKaMAoGCCqGSM49BAMCA0gAMEUCIHD1wu3jAA6drjWNQSsmpKy_GPTN64D1sT_NVk0J"
          "DDnsAiEA9nLiw9vhF8mxSQs8Zgq_Xc10OYGHCC2stYtnRN5KymBoYXV0aERhdGFYpL-rw3QylYsGM2DTrWRhycRz"
          "Wuf47dRlkqXg8BRSsuS1SQAAAAB0ghCiAHZhanM7IRQzb8OEACCcSliGr5KD2b4-nsVZeN7f3OLjs2XKsZOuhQwW"
          "I4-vuKUBAgMmIAEhWCCKPVsbTFQ6cGv25LAK_ts8kwtpDdKGk0_ikR93nMd2GiJYIPco4ao7D_Zmkhktqndrg934"
          "4zQNLZoOq9_DJOs-LxNs",
    .challenge = "9_aIIThSAHd1AJz4wJb9qJ1guan7WlDdgd2YmK9aBgk",
    .origin = "https://example.org",
    .rp_id = "example.org",
    .anchor = "-----BEGIN CERTIFICATE-----\n"
              "MIICBzCCAa2gAwIBAgIRAO1/kF2L0LQU0XhJExcKkLYwCgYIKoZIzj0EAwIwYjEe\n"
              "MBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYDVQQKDANXM0MxJTAj\n"
              "BgNVBAsMHEF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFB\n"
              "MCAXDTI0MDEwMTAwMDAwMFoYDzMwMjQwMTAxMDAwMDAwWjBiMR4wHAYDVQQDDBVX\n"
              "ZWJBdXRobiB0ZXN0IHZlY3RvcnMxDDAKBgNVBAoMA1czQzElMCMGA1UECwwcQXV0\n"
              "aGVudGljYXRvciBBdHRlc3RhdGlvbiBDQTELMAkGA1UEBhMCQUEwWTATBgcqhkjO\n"
              "PQIBBggqhkjOPQMBBwNCAAQyaTAOX/e2mQFfcM+AqHY79wW8LirwwbOc/3GLfDWI\n"
              "DKMPMZB42RsDOJoAb9/IodzYTt+gfTCqE0dKJIoNq1uqo0IwQDAPBgNVHRMBAf8E\n"
              "BTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQURa/3FbDdeGdB/umW68Fl\n"
              "R6OTGx4wCgYIKoZIzj0EAwIDSAAwRQIgSDBjtrsI3Mg9ozoCwR0vQiAxdok1VNE4\n"
              "xhSjaQhyTMgCIQD17yyRLUUAs+L1tZHQYiSR6fIg39H5c07EhLt+kIh2Yw==\n"
              "-----END CERTIFICATE-----\n",
    .fmt = "apple",
};

/* a self-signed P-256 root unrelated to the vectors (openssl req -x509) */
static const char other_root[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBpDCCAUugAwIBAgIUa+ONCyyqH9NN1IBcnvKg32EQ9FUwCgYIKoZIzj0EAwIw\n"
    "JzElMCMGA1UEAwwcbGF0Y2hrZXkgdGVzdCB1bnJlbGF0ZWQgcm9vdDAgFw0yNjEx\n"
    "MjUxNzUwNDFaGA8yMTI2MTEwMTE3NTA0MVowJzElMCMGA1UEAwwcbGF0Y2hrZXkg\n"
    "dGVzdCB1bnJlbGF0ZWQgcm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLbt\n"
    "Yu23DFoxZt/JvLt2EDFGM/voFYr8dSIH4PApOugCnIr2mtXl7o4F37NHYx5fTa5c\n"
    "gWYAxvbJ31ym1/dqOC6jUzBRMB0GA1UdDgQWBBSPOY3w35CWIlJqsqjsMaIxi2Pw\n"
    "7DAfBgNVHSMEGDAWgBSPOY3w35CWIlJqsqjsMaIxi2Pw7DAPBgNVHRMBAf8EBTAD\n"
    "AQH/MAoGCCqGSM49BAMCA0cAMEQCIDCa04uJroRVBY00W235PVcAvynHAO9PBkW5\n"
    "ETsYc0EgAiBcx3vddWy9VjwxdScSBsqxeTRJU5RyOBUPWDeJS97scQ==\n"
    "-----END CERTIFICATE-----\n";

#define MS_2023 1672531200000LL /* 2023-01-01, before the vectors' certificates */
#define MS_2025 1748736000000LL /* 2025-06-01 */

static int
verify(const struct fixture *f, const char *anchor, int64_t now_ms, struct lk_wa_error *e,
       struct lk_wa_registration *r)
{
	const char *origins[1] = {f->origin};
	const char *anchors[1] = {anchor};
	struct lk_wa_config c;
	json_t *resp;
	int rc;

	memset(&c, 0, sizeof(c));
	c.rp_id = f->rp_id;
	c.origins = origins;
	c.n_origins = 1;
	c.now_ms = now_ms;
	c.anchors_pem = anchors;
	c.n_anchors = anchor != NULL ? 1 : 0;
	resp = json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "id", f->id, "rawId", f->id, "type",
	                 "public-key", "response", "clientDataJSON", f->cdj, "attestationObject",
	                 f->ao);
	rc = lk_wa_verify_registration(&c, resp, f->challenge, 0, 1, r, e);
	json_decref(resp);
	return rc;
}

static void
check_fixture(const struct fixture *f, const char *type)
{
	struct lk_wa_registration r;
	struct lk_wa_error e;

	CHECK_EQ_INT(verify(f, f->anchor, MS_2025, &e, &r), LK_OK);
	CHECK_EQ_STR(r.fmt, f->fmt);
	CHECK_EQ_STR(r.attestation, type);
	CHECK_EQ_INT(r.alg, LK_WA_ALG_ES256);
	lk_wa_registration_clear(&r);
	/* no anchors: the chain's own signatures and validity */
	CHECK_EQ_INT(verify(f, NULL, MS_2025, &e, &r), LK_OK);
	lk_wa_registration_clear(&r);
	/* an unrelated root */
	CHECK_EQ_INT(verify(f, other_root, MS_2025, &e, &r), LK_E_VERIFY);
	CHECK_EQ_STR(e.check, "attestation");
	CHECK(strstr(e.message, "certificate chain") != NULL);
	/* the right root, but a clock before the certificates */
	CHECK_EQ_INT(verify(f, f->anchor, MS_2023, &e, &r), LK_E_EXPIRED);
	CHECK_EQ_STR(e.check, "attestation");
	CHECK_EQ_INT(verify(f, NULL, MS_2023, &e, &r), LK_E_EXPIRED);
	/* an anchor that is not a PEM certificate */
	CHECK_EQ_INT(verify(f, "not a certificate", MS_2025, &e, &r), LK_E_INVAL);
	CHECK_EQ_STR(e.check, "attestation");
}

static void
test_packed_x5c(void)
{
	check_fixture(&packed, "basic");
}

static void
test_tpm(void)
{
	check_fixture(&tpm, "attca");
}

static void
test_apple(void)
{
	check_fixture(&apple, "anonca");
}

static void
test_wrong_challenge_before_attestation(void)
{
	struct fixture f = packed;
	struct lk_wa_registration r;
	struct lk_wa_error e;

	f.challenge = "AAAA";
	CHECK_EQ_INT(verify(&f, f.anchor, MS_2025, &e, &r), LK_E_VERIFY);
	CHECK_EQ_STR(e.message, "challenge: mismatch");
}

/* ---- real vectors, mutated ---- */

/* The registration case file vectors/webauthn/registration/<name>.json. Without it the
 * program stops: the tests below cannot run. */
static json_t *
load_case(const char *name)
{
	const char *dir = getenv("LATCHKEY_VECTORS");
	char path[512];
	json_error_t je;
	json_t *c;

	snprintf(path, sizeof(path), "%s/webauthn/registration/%s.json",
	         dir ? dir : "../shared/vectors", name);
	c = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (c == NULL) {
		fprintf(stderr, "%s: %s\n", path, je.text);
		exit(1);
	}
	return c;
}

static const char *
case_str(const json_t *c, const char *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(c, obj), key));
}

/* expected.now as Unix ms, or the real clock when the case has none. */
static int64_t
case_now(const json_t *c)
{
	const char *s = case_str(c, "expected", "now");
	struct tm tm;
	int ms = 0;

	if (s == NULL) {
		return (int64_t)time(NULL) * 1000;
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec, &ms) != 7) {
		return 0;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* Verifies case c as its expected member says, with attestationObject replaced by ao
 * unless ao is NULL, and with the case's trustAnchors unless anchors is 0. */
static int
verify_case(const json_t *c, const cbor_item_t *ao, int anchors, struct lk_wa_error *e)
{
	const char *origins[1] = {case_str(c, "expected", "origin")};
	const char *pem[8];
	const json_t *ex = json_object_get(c, "expected"), *ta = json_object_get(c, "trustAnchors");
	struct lk_wa_registration r;
	struct lk_wa_config cfg;
	json_t *resp = json_deep_copy(json_object_get(c, "response"));
	size_t i;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.rp_id = case_str(c, "expected", "rpId");
	cfg.origins = origins;
	cfg.n_origins = 1;
	cfg.now_ms = case_now(c);
	cfg.safetynet_cts_optional =
	    json_is_false(json_object_get(ex, "safetyNetCtsProfileMatchRequired"));
	for (i = 0; anchors && i < json_array_size(ta) && i < 8; i++) {
		pem[i] = json_string_value(json_array_get(ta, i));
	}
	cfg.anchors_pem = pem;
	cfg.n_anchors = i;
	if (ao != NULL) {
		unsigned char *der = NULL;
		size_t cap = 0, n = cbor_serialize_alloc(ao, &der, &cap);
		char *b64 = lk_wa_b64u_encode(der, n);
		json_object_set_new(json_object_get(resp, "response"), "attestationObject",
		                    json_string(b64));
		free(b64);
		free(der);
	}
	rc = lk_wa_verify_registration(&cfg, resp, case_str(c, "expected", "challenge"),
	                               json_is_true(json_object_get(ex, "requireUserVerification")),
	                               !json_is_false(json_object_get(ex, "requireUserPresence")),
	                               &r, e);
	if (rc == LK_OK) {
		lk_wa_registration_clear(&r);
	}
	json_decref(resp);
	return rc;
}

/* c's attestationObject, decoded for mutation (cbor_decref it), after checking that c
 * verifies as it is (so that a refusal is the mutation's doing). */
static cbor_item_t *
ao_decode(const json_t *c)
{
	const char *s = json_string_value(json_object_get(
	    json_object_get(json_object_get(c, "response"), "response"), "attestationObject"));
	struct cbor_load_result res;
	struct lk_wa_error e;
	cbor_item_t *ao = NULL;
	uint8_t *der = NULL;
	size_t n = 0;

	if (s != NULL && lk_wa_b64u_decode(s, strlen(s), 1 << 20, &der, &n) == LK_OK) {
		ao = cbor_load(der, n, &res);
		free(der);
	}
	if (ao == NULL || !cbor_isa_map(ao)) {
		fprintf(stderr, "%s: attestationObject does not decode\n",
		        json_string_value(json_object_get(c, "name")));
		exit(1);
	}
	if (verify_case(c, NULL, 1, &e) != LK_OK) {
		fprintf(stderr, "%s does not verify unchanged: %s\n",
		        json_string_value(json_object_get(c, "name")), e.message);
		check_failed_now = 1;
	}
	return ao;
}

/* The value of text key k in map m (borrowed), or NULL. */
static cbor_item_t *
map_get(const cbor_item_t *m, const char *k)
{
	struct cbor_pair *p;
	size_t i;

	if (m == NULL || !cbor_isa_map(m)) {
		return NULL;
	}
	p = cbor_map_handle(m);
	for (i = 0; i < cbor_map_size(m); i++) {
		if (cbor_isa_string(p[i].key) && cbor_string_length(p[i].key) == strlen(k) &&
		    memcmp(cbor_string_handle(p[i].key), k, strlen(k)) == 0) {
			return p[i].value;
		}
	}
	return NULL;
}

/* Replaces the value of existing key k of map m by v (whose reference it takes). */
static void
map_set(cbor_item_t *m, const char *k, cbor_item_t *v)
{
	struct cbor_pair *p = m != NULL && cbor_isa_map(m) ? cbor_map_handle(m) : NULL;
	size_t i;

	for (i = 0; p != NULL && i < cbor_map_size(m); i++) {
		if (cbor_isa_string(p[i].key) && cbor_string_length(p[i].key) == strlen(k) &&
		    memcmp(cbor_string_handle(p[i].key), k, strlen(k)) == 0) {
			cbor_decref(&p[i].value);
			p[i].value = v;
			return;
		}
	}
	CHECK(!"map_set: no such key");
	cbor_decref(&v);
}

/* The bytes of byte-string member k of map m, to change in place; *n its length. (A
 * scratch buffer and a failed check when there is no such member.) */
static uint8_t *
map_bytes(const cbor_item_t *m, const char *k, size_t *n)
{
	static uint8_t scratch[64];
	cbor_item_t *v = map_get(m, k);

	if (v == NULL || !cbor_isa_bytestring(v)) {
		CHECK(!"map_bytes: no such byte string");
		*n = sizeof(scratch);
		return scratch;
	}
	*n = cbor_bytestring_length(v);
	return cbor_bytestring_handle(v);
}

static cbor_item_t *
stmt_of(const cbor_item_t *ao)
{
	return map_get(ao, "attStmt");
}

/* Appends a certificate to attStmt.x5c of ao. */
static void
x5c_append(cbor_item_t *ao, const uint8_t *der, size_t n)
{
	cbor_item_t *old = map_get(stmt_of(ao), "x5c"), *x5c, *it;
	size_t i;

	x5c = cbor_new_definite_array(cbor_array_size(old) + 1);
	for (i = 0; i < cbor_array_size(old); i++) {
		it = cbor_array_get(old, i);
		cbor_array_push(x5c, it);
		cbor_decref(&it);
	}
	cbor_array_push(x5c, cbor_move(cbor_build_bytestring(der, n)));
	map_set(stmt_of(ao), "x5c", x5c);
}

/* DER of c as a byte string item. */
static cbor_item_t *
cert_item(X509 *c)
{
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);
	cbor_item_t *it;

	CHECK(n > 0);
	it = cbor_build_bytestring(der, (size_t)n);
	OPENSSL_free(der);
	return it;
}

#define REFUSED(c, ao, anchors, rc, want) refused((c), (ao), (anchors), (rc), (want), __LINE__)

/* Case c with attestationObject ao is refused with want_rc, check "attestation" and a
 * message containing want (the step that refused it). */
static void
refused(const json_t *c, const cbor_item_t *ao, int anchors, int want_rc, const char *want,
        int line)
{
	struct lk_wa_error e;
	int rc = verify_case(c, ao, anchors, &e);

	if (rc != want_rc || strcmp(e.check, "attestation") != 0 ||
	    strstr(e.message, want) == NULL) {
		fprintf(stderr, "%s:%d: %s: rc %d \"%s\", expected rc %d naming \"%s\"\n", __FILE__,
		        line, json_string_value(json_object_get(c, "name")), rc,
		        rc == LK_OK ? "(accepted)" : e.message, want_rc, want);
		check_failed_now = 1;
	}
}

/* Real TPM registrations: ES256 with an ECC pubArea (W3C, anchored), and RSA pubAreas
 * from Windows Hello with RS256 (Dell XPS 13, Nuvoton TPM) and with RS1 (SHA-1 extraData
 * and AIK signature), both at their recorded clock. */
static const char *const tpm_cases[] = {
    "w3c-tpm-es256-tpm-es256",
    "py-tpm-rs256-verify-attestation-dell-xps-13",
    "swa-tpm-rs1-verify-sha1-tpm-response",
};
#define N_TPM (sizeof(tpm_cases) / sizeof(tpm_cases[0]))

/* Runs mutate on each TPM case's decoded attestationObject (it checks the refusal). */
static void
each_tpm(void (*mutate)(const json_t *c, cbor_item_t *ao))
{
	size_t i;

	for (i = 0; i < N_TPM; i++) {
		json_t *c = load_case(tpm_cases[i]);
		cbor_item_t *ao = ao_decode(c);

		mutate(c, ao);
		cbor_decref(&ao);
		json_decref(c);
	}
}

/* A signCount that is not the one the TPM certified: authData changes, clientDataHash and
 * certInfo do not, so certInfo.extraData (the hash of authData || clientDataHash) no longer
 * matches and nothing else does. */
static void
other_sign_count(const json_t *c, cbor_item_t *ao)
{
	size_t n;
	uint8_t *ad = map_bytes(ao, "authData", &n);

	CHECK(n > 37);
	ad[36] ^= 0x01; /* rpIdHash (32), flags (1), signCount (4, big-endian) */
	REFUSED(c, ao, 1, LK_E_VERIFY, "tpm: certInfo extraData");
}

/* One bit of pubArea.objectAttributes (fixedTPM) flipped: the key is still the credential
 * key, but certInfo.attested.name is the hash of the pubArea the TPM certified. */
static void
other_attributes(const json_t *c, cbor_item_t *ao)
{
	size_t n;
	uint8_t *pa = map_bytes(stmt_of(ao), "pubArea", &n);

	CHECK(n > 8);
	pa[7] ^= 0x02; /* type (2), nameAlg (2), objectAttributes (4, big-endian) */
	REFUSED(c, ao, 1, LK_E_VERIFY, "tpm: certInfo attested name is not pubArea's");
}

/* pubArea and certInfo cut at every length, and with a byte appended: malformed, by the
 * parser of each structure (not by a later comparison). */
static void
cut_everywhere(const json_t *c, cbor_item_t *ao)
{
	static const struct {
		const char *member, *want;
	} parts[] = {{"pubArea", "tpm: pubArea malformed"},
	             {"certInfo", "tpm: certInfo malformed"}};
	size_t k, len, n;

	for (k = 0; k < 2; k++) {
		uint8_t *p = map_bytes(stmt_of(ao), parts[k].member, &n), *whole;
		whole = malloc(n + 1);
		memcpy(whole, p, n);
		whole[n] = 0;
		for (len = 0; len <= n + 1; len++) {
			if (len == n) {
				continue;
			}
			map_set(stmt_of(ao), parts[k].member, cbor_build_bytestring(whole, len));
			REFUSED(c, ao, 1, LK_E_MALFORMED, parts[k].want);
		}
		map_set(stmt_of(ao), parts[k].member, cbor_build_bytestring(whole, n));
		free(whole);
	}
}

/* certInfo.magic and certInfo.type altered. Both are checked before the AIK signature
 * over certInfo (which they also break), so the refusal names them; with either check
 * gone the signature check refuses instead and the test fails. */
static void
other_magic_and_type(const json_t *c, cbor_item_t *ao)
{
	size_t n;
	uint8_t *ci = map_bytes(stmt_of(ao), "certInfo", &n);

	CHECK(n > 6);
	ci[3] ^= 0x01; /* magic (4): TPM_GENERATED_VALUE */
	REFUSED(c, ao, 1, LK_E_VERIFY, "tpm: certInfo magic");
	ci[3] ^= 0x01;
	ci[5] ^= 0x01; /* type (2): TPM_ST_ATTEST_CERTIFY */
	REFUSED(c, ao, 1, LK_E_VERIFY, "tpm: certInfo type");
}

static void
test_tpm_extra_data(void)
{
	each_tpm(other_sign_count);
}

static void
test_tpm_attested_name(void)
{
	each_tpm(other_attributes);
}

static void
test_tpm_truncated(void)
{
	each_tpm(cut_everywhere);
}

static void
test_tpm_magic_and_type(void)
{
	each_tpm(other_magic_and_type);
}

/* android-key: attStmt.sig with its last byte changed. */
static void
test_android_key_sig(void)
{
	static const char *const cases[] = {
	    "w3c-android-key-es256-android-key-es256",
	    "swa-android-key-es256-verify-android-keystore-response-from-a-pixel-8a-in-january-"
	    "2025",
	};
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *c = load_case(cases[i]);
		cbor_item_t *ao = ao_decode(c);
		uint8_t *sig = map_bytes(stmt_of(ao), "sig", &n);

		CHECK(n > 8);
		sig[n - 1] ^= 0x01;
		REFUSED(c, ao, 1, LK_E_VERIFY, "android-key: signature does not verify");
		cbor_decref(&ao);
		json_decref(c);
	}
}

/* android-safetynet (2025, ctsProfileMatch optional as the case says): a signCount the
 * JWS nonce does not cover, and one character of the JWS signature changed. The case is
 * anchored (GlobalSign root) at its own clock, so with either check gone it is accepted. */
static void
test_safetynet(void)
{
	json_t *c = load_case("swa-android-safetynet-es256-skip-cts-check-when-enforcement-option-"
	                      "is-false");
	cbor_item_t *ao = ao_decode(c);
	size_t n, at;
	uint8_t *ad = map_bytes(ao, "authData", &n), *jws;

	CHECK(n > 37);
	ad[36] ^= 0x01;
	REFUSED(c, ao, 1, LK_E_VERIFY, "android-safetynet: nonce mismatch");
	ad[36] ^= 0x01;
	jws = map_bytes(stmt_of(ao), "response", &n);
	for (at = n; at > 0 && jws[at - 1] != '.'; at--) {
	}
	CHECK(at > 0 && n - at > 16);
	at += (n - at) / 2; /* a middle character: all six of its bits are signature bits */
	jws[at] = jws[at] == 'A' ? 'B' : 'A';
	REFUSED(c, ao, 1, LK_E_VERIFY, "android-safetynet: JWS signature");
	cbor_decref(&ao);
	json_decref(c);
}

/* fido-u2f with its CA after the leaf (the chain still reaches the anchor): x5c must be
 * the attestation certificate alone. */
static void
test_fido_u2f_two_certs(void)
{
	json_t *c = load_case("w3c-fido-u2f-es256-fido-u2f-es256");
	cbor_item_t *ao = ao_decode(c);
	const char *pem = json_string_value(json_array_get(json_object_get(c, "trustAnchors"), 0));
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	cbor_item_t *der;

	CHECK(ca != NULL);
	der = cert_item(ca);
	x5c_append(ao, cbor_bytestring_handle(der), cbor_bytestring_length(der));
	REFUSED(c, ao, 1, LK_E_MALFORMED, "fido-u2f: x5c must hold one certificate");
	cbor_decref(&der);
	X509_free(ca);
	BIO_free(bio);
	cbor_decref(&ao);
	json_decref(c);
}

/* ---- certificates and registrations generated with OpenSSL ---- */

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	CHECK(k != NULL);
	return k;
}

static X509_NAME *
dn(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"AA", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"latchkey test", -1,
	                           -1, 0);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC,
	                           (const unsigned char *)"Authenticator Attestation", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

/* A v3 certificate for key named subject, issued as issuer (NULL: subject) and signed by
 * signer, valid from a day ago to a day ahead; with extension oid holding ext if given. */
static X509 *
make_cert(EVP_PKEY *key, const X509_NAME *subject, const X509_NAME *issuer, EVP_PKEY *signer,
          const char *oid, const uint8_t *ext, size_t ext_len)
{
	static long serial = 1;
	X509 *c = X509_new();

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c), -86400);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_subject_name(c, subject);
	X509_set_issuer_name(c, issuer != NULL ? issuer : subject);
	X509_set_pubkey(c, key);
	if (oid != NULL) {
		ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *x;
		ASN1_OCTET_STRING_set(os, ext, (int)ext_len);
		x = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
		CHECK(x != NULL && X509_add_ext(c, x, -1) == 1);
		X509_EXTENSION_free(x);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(o);
	}
	CHECK(X509_sign(c, signer, EVP_sha256()) > 0);
	return c;
}

/* A registration of a fresh P-256 credential on https://gen.example: its authData (UP,
 * AT, signCount 0, zero aaguid, 16-byte credential id) and clientDataJSON. */
struct gen {
	EVP_PKEY *cred;
	uint8_t ad[160], cdh[32];
	size_t ad_len;
	char cdj[160];
};

static const char gen_challenge[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
static const uint8_t gen_cred_id[16] = {0x6c, 0x61, 0x74, 0x63, 0x68, 0x6b, 0x65, 0x79,
                                        0x2d, 0x67, 0x65, 0x6e, 0x2d, 0x69, 0x64, 0x31};

static void
gen_init(struct gen *g)
{
	uint8_t pt[65];
	size_t pt_len = 0, n = 0;

	memset(g, 0, sizeof(*g));
	g->cred = ec_key();
	CHECK(EVP_PKEY_get_octet_string_param(g->cred, "pub", pt, sizeof(pt), &pt_len) == 1 &&
	      pt_len == 65);
	lk_wa_sha256((const uint8_t *)"gen.example", 11, g->ad);
	n = 32;
	g->ad[n++] = 0x41; /* UP, AT */
	n += 4 + 16;       /* signCount 0, aaguid zero */
	g->ad[n++] = 0;
	g->ad[n++] = sizeof(gen_cred_id);
	memcpy(g->ad + n, gen_cred_id, sizeof(gen_cred_id));
	n += sizeof(gen_cred_id);
	/* COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} */
	memcpy(g->ad + n, "\xa5\x01\x02\x03\x26\x20\x01\x21\x58\x20", 10);
	memcpy(g->ad + n + 10, pt + 1, 32);
	memcpy(g->ad + n + 42, "\x22\x58\x20", 3);
	memcpy(g->ad + n + 45, pt + 33, 32);
	g->ad_len = n + 77;
	snprintf(g->cdj, sizeof(g->cdj),
	         "{\"type\":\"webauthn.create\",\"challenge\":\"%s\",\"origin\":\"https://"
	         "gen.example\",\"crossOrigin\":false}",
	         gen_challenge);
	lk_wa_sha256((const uint8_t *)g->cdj, strlen(g->cdj), g->cdh);
}

/* key's signature with md over authData || clientDataHash (DER for ECDSA), as an item. */
static cbor_item_t *
gen_sig(const struct gen *g, EVP_PKEY *key, const EVP_MD *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t msg[sizeof(g->ad) + 32], sig[512];
	size_t n = sizeof(sig);

	memcpy(msg, g->ad, g->ad_len);
	memcpy(msg + g->ad_len, g->cdh, 32);
	CHECK(EVP_DigestSignInit(ctx, NULL, md, NULL, key) == 1 &&
	      EVP_DigestSign(ctx, sig, &n, msg, g->ad_len + 32) == 1);
	EVP_MD_CTX_free(ctx);
	return cbor_build_bytestring(sig, n);
}

/* The case (in the shape of the vector files) of g with format fmt and attStmt stmt
 * (whose reference it takes), verified at the real clock without anchors. */
static json_t *
gen_case(const struct gen *g, const char *fmt, cbor_item_t *stmt)
{
	cbor_item_t *ao = cbor_new_definite_map(3);
	unsigned char *der = NULL;
	size_t cap = 0, n;
	char *ao_b64, *cdj_b64, *id_b64;
	json_t *c;

	cbor_map_add(ao, (struct cbor_pair){.key = cbor_move(cbor_build_string("fmt")),
	                                    .value = cbor_move(cbor_build_string(fmt))});
	cbor_map_add(ao, (struct cbor_pair){.key = cbor_move(cbor_build_string("attStmt")),
	                                    .value = cbor_move(stmt)});
	cbor_map_add(
	    ao, (struct cbor_pair){.key = cbor_move(cbor_build_string("authData")),
	                           .value = cbor_move(cbor_build_bytestring(g->ad, g->ad_len))});
	n = cbor_serialize_alloc(ao, &der, &cap);
	ao_b64 = lk_wa_b64u_encode(der, n);
	cdj_b64 = lk_wa_b64u_encode((const uint8_t *)g->cdj, strlen(g->cdj));
	id_b64 = lk_wa_b64u_encode(gen_cred_id, sizeof(gen_cred_id));
	c = json_pack("{s:s+,s:{s:s,s:s,s:s,s:{s:s,s:s}},s:{s:s,s:s,s:s}}", "name", "generated ",
	              fmt, "response", "id", id_b64, "rawId", id_b64, "type", "public-key",
	              "response", "clientDataJSON", cdj_b64, "attestationObject", ao_b64,
	              "expected", "challenge", gen_challenge, "origin", "https://gen.example",
	              "rpId", "gen.example");
	CHECK(c != NULL);
	free(ao_b64);
	free(cdj_b64);
	free(id_b64);
	free(der);
	cbor_decref(&ao);
	return c;
}

/* attStmt {alg, sig, x5c: [leaf]}, taking the references of sig and leaf. */
static cbor_item_t *
stmt_new(int64_t alg, cbor_item_t *sig, cbor_item_t *leaf)
{
	cbor_item_t *m = cbor_new_definite_map(3), *x5c = cbor_new_definite_array(1);
	cbor_item_t *a =
	    alg < 0 ? cbor_build_negint32((uint32_t)(-1 - alg)) : cbor_build_uint32((uint32_t)alg);

	cbor_array_push(x5c, cbor_move(leaf));
	cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_string("alg")),
	                                   .value = cbor_move(a)});
	cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_string("sig")),
	                                   .value = cbor_move(sig)});
	cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_string("x5c")),
	                                   .value = cbor_move(x5c)});
	return m;
}

/* Appends DER tag (tag_len bytes), a length under 256 and v[n] at out; returns its size. */
static size_t
der_put(uint8_t *out, const char *tag, size_t tag_len, const uint8_t *v, size_t n)
{
	size_t k = tag_len;

	CHECK(n < 256);
	memcpy(out, tag, tag_len);
	if (n >= 128) {
		out[k++] = 0x81;
	}
	out[k++] = (uint8_t)n;
	if (n > 0) {
		memcpy(out + k, v, n); /* v may be NULL for an empty value */
	}
	return k + n;
}

struct keydesc {
	const uint8_t *challenge; /* attestationChallenge (32 bytes) */
	int all_applications;     /* [600] in softwareEnforced */
	uint8_t origin, purpose;  /* teeEnforced [702] origin, [1] purpose */
};

/* An Android Keystore KeyDescription (attestation version 3) into out; its length. */
static size_t
keydesc_der(uint8_t *out, const struct keydesc *d)
{
	uint8_t body[256], sw[16], tee[32], set[8];
	const uint8_t purpose[3] = {0x02, 0x01, d->purpose}, origin[3] = {0x02, 0x01, d->origin};
	size_t n = 0, sw_n = 0, tee_n = 0;

	if (d->all_applications) {
		sw_n += der_put(sw, "\xbf\x84\x58", 3, (const uint8_t *)"\x05\x00", 2);
	}
	tee_n += der_put(tee, "\xa1", 1, set, der_put(set, "\x31", 1, purpose, 3));
	tee_n += der_put(tee + tee_n, "\xbf\x85\x3e", 3, origin, 3);
	/* attestationVersion 3, TEE, keymasterVersion 4, TEE */
	memcpy(body, "\x02\x01\x03\x0a\x01\x01\x02\x01\x04\x0a\x01\x01", 12);
	n = 12;
	n += der_put(body + n, "\x04", 1, d->challenge, 32);
	n += der_put(body + n, "\x04", 1, NULL, 0); /* uniqueId */
	n += der_put(body + n, "\x30", 1, sw, sw_n);
	n += der_put(body + n, "\x30", 1, tee, tee_n);
	return der_put(out, "\x30", 1, body, n);
}

/* A generated android-key registration: the credential key's self-signed certificate
 * with key description d, and its ES256 signature. */
static json_t *
android_key_case(const struct gen *g, const struct keydesc *d)
{
	uint8_t kd[256];
	size_t kd_len = keydesc_der(kd, d);
	X509_NAME *n = dn("latchkey generated android key");
	X509 *leaf = make_cert(g->cred, n, NULL, g->cred, "1.3.6.1.4.1.11129.2.1.17", kd, kd_len);
	json_t *c =
	    gen_case(g, "android-key",
	             stmt_new(LK_WA_ALG_ES256, gen_sig(g, g->cred, EVP_sha256()), cert_item(leaf)));

	X509_free(leaf);
	X509_NAME_free(n);
	return c;
}

/* android-key key description: a generated registration whose description is right is
 * accepted; one thing wrong in it is refused by the check for that thing. */
static void
test_android_key_description(void)
{
	static const uint8_t other[32] = {1};
	struct gen g;
	struct keydesc ok, d;
	struct lk_wa_error e;
	json_t *c;

	gen_init(&g);
	ok = (struct keydesc){.challenge = g.cdh, .origin = 0, .purpose = 2};
	c = android_key_case(&g, &ok);
	CHECK_EQ_INT(verify_case(c, NULL, 0, &e), LK_OK);
	json_decref(c);

	d = ok;
	d.challenge = other;
	c = android_key_case(&g, &d);
	REFUSED(c, NULL, 0, LK_E_VERIFY, "android-key: attestationChallenge is not clientDataHash");
	json_decref(c);

	d = ok;
	d.all_applications = 1;
	c = android_key_case(&g, &d);
	REFUSED(c, NULL, 0, LK_E_VERIFY, "android-key: allApplications is present");
	json_decref(c);

	d = ok;
	d.origin = 3; /* KM_ORIGIN_IMPORTED */
	c = android_key_case(&g, &d);
	REFUSED(c, NULL, 0, LK_E_VERIFY, "android-key: origin is not KM_ORIGIN_GENERATED");
	json_decref(c);

	d = ok;
	d.purpose = 3; /* KM_PURPOSE_VERIFY */
	c = android_key_case(&g, &d);
	REFUSED(c, NULL, 0, LK_E_VERIFY, "android-key: purpose lacks KM_PURPOSE_SIGN");
	json_decref(c);
	EVP_PKEY_free(g.cred);
}

/* The unanchored chain: a real packed leaf (W3C, verified without its anchor) with a
 * certificate after it that did not issue it: an unrelated CA, and one that carries the
 * leaf's issuer name but another key. The packed signature does not cover x5c. */
static void
test_chain_unanchored(void)
{
	json_t *c = load_case("w3c-packed-es256-packed-es256");
	cbor_item_t *ao = ao_decode(c), *leaf_der = cbor_array_get(map_get(stmt_of(ao), "x5c"), 0);
	const unsigned char *q = cbor_bytestring_handle(leaf_der);
	X509 *leaf = d2i_X509(NULL, &q, (long)cbor_bytestring_length(leaf_der));
	EVP_PKEY *k = ec_key();
	X509_NAME *n = dn("latchkey unrelated CA");
	X509 *certs[2];
	struct lk_wa_error e;
	int i;

	CHECK(leaf != NULL);
	CHECK_EQ_INT(verify_case(c, NULL, 0, &e), LK_OK);
	certs[0] = make_cert(k, n, NULL, k, NULL, NULL, 0);
	certs[1] = make_cert(k, X509_get_issuer_name(leaf), NULL, k, NULL, NULL, 0);
	for (i = 0; i < 2; i++) {
		cbor_item_t *mut = cbor_copy(ao), *der = cert_item(certs[i]);
		x5c_append(mut, cbor_bytestring_handle(der), cbor_bytestring_length(der));
		REFUSED(c, mut, 0, LK_E_VERIFY,
		        "packed: certificate chain: certificate 0 not signed by 1");
		cbor_decref(&der);
		cbor_decref(&mut);
		X509_free(certs[i]);
	}
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	X509_free(leaf);
	cbor_decref(&leaf_der);
	cbor_decref(&ao);
	json_decref(c);
}

/* The same check on a generated packed chain whose CA key did sign the leaf: the CA
 * certificate as issued is accepted after the leaf, the same key under another subject
 * name is not (the leaf names its issuer). */
static void
test_chain_issuer_name(void)
{
	EVP_PKEY *ca_key = ec_key(), *leaf_key = ec_key();
	X509_NAME *ca_dn = dn("latchkey generated CA"), *other_dn = dn("latchkey renamed CA");
	X509_NAME *leaf_dn = dn("latchkey generated packed");
	X509 *leaf = make_cert(leaf_key, leaf_dn, ca_dn, ca_key, NULL, NULL, 0);
	X509 *ca = make_cert(ca_key, ca_dn, NULL, ca_key, NULL, NULL, 0);
	X509 *renamed = make_cert(ca_key, other_dn, NULL, ca_key, NULL, NULL, 0);
	struct lk_wa_error e;
	struct gen g;
	json_t *c;
	cbor_item_t *ao, *mut, *der;

	gen_init(&g);
	c = gen_case(
	    &g, "packed",
	    stmt_new(LK_WA_ALG_ES256, gen_sig(&g, leaf_key, EVP_sha256()), cert_item(leaf)));
	ao = ao_decode(c);
	mut = cbor_copy(ao);
	der = cert_item(ca);
	x5c_append(mut, cbor_bytestring_handle(der), cbor_bytestring_length(der));
	CHECK_EQ_INT(verify_case(c, mut, 0, &e), LK_OK);
	cbor_decref(&der);
	cbor_decref(&mut);
	der = cert_item(renamed);
	x5c_append(ao, cbor_bytestring_handle(der), cbor_bytestring_length(der));
	REFUSED(c, ao, 0, LK_E_VERIFY, "packed: certificate chain: certificate 0 not signed by 1");
	cbor_decref(&der);
	cbor_decref(&ao);
	json_decref(c);
	X509_free(renamed);
	X509_free(ca);
	X509_free(leaf);
	X509_NAME_free(leaf_dn);
	X509_NAME_free(other_dn);
	X509_NAME_free(ca_dn);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(g.cred);
}

/* packed with alg RS1 (-65535): a generated RSA attestation certificate that meets the
 * packed requirements signs with RS256, which verifies, and with RS1 (SHA-1), which is
 * refused for being RS1 although the signature is good. */
static void
test_packed_rs1(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	X509_NAME *n = dn("latchkey generated packed");
	X509 *leaf;
	struct lk_wa_error e;
	struct gen g;
	json_t *c;

	CHECK(rsa != NULL);
	gen_init(&g);
	leaf = make_cert(rsa, n, NULL, rsa, NULL, NULL, 0);
	c = gen_case(&g, "packed",
	             stmt_new(LK_WA_ALG_RS256, gen_sig(&g, rsa, EVP_sha256()), cert_item(leaf)));
	CHECK_EQ_INT(verify_case(c, NULL, 0, &e), LK_OK);
	json_decref(c);
	c = gen_case(&g, "packed",
	             stmt_new(LK_WA_ALG_RS1, gen_sig(&g, rsa, EVP_sha1()), cert_item(leaf)));
	REFUSED(c, NULL, 0, LK_E_UNSUPPORTED, "packed: RS1 is only accepted from a TPM");
	json_decref(c);
	X509_free(leaf);
	X509_NAME_free(n);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(g.cred);
}

int
main(void)
{
	RUN(test_packed_x5c);
	RUN(test_tpm);
	RUN(test_apple);
	RUN(test_wrong_challenge_before_attestation);
	RUN(test_tpm_extra_data);
	RUN(test_tpm_attested_name);
	RUN(test_tpm_truncated);
	RUN(test_tpm_magic_and_type);
	RUN(test_android_key_sig);
	RUN(test_safetynet);
	RUN(test_fido_u2f_two_certs);
	RUN(test_android_key_description);
	RUN(test_chain_unanchored);
	RUN(test_chain_issuer_name);
	RUN(test_packed_rs1);
	return check_done("test_webauthn_attest");
}
