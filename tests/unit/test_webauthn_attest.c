/* test_webauthn_attest.c: attestation trust paths through the public API on the W3C L3
 * test vectors (packed, tpm, apple with x5c): the chain must reach a configured anchor at
 * the caller's clock; an unrelated anchor, a clock outside the certificates' validity and
 * an unusable anchor are refused with check "attestation"; without anchors the chain's own
 * signatures and validity are checked. */
#include <string.h>

#include "check.h"
#include "core/rc.h"
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

int
main(void)
{
	RUN(test_packed_x5c);
	RUN(test_tpm);
	RUN(test_apple);
	RUN(test_wrong_challenge_before_attestation);
	return check_done("test_webauthn_attest");
}
