/* config.h: the server's settings, filled by src/cli/options.c from the command line and
 * LATCHKEY_* variables, read-only once the server runs. Durations are milliseconds. */
#ifndef LK_CONFIG_H
#define LK_CONFIG_H

#include <stdint.h>

#define LK_MAX_TOP_ORIGINS 16
#define LK_MAX_PROXIES     16

struct lk_cidr {
	unsigned char addr[16]; /* IPv4 as IPv4-mapped IPv6 */
	int prefix;             /* over the 128-bit form */
};

struct lk_config {
	char listen_host[256];
	int listen_port;
	int threads;
	char data_dir[900];
	char db_url[1024];
	char origin[512]; /* normalised: scheme://host[:port] */
	int secure_cookie;
	char *top_origins[LK_MAX_TOP_ORIGINS];
	int n_top_origins;
	char rp_id[256];
	char rp_name[128];
	char issuer[128];
	char mail_dir[1024];
	char smtp_url[1024];
	char mail_from[256];
	struct lk_cidr proxies[LK_MAX_PROXIES];
	int n_proxies;
	int64_t sudo_ttl, magic_link_ttl, recovery_delay, session_ttl, session_idle_ttl;
	int totp_skew;
	char totp_algorithm[8]; /* SHA1, SHA256, SHA512 */
	int totp_digits;
	int totp_period; /* seconds */
	int magic_link_signup;
	int attestation_direct;
	char attestation_roots[900]; /* a folder of PEM trust anchors, "" for none */
	char **anchors_pem;          /* their texts, loaded at start (lk_options_parse) */
	int n_anchors;
	/* Rate limits (0 disables one). */
	int rate_login_account, rate_login_ip, rate_2fa_session, rate_2fa_account;
	int rate_mail_email, rate_mail_ip, rate_mail_global, rate_passkey_ip, rate_signup_ip;
};

#endif
