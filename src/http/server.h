/* server.h: starting and stopping the HTTP server. */
#ifndef LK_SERVER_H
#define LK_SERVER_H

#include "auth/app.h"

struct lk_server;

/* Listens on cfg.listen_host:listen_port with cfg.threads workers; 0 or -1 (printed). */
int lk_server_start(struct lk_app *app, struct lk_server **out);
/* The bound port (useful with port 0). */
int lk_server_port(const struct lk_server *srv);
/* Stops accepting, waits up to drain_ms for in-flight requests, then closes. */
void lk_server_stop(struct lk_server *srv, int drain_ms);
/* 1 when a Content-Type names application/json (any case, parameters ignored). */
int lk_route_media_ok(const char *content_type);

#endif
