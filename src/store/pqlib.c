/* pqlib.c: loads libpq.so.5 once and resolves the functions postgres.c calls. */
#include <pthread.h>

#include "core/dynlib.h"
#include "store/pqlib.h"

static struct lk_pqlib lib;
static const struct lk_pqlib *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const struct lk_dynsym syms[] = {
    {"PQconnectdbParams", (void **)&lib.connectdbParams},
    {"PQstatus", (void **)&lib.status},
    {"PQclear", (void **)&lib.clear},
    {"PQresultErrorField", (void **)&lib.resultErrorField},
    {"PQftype", (void **)&lib.ftype},
    {"PQexec", (void **)&lib.exec},
    {"PQsetNoticeProcessor", (void **)&lib.setNoticeProcessor},
    {"PQerrorMessage", (void **)&lib.errorMessage},
    {"PQcmdStatus", (void **)&lib.cmdStatus},
    {"PQtransactionStatus", (void **)&lib.transactionStatus},
    {"PQresultStatus", (void **)&lib.resultStatus},
    {"PQreset", (void **)&lib.reset},
    {"PQprepare", (void **)&lib.prepare},
    {"PQparamtype", (void **)&lib.paramtype},
    {"PQntuples", (void **)&lib.ntuples},
    {"PQnparams", (void **)&lib.nparams},
    {"PQnfields", (void **)&lib.nfields},
    {"PQgetvalue", (void **)&lib.getvalue},
    {"PQgetlength", (void **)&lib.getlength},
    {"PQgetisnull", (void **)&lib.getisnull},
    {"PQfinish", (void **)&lib.finish},
    {"PQexecPrepared", (void **)&lib.execPrepared},
    {"PQdescribePrepared", (void **)&lib.describePrepared},
    {"PQcmdTuples", (void **)&lib.cmdTuples},
};

static void
load(void)
{
	if (lk_dynlib_open("store", "libpq.so.5", syms, sizeof(syms) / sizeof(syms[0])) == 0) {
		loaded = &lib;
	}
}

const struct lk_pqlib *
lk_pqlib(void)
{
	pthread_once(&once, load);
	return loaded;
}
