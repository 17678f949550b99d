/* pqlib.c: loads libpq.so.5 once and resolves the functions postgres.c calls. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "store/pqlib.h"

static struct lk_pqlib lib;
static const struct lk_pqlib *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(field, name)                                                                           \
	if (!(*(void **)&lib.field = dlsym(h, name))) {                                            \
		goto fail;                                                                         \
	}

static void
load(void)
{
	void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "store.error engine=postgres what=load msg=\"%s\"\n", dlerror());
		return;
	}
	SYM(connectdbParams, "PQconnectdbParams");
	SYM(status, "PQstatus");
	SYM(clear, "PQclear");
	SYM(resultErrorField, "PQresultErrorField");
	SYM(ftype, "PQftype");
	SYM(exec, "PQexec");
	SYM(setNoticeProcessor, "PQsetNoticeProcessor");
	SYM(errorMessage, "PQerrorMessage");
	SYM(cmdStatus, "PQcmdStatus");
	SYM(transactionStatus, "PQtransactionStatus");
	SYM(resultStatus, "PQresultStatus");
	SYM(reset, "PQreset");
	SYM(prepare, "PQprepare");
	SYM(paramtype, "PQparamtype");
	SYM(ntuples, "PQntuples");
	SYM(nparams, "PQnparams");
	SYM(nfields, "PQnfields");
	SYM(getvalue, "PQgetvalue");
	SYM(getlength, "PQgetlength");
	SYM(getisnull, "PQgetisnull");
	SYM(finish, "PQfinish");
	SYM(execPrepared, "PQexecPrepared");
	SYM(describePrepared, "PQdescribePrepared");
	SYM(cmdTuples, "PQcmdTuples");
	loaded = &lib;
	return;
fail:
	fprintf(stderr, "store.error engine=postgres what=load msg=\"libpq lacks a symbol\"\n");
	dlclose(h);
}

const struct lk_pqlib *
lk_pqlib(void)
{
	pthread_once(&once, load);
	return loaded;
}
