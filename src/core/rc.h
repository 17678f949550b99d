/* rc.h: the one result code enum of latchkey. Every function that can fail returns
 * LK_OK or a negative lk_rc, chosen where the failure happens. Mapping to HTTP lives in
 * src/http/errmap.c only. */
#ifndef LK_RC_H
#define LK_RC_H

enum lk_rc {
	LK_OK = 0,
	LK_E_NOMEM = -1,       /* allocation failed */
	LK_E_INVAL = -2,       /* caller passed something out of contract */
	LK_E_MALFORMED = -3,   /* untrusted bytes do not parse */
	LK_E_TOOBIG = -4,      /* input over a limit of limits.h */
	LK_E_UNSUPPORTED = -5, /* well-formed but not implemented (algorithm, format) */
	LK_E_VERIFY = -6,      /* a signature, code, password or MAC did not verify */
	LK_E_EXPIRED = -7,     /* valid once, not any more */
	LK_E_REPLAY = -8,      /* already used (single-use secret, TOTP step) */
	LK_E_LOCKED = -9,      /* refused by a rate limit or lockdown */
	LK_E_NOTFOUND = -10,   /* no such row or object */
	LK_E_EXISTS = -11,     /* unique thing already there */
	LK_E_STORAGE = -12,    /* the database failed */
	LK_E_IO = -13,         /* file system or network I/O failed */
	LK_E_CRYPTO = -14,     /* the crypto library failed (not a verification) */
	LK_E_STATE = -15,      /* operation not allowed in the current state */
};

typedef enum lk_rc lk_rc;

/* A short constant English description of rc. */
const char *lk_strerror(int rc);

#endif
