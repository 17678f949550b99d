/* limits.h: every size limit of latchkey, each with its reason. Smaller limits apply
 * before authentication. */
#ifndef LK_LIMITS_H
#define LK_LIMITS_H

/* API.md: bodies over 64 KiB are 413; the largest honest body (a registration response
 * with a TPM attestation and a certificate chain) stays well under it. */
#define LK_MAX_BODY 65536
/* A chunked body over LK_MAX_BODY is read on (and dropped) up to this many more bytes so
 * that its 413 can be sent; past it the connection is closed without an answer. */
#define LK_MAX_BODY_DISCARD (16 * 65536)
/* API-NOTES 6: JSON deeper than this is refused before anything walks it. */
#define LK_MAX_JSON_DEPTH 32
/* RFC 5321 path limit and API.md's email rule. */
#define LK_MAX_EMAIL       254
#define LK_MAX_EMAIL_LOCAL 64
/* Password policy: 8..256 code points; 4 bytes each at most. */
#define LK_MIN_PASSWORD_CP    8
#define LK_MAX_PASSWORD_CP    256
#define LK_MAX_PASSWORD_BYTES (LK_MAX_PASSWORD_CP * 4)
/* A request line and headers beyond this are not a browser's or a proxy's. */
#define LK_MAX_HEADERS 16384
/* Cookies: ours is 43 characters; a browser may send others beside it. */
#define LK_MAX_COOKIE 8192
/* User-Agent as stored with a session and event; longer ones are cut. */
#define LK_MAX_USER_AGENT 512
/* WebAuthn: credential ids over 1023 bytes SHOULD be refused (L3 7.1 step 23). */
#define LK_MAX_CREDENTIAL_ID 1023
/* CBOR: an attestationObject fits in the body; nesting beyond this is not COSE. */
#define LK_MAX_CBOR       65536
#define LK_MAX_CBOR_DEPTH 16
/* CBOR arrays and maps of WebAuthn (attStmt, COSE keys, x5c, extension outputs) hold a
 * handful of entries; a cap keeps duplicate-key checks and libcbor's allocations small. */
#define LK_MAX_CBOR_ENTRIES 128
/* --attestation-roots: a handful of vendor roots, each a few KiB of PEM. */
#define LK_MAX_ANCHORS      64
#define LK_MAX_ANCHOR_BYTES 65536
/* Passkey names: 1..64 code points. */
#define LK_MAX_PASSKEY_NAME_CP 64
/* Redirect paths echoed after a magic link. */
#define LK_MAX_REDIRECT 2048
/* Events listed by /me/events. */
#define LK_MAX_EVENTS_LISTED 200
/* Connections held open at once, and seconds an idle or slow one may hold a slot. */
#define LK_MAX_CONNECTIONS 1024
/* One peer may hold at most a quarter of them, so a host trickling bytes to keep its
 * connections open (slowloris) cannot lock everyone out. Not applied behind a trusted
 * proxy, where every connection comes from the proxy. */
#define LK_MAX_CONNECTIONS_PER_PEER 256
#define LK_CONNECTION_TIMEOUT       15

/* Store: parameters of one SQL statement (our widest INSERT has about 20); the back ends
 * keep their conversion buffers on the stack. */
#define LK_MAX_SQL_PARAMS 64

/* Outgoing mail (auth/outbox.c): our subjects are a few words; RFC 5322 2.1.1 caps a line
 * at 998 bytes and links are never folded, so a longer body line is refused; bodies are
 * short texts around one link. */
#define LK_MAX_MAIL_SUBJECT 200
#define LK_MAX_MAIL_LINE    998
#define LK_MAX_MAIL_BODY    65536

/* TOTP: our secrets are 20 bytes (API-NOTES 75); a key over SHA-512's 128-byte block is
 * hashed by HMAC anyway, so nothing longer is worth taking. */
#define LK_MAX_TOTP_KEY 128
/* Recovery-code input: 10 significant characters plus the spaces and dashes people type. */
#define LK_MAX_RECOVERY_CODE_INPUT 64

#endif
