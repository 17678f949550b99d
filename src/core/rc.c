/* rc.c: descriptions of lk_rc values, for logs and the command line. */
#include "core/rc.h"

const char *
lk_strerror(int rc)
{
	switch (rc) {
	case LK_OK:
		return "ok";
	case LK_E_NOMEM:
		return "out of memory";
	case LK_E_INVAL:
		return "invalid argument";
	case LK_E_MALFORMED:
		return "malformed input";
	case LK_E_TOOBIG:
		return "input too large";
	case LK_E_UNSUPPORTED:
		return "unsupported";
	case LK_E_VERIFY:
		return "verification failed";
	case LK_E_EXPIRED:
		return "expired";
	case LK_E_REPLAY:
		return "already used";
	case LK_E_LOCKED:
		return "locked";
	case LK_E_NOTFOUND:
		return "not found";
	case LK_E_EXISTS:
		return "already exists";
	case LK_E_STORAGE:
		return "storage error";
	case LK_E_IO:
		return "i/o error";
	case LK_E_CRYPTO:
		return "crypto library error";
	case LK_E_STATE:
		return "not allowed in this state";
	}
	return "unknown error";
}
