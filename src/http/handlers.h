/* handlers.h: the handler of every route in routes.def. */
#ifndef LK_HANDLERS_H
#define LK_HANDLERS_H

#include "http/http.h"

#define ROUTE(m, p, h, f) void h(struct lk_req *q, struct lk_resp *r);
#include "http/routes.def"
#undef ROUTE

#endif
