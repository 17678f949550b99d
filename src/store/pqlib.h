/* pqlib.h: libpq, loaded on first use. A server on SQLite (the default) never maps libpq
 * and what it pulls in (Kerberos, LDAP, SASL, libssl): about 1 MiB of resident pages. */
#ifndef LK_PQLIB_H
#define LK_PQLIB_H

#include <libpq-fe.h>

struct lk_pqlib {
	__typeof__(PQconnectdbParams) *connectdbParams;
	__typeof__(PQstatus) *status;
	__typeof__(PQclear) *clear;
	__typeof__(PQresultErrorField) *resultErrorField;
	__typeof__(PQftype) *ftype;
	__typeof__(PQexec) *exec;
	__typeof__(PQsetNoticeProcessor) *setNoticeProcessor;
	__typeof__(PQerrorMessage) *errorMessage;
	__typeof__(PQcmdStatus) *cmdStatus;
	__typeof__(PQtransactionStatus) *transactionStatus;
	__typeof__(PQresultStatus) *resultStatus;
	__typeof__(PQreset) *reset;
	__typeof__(PQprepare) *prepare;
	__typeof__(PQparamtype) *paramtype;
	__typeof__(PQntuples) *ntuples;
	__typeof__(PQnparams) *nparams;
	__typeof__(PQnfields) *nfields;
	__typeof__(PQgetvalue) *getvalue;
	__typeof__(PQgetlength) *getlength;
	__typeof__(PQgetisnull) *getisnull;
	__typeof__(PQfinish) *finish;
	__typeof__(PQexecPrepared) *execPrepared;
	__typeof__(PQdescribePrepared) *describePrepared;
	__typeof__(PQcmdTuples) *cmdTuples;
};

/* The loaded library (thread-safe, once), or NULL when libpq.so.5 cannot be loaded. */
const struct lk_pqlib *lk_pqlib(void);

#endif
