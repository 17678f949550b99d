/* events.h: the account's security log, shown by /me/events. */
#ifndef LK_EVENTS_H
#define LK_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "auth/app.h"

/* Records one event; detail (an object, may be NULL for {}) is stolen. ip and ua may be
 * NULL (command-line actions). */
int lk_event_add(struct lk_app *app, const char *user_id, const char *type, const char *ip,
                 const char *ua, int64_t now, json_t *detail);
/* {"events":[...]} newest first, at most LK_MAX_EVENTS_LISTED. */
int lk_event_list(struct lk_app *app, const char *user_id, json_t **out);

#endif
