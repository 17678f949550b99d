/* options.h: `latchkey serve` options from the command line and LATCHKEY_* variables. */
#ifndef LK_OPTIONS_H
#define LK_OPTIONS_H

#include <stdio.h>

#include "auth/config.h"

/* Fills cfg from defaults, then the environment, then argv (which wins). On a bad option
 * prints one line naming it to stderr and returns -1 (the caller exits 2). */
int lk_options_parse(struct lk_config *cfg, int argc, char **argv);
/* Frees what parsing allocated (top origins). */
void lk_options_free(struct lk_config *cfg);
/* Reads f to its end into a NUL-terminated malloc'd buffer (*len bytes, without the NUL):
 * NULL when it holds more than about max bytes, on a read error or out of memory. */
char *lk_read_all(FILE *f, size_t max, size_t *len);
/* Only the storage options (--data-dir, --db), for the user subcommands. */
int lk_options_parse_store(struct lk_config *cfg, int argc, char **argv, int *first_arg);

#endif
