/* user.c: placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int
lk_cli_user(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("latchkey user: not built yet\n", stderr);
	return 2;
}
